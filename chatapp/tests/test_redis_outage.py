"""A live `serve` whose Redis goes away: the rate limiter never turns the outage into 500s.

The API fails open (its calls need a valid token), register and login fail closed with 503 and
Retry-After (the per-IP limit is what slows a password guesser down), the outage is logged in a
couple of lines rather than one per request, and what users write meanwhile is kept.
"""

import json
import time
import urllib.error
import urllib.request

import pytest

from realtime.tests.live_servers import LiveServer, start_server
from tests.chaos.services import PrivateRedis

pytestmark = pytest.mark.django_db(transaction=True)

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
