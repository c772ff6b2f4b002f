"""A login that checked the old password never yields a token that outlives the change."""

import pytest

from accounts import services
from accounts.models import User
from conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def login(api_client, username: str, password: str):
    return api_client.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def test_password_changed_between_check_and_token_issue_kills_that_token(api_client, api_client_for, user, monkeypatch):
    checked = User.check_password

    def check_then_change_elsewhere(self, raw_password):
        # The worst timing: the old password has just been accepted, the token not yet issued,
        # when the change commits (made on a copy of the row, as another request would).
        monkeypatch.setattr(User, "check_password", checked)
        accepted = checked(self, raw_password)
        other_request = User.objects.get(pk=self.pk)
        services.user_change_password(user=other_request, current_password=DEFAULT_PASSWORD, new_password="n3w-pass")
        return accepted

    monkeypatch.setattr(User, "check_password", check_then_change_elsewhere)
    response = login(api_client, "alice", DEFAULT_PASSWORD)

    assert response.status_code == 200  # the password was right when it was checked
    me = api_client_for(user, token=response.json()["token"]).get("/api/v1/auth/me")
    assert me.status_code == 401
    assert me.json() == {"error": "Token has been revoked. Please log in again."}
    assert login(api_client, "alice", "n3w-pass").status_code == 200


def test_password_changed_just_before_the_login_reads_the_user_refuses_the_old_password(api_client, user):
    services.user_change_password(user=user, current_password=DEFAULT_PASSWORD, new_password="n3w-pass")
    assert login(api_client, "alice", DEFAULT_PASSWORD).status_code == 401
