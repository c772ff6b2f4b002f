"""REST endpoints for auth and users: parse, call a service or selector, serialize."""

from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import request_token
from accounts.serializers import (
    AuthOutput,
    EmailChangeInput,
    LoginInput,
    OwnUserSerializer,
    PasswordChangedOutput,
    PasswordChangeInput,
    ProfileUpdateInput,
    PublicUserSerializer,
    RegisterInput,
    UserListOutput,
    UsernameChangeInput,
)
from chatapp.api import signed_in, validated
from chatapp.errors import Forbidden
from chatapp.openapi import ConfirmationSerializer, error_responses

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
