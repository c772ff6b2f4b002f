"""Wire shapes for users and the inputs of the auth endpoints."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from accounts.models import USERNAME_PATTERN, AuditEntry, Invite, Role, User

_USERNAME_FIELD_KW: dict[str, Any] = {
    "min_length": 3,
    "max_length": 30,
    "error_messages": {"invalid": "Username may contain only letters, digits, '_', '.' and '-'"},
}


def _username_field() -> serializers.RegexField:
    return serializers.RegexField(USERNAME_PATTERN, **_USERNAME_FIELD_KW)


def _password_field() -> serializers.CharField:
    return serializers.CharField(min_length=settings.AUTH_PASSWORD_MIN_LENGTH, max_length=128, trim_whitespace=False)


class UserSummarySerializer(serializers.ModelSerializer):
    """A user shown beside what they did: a room's creator, a message's sender."""

    class Meta:
        model = User
        fields = ["id", "username", "avatar"]
        read_only_fields = fields


class PublicUserSerializer(serializers.ModelSerializer):
    """Another person as others see them: never their email."""

    class Meta:
        model = User
        fields = ["id", "username", "avatar", "status", "is_online", "last_seen", "created_at", "updated_at"]
        read_only_fields = fields


class OwnUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "avatar",
            "status",
            "is_online",
            "last_seen",
            "created_at",
            "updated_at",
            "role",
        ]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    """An account as the workspace's moderators see it (the admin's user list)."""

    class Meta:
        model = User
        fields = ["id", "username", "email", "avatar", "role", "is_active", "is_online", "last_seen", "created_at"]
        read_only_fields = fields


class RegisterInput(serializers.Serializer):
    username = _username_field()
    email = serializers.EmailField(max_length=254)
    password = _password_field()
    invite_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The code of an invitation (the end of its /join/<code> link); needed when REGISTRATION=invite",
    )


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="owners only")
    is_active = serializers.BooleanField(required=False, help_text="false deactivates: tokens, sockets, push go")


class InviteCreateInput(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254, help_text="admits only this email")
    max_uses = serializers.IntegerField(required=False, default=1, min_value=1, max_value=1000)
    expires_in_hours = serializers.IntegerField(required=False, default=168, min_value=1, max_value=24 * 90)


class InviteSerializer(serializers.ModelSerializer):
    """An invite as listed: its code is not stored, so only the answer to its creation has it."""

    class Meta:
        model = Invite
        fields = ["id", "email", "expires_at", "max_uses", "uses", "created_at"]
        read_only_fields = fields


class InviteCreatedOutput(InviteSerializer):
    code = serializers.CharField(help_text="shown once: the server keeps only its digest")
    url = serializers.CharField(help_text="the web client's /join/<code> page")

    class Meta(InviteSerializer.Meta):
        fields = ["id", "code", "url", "email", "expires_at", "max_uses", "uses", "created_at"]
        read_only_fields = fields


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(allow_null=True)
    target = UserSummarySerializer(source="target_user", allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "actor", "action", "target", "detail", "created_at"]
        read_only_fields = fields


class PasswordForgotInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetInput(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = _password_field()


class AccountDeleteInput(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    erase_messages = serializers.BooleanField(required=False, default=False)


class LoginInput(serializers.Serializer):
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    username = serializers.CharField(required=False, allow_blank=True, max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("email") and not attrs.get("username"):
            raise serializers.ValidationError({"email": ["Email or username is required"]})
        return attrs


class ProfileUpdateInput(serializers.Serializer):
    status = serializers.CharField(required=False, allow_blank=True, max_length=140)
    avatar = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="The `url` of an image you uploaded (POST /upload), or an empty string to remove it",
    )


class UsernameChangeInput(serializers.Serializer):
    username = _username_field()


class EmailChangeInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordChangeInput(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = _password_field()


# Response shapes, declared for the OpenAPI schema (the views build these dicts directly).
class AuthOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Access token (JWT) for `Authorization: Bearer <token>`")
    user = OwnUserSerializer()


class PasswordChangedOutput(serializers.Serializer):
    message = serializers.CharField()
    token = serializers.CharField(help_text="A fresh token: every earlier one is now revoked")


class UserListOutput(serializers.Serializer):
    # DRF's serializer metaclass moves declared fields off the class, so this field does not shadow
    # Serializer.data at run time; the stubs cannot see that.
    data = PublicUserSerializer(many=True)  # type: ignore[assignment]


class InviteListOutput(serializers.Serializer):
    data = InviteSerializer(many=True)  # type: ignore[assignment]
