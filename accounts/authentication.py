"""DRF authentication: `Authorization: Bearer <jwt>`, checked against the blacklist every time."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.models import User
from accounts.tokens import VerifiedToken, token_verify
from chatapp.errors import Unauthorized


class JWTAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, VerifiedToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # permission classes answer "Authorization header is required"
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw or " " in raw:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'")
        try:
            verified = token_verify(raw)
        except Unauthorized as error:
            raise exceptions.AuthenticationFailed(error.message) from None
        return verified.user, verified

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def request_token(request: Request) -> VerifiedToken:
    """The token `JWTAuthentication` verified for this request: DRF types `request.auth` as its own Token."""
    token = request.auth
    if not isinstance(token, VerifiedToken):
        raise exceptions.NotAuthenticated()
    return token
