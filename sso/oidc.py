"""mozilla-django-oidc, adapted: endpoints from discovery, and claims checked before anyone signs in.

The library's documented extension points only (subclassed backend and views, overridden
methods). It keeps state, nonce and PKCE verifier in the Django session and checks them; this
module adds what it leaves out: the ID token's issuer and audience, and the account rules
(sso.services). The views that use it are in sso.views.
"""

from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.models import User
from sso import services
from sso.errors import SsoProviderError
from sso.selectors import sso_provider_metadata


class ChatOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a sign-in this server started; nothing else.

    Listed in AUTHENTICATION_BACKENDS so the library's callback view can reach it; with SSO off,
    or for any other authenticate() call (a password login), it answers None without network use.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the parent's __init__: it reads the provider's endpoints from settings at once, and
        # Django builds every backend for every authenticate() call, admin logins included.
        ModelBackend.__init__(self)
        self.UserModel = User
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        if not settings.OIDC_ENABLED or request is None or "nonce" not in kwargs:
            return None
        metadata = sso_provider_metadata()
        self.OIDC_OP_TOKEN_ENDPOINT = metadata.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = metadata.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = metadata.jwks_uri
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as error:
            # The token, keys or userinfo request failed: the provider's side (or the network).
            raise SsoProviderError(
                f"The identity provider did not complete the sign-in ({type(error).__name__})"
            ) from None

    def verify_token(self, token: str, **kwargs: Any) -> dict:
        """The library checks signature, expiry and nonce; the issuer and audience are checked here."""
        payload = super().verify_token(token, **kwargs)
        if payload.get("iss") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("The ID token was issued by another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued to another client")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict) -> User | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        # Userinfo answers for the ID token's subject only (OpenID Connect Core §5.3.2).
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo response is about another subject")
        # The ID token's claims (email_verified among them) complete what userinfo left out.
        return services.sso_user_for_claims(claims={**payload, **claims})
