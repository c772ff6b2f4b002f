"""REST endpoints for auth and users: parse, call a service or selector, serialize."""

from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.serializers import (
    EmailChangeInput,
    LoginInput,
    OwnUserSerializer,
    PasswordChangeInput,
    ProfileUpdateInput,
    PublicUserSerializer,
    RegisterInput,
    UsernameChangeInput,
)
from chatapp.api import validated


class RegisterApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        result = services.user_register(**validated(RegisterInput, request))
        return Response(
            {"token": result.token, "user": OwnUserSerializer(result.user).data}, status=status.HTTP_201_CREATED
        )


class LoginApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        data = validated(LoginInput, request)
        result = services.user_login(email=data.get("email"), username=data.get("username"), password=data["password"])
        return Response({"token": result.token, "user": OwnUserSerializer(result.user).data})


class MeApi(APIView):
    def get(self, request: Request) -> Response:
        return Response(OwnUserSerializer(request.user).data)

    def patch(self, request: Request) -> Response:
        user = services.user_update_profile(user=request.user, **validated(ProfileUpdateInput, request))
        return Response(OwnUserSerializer(user).data)


class LogoutApi(APIView):
    def post(self, request: Request) -> Response:
        services.token_revoke(token=request.auth)
        return Response({"message": "Logged out successfully"})


class UsernameChangeApi(APIView):
    def patch(self, request: Request) -> Response:
        user = services.user_change_username(user=request.user, **validated(UsernameChangeInput, request))
        return Response(OwnUserSerializer(user).data)


class EmailChangeApi(APIView):
    def patch(self, request: Request) -> Response:
        user = services.user_change_email(user=request.user, **validated(EmailChangeInput, request))
        return Response(OwnUserSerializer(user).data)


class PasswordChangeApi(APIView):
    def patch(self, request: Request) -> Response:
        token = services.user_change_password(user=request.user, **validated(PasswordChangeInput, request))
        return Response({"message": "Password updated successfully", "token": token})


class UserSearchApi(APIView):
    def get(self, request: Request) -> Response:
        users = selectors.user_search(query=request.query_params.get("q", ""), exclude=request.user)
        return Response({"data": PublicUserSerializer(users, many=True).data})


class UserDetailApi(APIView):
    def get(self, request: Request, user_id: str) -> Response:
        return Response(PublicUserSerializer(selectors.user_get(user_id=user_id)).data)
