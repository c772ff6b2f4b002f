import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def frozen_now() -> datetime:
    # Freeze the clock so a burst of attempts cannot straddle a rate-limit window boundary.
    return datetime.now(tz=UTC)


def login(client, **extra):
    return client.post(
        "/api/v1/auth/login", {"email": "nobody@example.com", "password": "wrong12"}, format="json", **extra
    )


class TestCors:
    def test_preflight_from_allowed_origin_is_204_with_cors_headers(self, api_client):
        response = api_client.options(
            "/api/v1/rooms",
            HTTP_ORIGIN="http://localhost:3000",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
        methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
        assert methods == {"GET", "POST", "PATCH", "DELETE", "OPTIONS"}
        headers = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
        assert headers == {"authorization", "content-type", "x-request-id"}

    @pytest.mark.parametrize(
        "origin", ["https://evil.com", "http://localhost:8080.evil.com", "null", "https://localhost:3000"]
    )
    def test_preflight_from_other_origin_gets_no_allow_origin(self, api_client, origin):
        response = api_client.options("/api/v1/rooms", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert response.status_code == 204
        assert "Access-Control-Allow-Origin" not in response

    def test_simple_request_from_allowed_origin_carries_allow_origin(self, api_client):
        response = api_client.get("/health", HTTP_ORIGIN="http://localhost:8080")
        assert response["Access-Control-Allow-Origin"] == "http://localhost:8080"


class TestRateLimits:
    def test_eleventh_login_in_a_minute_is_429_across_two_clients_sharing_the_cache(self):
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "limits must live in Redis"
        first, second = APIClient(), APIClient()
        with time_machine.travel(frozen_now(), tick=False):
            statuses = [login(first if i % 2 else second).status_code for i in range(10)]
            assert statuses == [401] * 10
            blocked = login(first)
        assert blocked.status_code == 429
        assert blocked.json() == {"error": "Too many requests"}
        assert 1 <= int(blocked["Retry-After"]) <= 60

    def test_register_shares_the_auth_limit_but_not_the_api_limit(self, api_client_for, user):
        client = APIClient()
        with time_machine.travel(frozen_now(), tick=False):
            for _ in range(10):
                login(client)
            response = client.post("/api/v1/auth/register", {}, format="json")
            assert response.status_code == 429
            assert api_client_for(user).get("/api/v1/auth/me").status_code == 200

    def test_api_limit_applies_to_other_endpoints(self, api_client_for, user, settings):
        settings.RATE_LIMIT_API = "3/m"
        client = api_client_for(user)
        with time_machine.travel(frozen_now(), tick=False):
            codes = [client.get("/api/v1/auth/me").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]

    def test_spoofed_forwarded_for_from_untrusted_address_does_not_escape_the_limit(self):
        client = APIClient()
        with time_machine.travel(frozen_now(), tick=False):
            codes = [login(client, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(11)]
        assert codes[-1] == 429

    def test_forwarded_for_from_trusted_proxy_identifies_clients(self, settings):
        settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
        settings.LOGIN_FAILURES_PER_ACCOUNT = 100  # every attempt names one account: only the address counts here
        client = APIClient()
        with time_machine.travel(frozen_now(), tick=False):
            for _ in range(10):
                login(client, HTTP_X_FORWARDED_FOR="203.0.113.7")
            assert login(client, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
            assert login(client, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 401


class TestRequestIds:
    def test_sane_request_id_is_echoed(self, api_client):
        response = api_client.get("/health", HTTP_X_REQUEST_ID="abc-123")
        assert response["X-Request-ID"] == "abc-123"

    @pytest.mark.parametrize("offered", ["x" * 65, "bad id", "<script>"])
    def test_insane_request_id_is_replaced(self, api_client, offered):
        response = api_client.get("/health", HTTP_X_REQUEST_ID=offered)
        assert response["X-Request-ID"] != offered
        assert len(response["X-Request-ID"]) == 36

    def test_generated_when_absent(self, api_client):
        assert len(api_client.get("/api/v1/nothing").get("X-Request-ID", "")) == 36


class TestJsonErrors:
    def test_unknown_api_path_is_json_404(self, api_client):
        response = api_client.get("/api/v1/does-not-exist")
        assert response.status_code == 404
        assert response.json() == {"error": "Not Found"}

    def test_wrong_method_is_json_405(self, api_client):
        response = api_client.get("/api/v1/auth/login")
        assert response.status_code == 405
        assert response.json() == {"error": "Method not allowed"}

    def test_trailing_slash_is_not_the_contract(self, api_client):
        assert api_client.post("/api/v1/auth/login/", {}, format="json").status_code == 404

    def test_health_wrong_method_is_json(self, api_client):
        response = api_client.post("/health")
        assert response.status_code == 405
        assert response.json() == {"error": "Method Not Allowed"}


class TestHealth:
    def test_health(self, api_client):
        response = api_client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": "chatapp"}

    def test_ready_when_database_and_redis_answer(self, api_client):
        response = api_client.get("/health/ready")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "redis": "ok"}

    def test_ready_is_503_naming_the_database_when_it_points_nowhere(self):
        script = (
            "import django, json; django.setup();"
            "from django.test import Client;"
            "r = Client().get('/health/ready', HTTP_HOST='localhost');"
            "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "chatapp.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
            "SECRET_KEY": "test-secret",
            "DEBUG": "false",
            "LOG_LEVEL": "CRITICAL",
        }
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
        assert outcome["status"] == 503
        assert outcome["body"]["checks"]["database"] == "unavailable"
        assert "database" in outcome["body"]["error"]


class TestLogs:
    def test_access_log_is_json_with_request_fields_and_no_secrets(self, api_client, user, json_log_lines):
        response = api_client.post(
            "/api/v1/auth/login",
            {"username": "alice", "password": "secret123"},
            format="json",
            HTTP_X_REQUEST_ID="req-42",
        )
        token = response.json()["token"]
        api_client.get("/api/v1/auth/me?token=" + token, HTTP_AUTHORIZATION=f"Bearer {token}")
        logging.getLogger("chatapp.test").warning(
            "client sent Authorization: Bearer %s password=%s", token, "secret123"
        )
        output = json_log_lines.getvalue()
        lines = [json.loads(line) for line in output.splitlines()]
        login_line = next(line for line in lines if line.get("path") == "/api/v1/auth/login")
        assert login_line["request_id"] == "req-42"
        assert login_line["status"] == 200
        assert {"time", "level", "event", "method", "path", "status", "latency_ms", "user_id"} <= set(login_line)
        me_line = next(line for line in lines if line.get("path") == "/api/v1/auth/me")
        assert me_line["user_id"] == str(user.id)
        assert token not in output
        assert "secret123" not in output
        assert token.split(".")[2] not in output


@pytest.mark.urls("chatapp.tests.failing_urls")
def test_a_crash_is_a_json_500_without_internals(client, json_log_lines):
    client.raise_request_exception = False
    response = client.get("/api/v1/explode")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error"}
    assert b"secret internals" not in response.content
    logged = json_log_lines.getvalue()
    assert "RuntimeError" in logged, "the crash is logged for us"
    assert "eyJhbGciOiJIUzI1NiJ9.e30.sig" not in logged, "but never a token"
