"""Wire shapes for users and the inputs of the auth endpoints."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from accounts.models import USERNAME_PATTERN, User

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
        fields = ["id", "username", "email", "avatar", "status", "is_online", "last_seen", "created_at", "updated_at"]
        read_only_fields = fields


class RegisterInput(serializers.Serializer):
    username = _username_field()
    email = serializers.EmailField(max_length=254)
    password = _password_field()


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
