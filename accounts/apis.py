"""REST endpoints for auth and users: parse, call a service or selector, serialize."""

from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import request_token
from accounts.serializers import (
    AccountDeleteInput,
    AuditEntrySerializer,
    AuthOutput,
    EmailChangeInput,
    InviteCreatedOutput,
    InviteCreateInput,
    InviteListOutput,
    InviteSerializer,
    LoginInput,
    MemberSerializer,
    MemberUpdateInput,
    OwnUserSerializer,
    PasswordChangedOutput,
    PasswordChangeInput,
    PasswordForgotInput,
    PasswordResetInput,
    ProfileUpdateInput,
    PublicUserSerializer,
    RegisterInput,
    UserListOutput,
    UsernameChangeInput,
)
from chatapp.api import signed_in, validated
from chatapp.errors import Forbidden
from chatapp.openapi import ConfirmationSerializer, error_responses
from chatapp.paging import page_params

ADMIN_PAGE_LIMIT = 100
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="from 1"),
    OpenApiParameter("limit", int, description=f"1-{ADMIN_PAGE_LIMIT}, default 20"),
]
FORGOT_ANSWER = "If an account has this email, a reset link is on its way."


def _page_schema(name: str, item: serializers.Serializer) -> serializers.Serializer:
    fields = {name: serializers.IntegerField() for name in ("total", "page", "limit", "total_pages")}
    return inline_serializer(name, {"data": item, **fields})


def _public_url(request: Request) -> str:
    """Where links sent out point: PUBLIC_URL, else this request's own address (an ALLOWED_HOSTS host)."""
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


PASSWORD_SIGN_IN_OFF = "Password sign-in is turned off on this server: use single sign-on"


def _refuse_if_sso_only() -> None:
    # OIDC_ONLY: accounts are made and signed in through the identity provider alone.
    if settings.OIDC_ONLY:
        raise Forbidden(PASSWORD_SIGN_IN_OFF)


class RegisterApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Register a new user",
        request=RegisterInput,
        description="REGISTRATION=invite needs `invite_code`; refused sign-ups answer 403 saying why.",
        responses={201: AuthOutput, **error_responses(400, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        _refuse_if_sso_only()
        result = services.user_register(**validated(RegisterInput, request))
        return Response(
            {"token": result.token, "user": OwnUserSerializer(result.user).data}, status=status.HTTP_201_CREATED
        )


class LoginApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Log in with email or username",
        request=LoginInput,
        responses={200: AuthOutput, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        _refuse_if_sso_only()
        data = validated(LoginInput, request)
        result = services.user_login(email=data.get("email"), username=data.get("username"), password=data["password"])
        return Response({"token": result.token, "user": OwnUserSerializer(result.user).data})


class MeApi(APIView):
    @extend_schema(summary="My profile", responses={200: OwnUserSerializer, **error_responses(401, 429)})
    def get(self, request: Request) -> Response:
        return Response(OwnUserSerializer(signed_in(request.user)).data)

    @extend_schema(
        summary="Update my status and/or avatar",
        request=ProfileUpdateInput,
        responses={200: OwnUserSerializer, **error_responses(400, 401, 429)},
    )
    def patch(self, request: Request) -> Response:
        user = services.user_update_profile(user=signed_in(request.user), **validated(ProfileUpdateInput, request))
        return Response(OwnUserSerializer(user).data)

    @extend_schema(
        summary="Delete my account (deactivated and anonymised; messages erased if asked)",
        request=AccountDeleteInput,
        responses={200: ConfirmationSerializer, **error_responses(400, 401, 409, 429)},
    )
    def delete(self, request: Request) -> Response:
        services.user_delete_account(user=signed_in(request.user), **validated(AccountDeleteInput, request))
        return Response({"message": "Account deleted"})


class LogoutApi(APIView):
    @extend_schema(
        summary="Log out (revoke this token)",
        request=None,
        responses={200: ConfirmationSerializer, **error_responses(401, 429)},
    )
    def post(self, request: Request) -> Response:
        services.token_revoke(token=request_token(request))
        return Response({"message": "Logged out successfully"})


class UsernameChangeApi(APIView):
    @extend_schema(
        summary="Change my username",
        request=UsernameChangeInput,
        responses={200: OwnUserSerializer, **error_responses(400, 401, 409, 429)},
    )
    def patch(self, request: Request) -> Response:
        user = services.user_change_username(user=signed_in(request.user), **validated(UsernameChangeInput, request))
        return Response(OwnUserSerializer(user).data)


class EmailChangeApi(APIView):
    @extend_schema(
        summary="Change my email (needs the current password)",
        request=EmailChangeInput,
        responses={200: OwnUserSerializer, **error_responses(400, 401, 409, 429)},
    )
    def patch(self, request: Request) -> Response:
        user = services.user_change_email(user=signed_in(request.user), **validated(EmailChangeInput, request))
        return Response(OwnUserSerializer(user).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        summary="Change my password (revokes every earlier token)",
        request=PasswordChangeInput,
        responses={200: PasswordChangedOutput, **error_responses(400, 401, 429)},
    )
    def patch(self, request: Request) -> Response:
        token = services.user_change_password(user=signed_in(request.user), **validated(PasswordChangeInput, request))
        return Response({"message": "Password updated successfully", "token": token})


class UserSearchApi(APIView):
    @extend_schema(
        summary="Search active users by username (at most 20)",
        parameters=[OpenApiParameter("q", str, required=True, description="Part of a username")],
        responses={200: UserListOutput, **error_responses(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        users = selectors.user_search(query=request.query_params.get("q", ""), exclude=signed_in(request.user))
        return Response({"data": PublicUserSerializer(users, many=True).data})


class UserDetailApi(APIView):
    @extend_schema(
        summary="A user's public profile",
        responses={200: PublicUserSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, user_id: UUID) -> Response:
        return Response(PublicUserSerializer(selectors.user_get(user_id=user_id)).data)


class PasswordForgotApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Mail a password-reset link (the same answer whether or not the email has an account)",
        request=PasswordForgotInput,
        responses={200: ConfirmationSerializer, **error_responses(400, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(PasswordForgotInput, request)
        services.password_reset_request(email=data["email"], base_url=_public_url(request))
        return Response({"message": FORGOT_ANSWER})


class PasswordResetApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Set a new password from a reset link (revokes every earlier token)",
        request=PasswordResetInput,
        responses={200: AuthOutput, **error_responses(400, 429)},
    )
    def post(self, request: Request) -> Response:
        result = services.password_reset_confirm(**validated(PasswordResetInput, request))
        return Response({"token": result.token, "user": OwnUserSerializer(result.user).data})


class AdminUserListApi(APIView):
    @extend_schema(
        summary="Every account, for owners and admins",
        parameters=[OpenApiParameter("q", str, description="part of a username or email"), *PAGE_PARAMETERS],
        responses={200: _page_schema("MemberPage", MemberSerializer(many=True)), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        page, limit = page_params(request, max_limit=ADMIN_PAGE_LIMIT)
        result = selectors.users_page_for_moderator(
            actor=signed_in(request.user), query=request.query_params.get("q", ""), page=page, limit=limit
        )
        return Response(result.as_response(MemberSerializer(result.items, many=True).data))


class AdminUserUpdateApi(APIView):
    @extend_schema(
        summary="Change an account's role (owners) or deactivate / reactivate it",
        request=MemberUpdateInput,
        responses={200: MemberSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request: Request, user_id: UUID) -> Response:
        user = services.user_update_by_moderator(
            actor=signed_in(request.user), user_id=user_id, **validated(MemberUpdateInput, request)
        )
        return Response(MemberSerializer(user).data)


class AdminAuditApi(APIView):
    @extend_schema(
        summary="The moderation log, newest first",
        parameters=PAGE_PARAMETERS,
        responses={200: _page_schema("AuditPage", AuditEntrySerializer(many=True)), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        page, limit = page_params(request, max_limit=ADMIN_PAGE_LIMIT)
        result = selectors.audit_page_for_moderator(actor=signed_in(request.user), page=page, limit=limit)
        return Response(result.as_response(AuditEntrySerializer(result.items, many=True).data))


class InviteListCreateApi(APIView):
    @extend_schema(summary="Open invites", responses={200: InviteListOutput, **error_responses(403)})
    def get(self, request: Request) -> Response:
        invites = selectors.invites_list_for_moderator(actor=signed_in(request.user))
        return Response({"data": InviteSerializer(invites, many=True).data})

    @extend_schema(
        summary="Invite people (the code is in this answer only)",
        request=InviteCreateInput,
        responses={201: InviteCreatedOutput, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        created = services.invite_create(actor=signed_in(request.user), **validated(InviteCreateInput, request))
        body = {
            **InviteSerializer(created.invite).data,
            "code": created.code,
            "url": f"{_public_url(request)}/join/{created.code}",
        }
        return Response(body, status=status.HTTP_201_CREATED)


class InviteRevokeApi(APIView):
    @extend_schema(summary="Revoke an invite", responses={200: ConfirmationSerializer, **error_responses(403, 404)})
    def delete(self, request: Request, invite_id: UUID) -> Response:
        services.invite_revoke(actor=signed_in(request.user), invite_id=invite_id)
        return Response({"message": "Invite revoked"})
