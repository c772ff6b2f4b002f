"""Reads for single sign-on: what the sign-in page offers, and the provider's discovery document."""

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

from sso.errors import SsoProviderError

# Providers rotate keys and endpoints rarely; an hour bounds how long a change goes unseen.
DISCOVERY_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class ProviderInfo:
    enabled: bool
    label: str
    only: bool


def sso_provider_info() -> ProviderInfo:
    """What the sign-in page shows: the SSO button (and its label), and whether passwords are off."""
    return ProviderInfo(
        enabled=settings.OIDC_ENABLED,
        label=settings.OIDC_BUTTON_LABEL if settings.OIDC_ENABLED else "",
        only=settings.OIDC_ONLY,
    )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def _fetch_discovery(issuer: str) -> dict:
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SsoProviderError(f"The identity provider could not be reached ({type(error).__name__})") from None
    if not isinstance(document, dict):
        raise SsoProviderError("The identity provider's discovery document is not a JSON object")
    return document


def sso_provider_metadata() -> ProviderMetadata:
    """The configured issuer's endpoints, from its discovery document (cached).

    OpenID Connect Discovery 1.0 §4.3: the document's `issuer` must be exactly the issuer it was
    fetched for; anything else (a proxy, a mix-up, a look-alike) is refused before any redirect.
    """
    issuer = settings.OIDC_ISSUER
    key = f"sso:discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        document = _fetch_discovery(issuer)
    if document.get("issuer") != issuer:
        raise SsoProviderError(
            f"The identity provider identifies itself as {str(document.get('issuer'))[:200]!r}, "
            f"not the configured issuer {issuer!r}"
        )
    try:
        metadata = ProviderMetadata(
            issuer=issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            userinfo_endpoint=str(document["userinfo_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
        )
    except KeyError as missing:
        raise SsoProviderError(f"The identity provider's discovery document has no {missing}") from None
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return metadata
