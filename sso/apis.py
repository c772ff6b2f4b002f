"""REST endpoints for single sign-on: what the sign-in page offers, and the code-for-token exchange."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import AuthOutput, OwnUserSerializer
from chatapp.api import validated
from chatapp.openapi import error_responses
from sso import selectors, services
from sso.serializers import AuthProvidersOutput, SsoExchangeInput


class AuthProvidersApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(summary="Ways to sign in (password, single sign-on)", responses={200: AuthProvidersOutput})
    def get(self, request: Request) -> Response:
        info = selectors.sso_provider_info()
        providers = [{"id": "oidc", "label": info.label, "start_url": "/sso/start"}] if info.enabled else []
        return Response({"password": not info.only, "sso": providers})


class SsoExchangeApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Trade a single sign-on one-time code for an access token",
        request=SsoExchangeInput,
        responses={200: AuthOutput, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        result = services.sso_code_exchange(**validated(SsoExchangeInput, request))
        return Response({"token": result.token, "user": OwnUserSerializer(result.user).data})
