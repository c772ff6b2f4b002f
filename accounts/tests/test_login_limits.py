"""Login limits per address and per account, on the API's login and on /admin/login/ alike."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNT_LIMITED = "Too many failed logins for this account. Try again later."
ADDRESS_LIMITED = "Too many login attempts from this address. Try again later."


@pytest.fixture(autouse=True)
def _behind_a_trusted_proxy(settings):
    # X-Forwarded-For names the client, so each attempt can come from another address.
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]


@pytest.fixture
def frozen():
    # One clock for the whole burst, so it cannot straddle a window boundary.
    with time_machine.travel(datetime.now(tz=UTC), tick=False) as traveller:
        yield traveller


def address(number: int) -> str:
    return f"203.0.113.{number}"


def api_login(password: str, *, ip: str, **account) -> object:
    return APIClient().post(
        "/api/v1/auth/login", {**account, "password": password}, format="json", HTTP_X_FORWARDED_FOR=ip
    )


def admin_login(client: Client, username: str, password: str, *, ip: str):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        HTTP_X_FORWARDED_FOR=ip,
    )


class TestPerAccountLimit:
    def test_api_failures_from_many_addresses_lock_the_account_even_for_the_right_password(self, user, frozen):
        codes = [api_login("wrong-1", username="alice", ip=address(n)).status_code for n in range(10)]
        assert codes == [401] * 10
        refused = api_login(DEFAULT_PASSWORD, username="alice", ip=address(99))
        assert refused.status_code == 429
        assert refused.json() == {"error": ACCOUNT_LIMITED}
        assert 1 <= int(refused["Retry-After"]) <= 15 * 60

    def test_username_and_email_share_one_count_and_other_accounts_are_untouched(self, user, other_user, frozen):
        for n in range(5):
            api_login("wrong-1", username="ALICE", ip=address(n))
            api_login("wrong-1", email="alice@example.com", ip=address(50 + n))
        assert api_login(DEFAULT_PASSWORD, email="alice@example.com", ip=address(99)).status_code == 429
        assert api_login(DEFAULT_PASSWORD, username="bob", ip=address(99)).status_code == 200

    def test_the_account_can_log_in_again_once_the_window_has_passed(self, user, frozen):
        for n in range(10):
            api_login("wrong-1", username="alice", ip=address(n))
        assert api_login(DEFAULT_PASSWORD, username="alice", ip=address(99)).status_code == 429
        frozen.shift(timedelta(minutes=15))
        assert api_login(DEFAULT_PASSWORD, username="alice", ip=address(99)).status_code == 200

    def test_unknown_accounts_are_limited_alike(self, db, frozen):
        for n in range(10):
            api_login("wrong-1", username="ghost", ip=address(n))
        assert api_login("wrong-1", username="ghost", ip=address(99)).json() == {"error": ACCOUNT_LIMITED}

    def test_admin_failures_from_many_addresses_lock_the_staff_account_on_both_logins(self, make_user, frozen):
        make_user("root", is_staff=True, is_superuser=True)
        client = Client()
        codes = [admin_login(client, "root", "wrong-1", ip=address(n)).status_code for n in range(10)]
        assert codes == [200] * 10  # the form again, with its error
        refused = admin_login(client, "root", DEFAULT_PASSWORD, ip=address(99))
        assert refused.status_code == 429
        assert refused.content.decode() == ACCOUNT_LIMITED
        assert int(refused["Retry-After"]) >= 1
        assert api_login(DEFAULT_PASSWORD, username="root", ip=address(98)).status_code == 429

    def test_admin_login_that_succeeds_counts_nothing(self, make_user, frozen):
        make_user("root", is_staff=True, is_superuser=True)
        for n in range(12):
            response = admin_login(Client(), "root", DEFAULT_PASSWORD, ip=address(n))
            assert response.status_code == 302 and response["Location"] == "/admin/"


class TestPerAddressLimitOnAdminLogin:
    def test_eleventh_admin_attempt_from_one_address_is_429(self, make_user, frozen):
        make_user("root", is_staff=True, is_superuser=True)
        client = Client()
        # Different accounts, so only the per-address limit can refuse.
        codes = [admin_login(client, f"name{n}", "wrong-1", ip=address(1)).status_code for n in range(10)]
        assert codes == [200] * 10
        refused = admin_login(client, "root", DEFAULT_PASSWORD, ip=address(1))
        assert refused.status_code == 429
        assert refused.content.decode() == ADDRESS_LIMITED
        assert admin_login(client, "root", DEFAULT_PASSWORD, ip=address(2)).status_code == 302

    def test_api_and_admin_logins_share_the_address_budget(self, make_user, frozen):
        make_user("root", is_staff=True, is_superuser=True)
        for n in range(10):
            api_login("wrong-1", username=f"name{n}", ip=address(1))
        assert admin_login(Client(), "root", DEFAULT_PASSWORD, ip=address(1)).status_code == 429

    def test_showing_the_login_page_is_not_limited(self, db, frozen):
        client = Client()
        assert [client.get("/admin/login/", HTTP_X_FORWARDED_FOR=address(1)).status_code for _ in range(12)] == [
            200
        ] * 12

    def test_with_the_limiter_unreachable_admin_login_is_503_not_500(self, make_user, monkeypatch):
        from redis.exceptions import ConnectionError as RedisConnectionError

        from accounts import admin as accounts_admin

        def unreachable(*args, **kwargs):
            raise RedisConnectionError("Connection refused")

        make_user("root", is_staff=True, is_superuser=True)
        monkeypatch.setattr(accounts_admin, "get_usage", unreachable)
        refused = admin_login(Client(), "root", DEFAULT_PASSWORD, ip=address(1))
        assert refused.status_code == 503
        assert refused.content.decode() == "Service temporarily unavailable. Try again shortly."
        assert int(refused["Retry-After"]) >= 1
