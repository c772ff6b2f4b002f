import pytest

from sso.tests.provider import openid_provider

CALLBACK = "http://testserver/sso/callback"


@pytest.fixture(scope="session")
def provider():
    """A real OpenID provider process for the whole session (the Django test client is its RP)."""
    with openid_provider(redirect_uris=[CALLBACK]) as running:
        yield running


@pytest.fixture
def sso_settings(settings, provider):
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_BUTTON_LABEL = "Sign in with Test IdP"
    settings.OIDC_ENABLED = True
    settings.OIDC_ONLY = False
    settings.OIDC_AUTO_CREATE = False
    settings.REGISTRATION = "open"
    return settings
