"""Single sign-on against a real OpenID provider process (sso/tests/oidc_provider.mjs).

The Django test client is the browser on our side; sign_in_at_provider plays it at the provider
(login form, consent) and stops at the redirect back to /sso/callback.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tokens import token_verify
from sso import services
from sso.models import SsoLoginCode
from sso.tests.conftest import CALLBACK
from sso.tests.provider import sign_in_at_provider
from sso.views import STATE_MISMATCH

pytestmark = pytest.mark.django_db


def start(client: Client) -> str:
    response = client.get("/sso/start")
    assert response.status_code == 302, response.content
    return response["Location"]


def finish(client: Client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(parts.path, parse_qs(parts.query))


def sign_in(client: Client, login: str):
    """Start, sign in at the provider as `login`, come back: the callback's response."""
    return finish(client, sign_in_at_provider(start(client), login=login, stop_at=CALLBACK))


def code_from(response) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    path, _, fragment = response["Location"].partition("#")
    assert path == "/login"
    return parse_qs(fragment)["sso_code"][0]


def exchange(client: Client, code: str):
    return client.post("/api/v1/auth/sso/exchange", {"code": code}, content_type="application/json")


def test_start_sends_state_nonce_and_a_pkce_challenge(sso_settings, provider):
    query = parse_qs(urlsplit(start(Client())).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["client_id"] == [provider.client_id]
    assert query["redirect_uri"] == [CALLBACK]


def test_new_user_signs_in_and_the_page_trades_the_code_for_a_token(sso_settings):
    client = Client()
    code = code_from(sign_in(client, "newcomer@example.com"))

    response = exchange(client, code)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["email"] == "newcomer@example.com"
    assert body["user"]["username"] == "newcomer"
    assert token_verify(body["token"]).user.email == "newcomer@example.com"
    # Only the code's hash is stored, and the code is single use.
    assert not SsoLoginCode.objects.exists()
    again = exchange(client, code)
    assert again.status_code == 401
    assert again.json() == {"error": services.INVALID_CODE}


def test_existing_account_is_matched_by_verified_email(sso_settings, make_user):
    existing = make_user("carol", email="carol@example.com")
    client = Client()

    body = exchange(client, code_from(sign_in(client, "Carol@Example.com"))).json()

    assert body["user"]["id"] == str(existing.id)
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1


def test_unverified_email_matches_no_account(sso_settings, make_user):
    make_user("dave", email="dave@example.com")

    response = sign_in(Client(), "unverified-dave@example.com")

    assert response.status_code == 403
    assert services.EMAIL_NOT_VERIFIED in response.content.decode()
    assert not SsoLoginCode.objects.exists()


def test_closed_registration_refuses_a_new_account_with_the_reason(sso_settings):
    sso_settings.REGISTRATION = "closed"

    response = sign_in(Client(), "stranger@example.com")

    assert response.status_code == 403
    assert "Registration is closed on this server" in response.content.decode()
    assert not User.objects.filter(email="stranger@example.com").exists()


def test_trusted_provider_creates_accounts_even_when_registration_is_closed(sso_settings):
    sso_settings.REGISTRATION = "closed"
    sso_settings.OIDC_AUTO_CREATE = True
    client = Client()

    body = exchange(client, code_from(sign_in(client, "trusted@example.com"))).json()

    assert body["user"]["email"] == "trusted@example.com"


def test_state_mismatch_is_refused_with_a_page(sso_settings):
    client = Client()
    callback = sign_in_at_provider(start(client), login="erin@example.com", stop_at=CALLBACK)
    tampered = callback.replace("state=", "state=x")

    response = finish(client, tampered)

    assert response.status_code == 400
    assert STATE_MISMATCH in response.content.decode()
    assert not User.objects.filter(email="erin@example.com").exists()


def test_a_callback_replayed_in_another_browser_is_refused(sso_settings):
    callback = sign_in_at_provider(start(Client()), login="frank@example.com", stop_at=CALLBACK)

    response = finish(Client(), callback)  # no state in this browser's session

    assert response.status_code == 400
    assert STATE_MISMATCH in response.content.decode()


def test_nonce_mismatch_is_refused(sso_settings):
    client = Client()
    callback = sign_in_at_provider(start(client), login="gina@example.com", stop_at=CALLBACK)
    session = client.session
    for entry in session["oidc_states"].values():
        entry["nonce"] = "not-the-nonce-sent"
    session.save()

    response = finish(client, callback)

    assert response.status_code == 400
    assert STATE_MISMATCH in response.content.decode()
    assert not User.objects.filter(email="gina@example.com").exists()


def test_wrong_issuer_is_refused_before_any_redirect(sso_settings, provider):
    # The same provider reached by another name: its discovery document names its real issuer.
    sso_settings.OIDC_ISSUER = f"http://localhost:{provider.port}"

    response = Client().get("/sso/start")

    assert response.status_code == 502
    text = response.content.decode()
    assert "not the configured issuer" in text
    assert provider.issuer in text


def test_expired_code_is_refused(sso_settings, make_user):
    user = make_user("hank")
    code = services.sso_code_issue(user=user, now=timezone.now() - timedelta(seconds=services.LOGIN_CODE_SECONDS + 1))

    response = exchange(Client(), code)

    assert response.status_code == 401


def test_sso_pages_say_so_when_not_configured(settings):
    settings.OIDC_ENABLED = False
    response = Client().get("/sso/start")
    assert response.status_code == 404
    assert "not configured" in response.content.decode()
