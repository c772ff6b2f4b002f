"""Redis going away under a live `serve`: the rate limiter never turns the outage into 500s.

The API fails open (its calls need a valid token), register and login fail closed with 503 and
Retry-After (the per-IP limit is what slows a password guesser down), the outage is logged in a
couple of lines rather than one per request, and what users write meanwhile is kept. The last
test replays a five-minute outage in-process against a fake clock to count the log lines.
"""

import json
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from chatapp import middleware
from realtime.tests.live_servers import LiveServer, start_server
from tests.chaos.services import PrivateRedis

PASSWORD = "outage-pass-123"


def call(server: LiveServer, method: str, path: str, body: dict | None = None, token: str | None = None):
    """(status, headers, JSON body) of one request; error statuses are answers, not exceptions."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.http + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"{}")


def log_lines(server: LiveServer) -> list[dict]:
    lines = []
    for line in server.log().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


@pytest.fixture
def redis_server():
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_api_answers_without_500s_and_keeps_what_is_written(tmp_path, redis_server):
    server = start_server(tmp_path, REDIS_URL=redis_server.url, RATE_LIMIT_AUTH="10/m", RATE_LIMIT_API="10000/m")
    try:
        body = {"username": "outage", "email": "outage@example.com", "password": PASSWORD}
        status, _, registered = call(server, "POST", "/api/v1/auth/register", body)
        assert status == 201, registered
        token = registered["token"]
        status, _, room = call(server, "POST", "/api/v1/rooms", {"name": "outage room"}, token)
        assert status == 201, room
        messages_path = f"/api/v1/rooms/{room['id']}/messages"

        redis_server.stop()
        login = {"email": "outage@example.com", "password": PASSWORD}
        sent = []
        for attempt in range(20):
            status, _, health = call(server, "GET", "/health")
            assert (status, health["status"]) == (200, "ok")

            status, headers, answer = call(server, "POST", "/api/v1/auth/login", login)
            assert (status, answer) == (503, {"error": "Service temporarily unavailable"})
            assert int(headers["Retry-After"]) >= 1

            status, _, me = call(server, "GET", "/api/v1/auth/me", token=token)
            assert (status, me["username"]) == (200, "outage")

            status, _, message = call(server, "POST", messages_path, {"content": f"during outage {attempt}"}, token)
            assert status == 201, message
            sent.append(message["id"])

        status, _, history = call(server, "GET", f"{messages_path}?limit=100", token=token)
        assert status == 200
        assert {message["id"] for message in history["data"]} >= set(sent)

        redis_server.start()  # same port: the server's pools reconnect by themselves
        deadline = time.monotonic() + 15
        while (status := call(server, "POST", "/api/v1/auth/login", login)[0]) == 503:
            assert time.monotonic() < deadline, "login still refused 15 s after Redis came back"
            time.sleep(0.2)
        assert status == 200

        lines = log_lines(server)
        assert [line for line in lines if line.get("status") == 500] == []
        # 100 requests during the outage, no ERROR for any of them (Django logs each 5xx answer
        # at ERROR unless told otherwise); one limiter warning when it began, one when it ended.
        assert [line["event"] for line in lines if line["level"] == "ERROR"] == []
        down = [line for line in lines if line.get("event", "").startswith("rate limiter unavailable")]
        back = [line for line in lines if line.get("event") == "rate limiter available again"]
        assert len(down) == 1 and down[0]["level"] == "WARNING"
        assert len(back) == 1 and back[0]["level"] == "WARNING"
        assert back[0]["requests_since_last_line"] >= 1
    finally:
        server.terminate()


def test_a_long_outage_logs_a_warning_per_interval_not_per_request(monkeypatch, settings, caplog):
    settings.RATE_LIMIT_LOG_SECONDS, settings.RATE_LIMIT_RETRY_SECONDS = 60, 2
    now = [1000.0]
    monkeypatch.setattr(middleware, "time", SimpleNamespace(monotonic=lambda: now[0], perf_counter=lambda: now[0]))
    calls = []

    def unreachable(*args, **kwargs):
        calls.append(now[0])
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(middleware, "get_usage", unreachable)
    client = Client()
    # Five minutes of one request a second while Redis is away.
    for _ in range(300):
        assert client.get("/api/v1/users/search").status_code == 401  # unlimited: on to the view
        now[0] += 1
    monkeypatch.setattr(middleware, "get_usage", lambda *args, **kwargs: {"should_limit": False})
    assert client.get("/api/v1/users/search").status_code == 401

    lines = [record for record in caplog.records if record.name == "chatapp.errors"]
    assert [record.getMessage().split(":")[0] for record in lines] == ["rate limiter unavailable"] * 5 + [
        "rate limiter available again"
    ]
    assert all(record.levelname == "WARNING" for record in lines)
    assert sum(record.requests_since_last_line for record in lines) == 300
    assert len(calls) == 150  # Redis asked once per 2 s retry interval, not on every request
