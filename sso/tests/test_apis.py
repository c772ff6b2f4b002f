import pytest
from rest_framework.test import APIClient

from accounts.apis import PASSWORD_SIGN_IN_OFF

pytestmark = pytest.mark.django_db


def test_providers_lists_nothing_when_sso_is_off(settings):
    settings.OIDC_ENABLED = False
    settings.OIDC_ONLY = False
    response = APIClient().get("/api/v1/auth/providers")
    assert response.status_code == 200
    assert response.json() == {"password": True, "sso": []}


def test_providers_lists_the_button_and_its_label(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ONLY = True
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme"
    response = APIClient().get("/api/v1/auth/providers")
    assert response.json() == {
        "password": False,
        "sso": [{"id": "oidc", "label": "Sign in with Acme", "start_url": "/sso/start"}],
    }


def test_sso_only_refuses_password_login_and_sign_up_with_403(settings, user):
    settings.OIDC_ENABLED = True
    settings.OIDC_ONLY = True
    client = APIClient()

    login = client.post("/api/v1/auth/login", {"username": user.username, "password": "secret123"}, format="json")
    register = client.post(
        "/api/v1/auth/register", {"username": "zed", "email": "zed@example.com", "password": "secret123"}, format="json"
    )

    assert (login.status_code, login.json()) == (403, {"error": PASSWORD_SIGN_IN_OFF})
    assert (register.status_code, register.json()) == (403, {"error": PASSWORD_SIGN_IN_OFF})


def test_exchange_refuses_an_unknown_code(settings):
    response = APIClient().post("/api/v1/auth/sso/exchange", {"code": "nope"}, format="json")
    assert response.status_code == 401
