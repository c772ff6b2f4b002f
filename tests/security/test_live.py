"""Against real `manage.py serve` processes: rate limits shared by two processes, and no secret in
any log line of a whole session (register, login, REST, WebSocket, logout, a 500)."""

import asyncio
import json
import re
import urllib.request

import pytest
import websockets
from django.core.cache import cache
from rest_framework.test import APIClient

from realtime.tests.live_servers import start_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_thousand_spoofed_forwarded_for_values_still_hit_the_limit_at_ten():
    client = APIClient()
    codes = [
        client.post(
            "/api/v1/auth/login",
            {"email": "nobody@example.com", "password": "wrong-password"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.{i // 256}.{i % 256}",
        ).status_code
        for i in range(1000)
    ]
    # A fixed window may turn over once during the run: at most 2 x 10 logins get through.
    assert codes[:10] == [401] * 10
    assert codes.count(401) <= 20
    assert codes.count(429) >= 980


def test_the_eleventh_login_across_two_processes_is_429(tmp_path):
    cache.clear()
    # An hour-long window, so the eleven attempts cannot straddle a window boundary.
    first, second = (start_server(tmp_path, RATE_LIMIT_AUTH="10/h") for _ in range(2))
    try:
        body = {"email": "nobody@example.com", "password": "wrong-password"}
        codes = [(first if i % 2 else second).post("/api/v1/auth/login", body)[0] for i in range(11)]
        assert codes == [401] * 10 + [429]
        assert first.post("/api/v1/auth/login", body)[0] == 429
    finally:
        first.terminate()
        second.terminate()


SECRET_PATTERNS = [re.compile(r"eyJ[A-Za-z0-9_-]{5,}"), re.compile(r"(?i)bearer\s+[A-Za-z0-9]")]


@pytest.mark.usefixtures("ws_cleanup")
async def test_no_token_password_or_authorization_header_in_any_log_line(tmp_path):
    server = start_server(tmp_path, LOG_LEVEL="DEBUG")
    password = "Sup3r-secret-pa55"
    try:
        status, registered = server.post(
            "/api/v1/auth/register", {"username": "loggy", "email": "loggy@example.com", "password": password}
        )
        assert status == 201
        status, logged_in = server.post("/api/v1/auth/login", {"email": "loggy@example.com", "password": password})
        token = logged_in["token"]
        status, room = server.post("/api/v1/rooms", {"name": "Logs"}, token=token)
        assert status == 201
        server.post(f"/api/v1/rooms/{room['id']}/messages", {"content": f"my password is {password}"}, token=token)
        server.post("/api/v1/auth/login", {"email": "loggy@example.com", "password": password + "x"})
        request = urllib.request.Request(server.http + f"/api/v1/auth/me?token={token}&password={password}")
        request.add_header("Authorization", f"Bearer {token}")
        (await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)).close()
        async with websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {token}"}) as socket:
            await socket.recv()
            await socket.send(
                json.dumps({"type": "send_message", "payload": {"room_id": room["id"], "content": token}})
            )
            await socket.send(json.dumps({"type": "auth", "payload": {"token": token}}))
            await socket.send("not json " + token)
            await asyncio.sleep(0.3)
        async with websockets.connect(server.ws) as socket:
            await socket.recv()
            await socket.send(json.dumps({"type": "auth", "payload": {"token": token + "tampered"}}))
            await asyncio.sleep(0.3)
        # Odd input around secrets: a NUL byte in the username beside the password.
        server.post("/api/v1/auth/login", {"username": "a\x00" + password, "password": password})
        assert server.post("/api/v1/auth/logout", {}, token=token)[0] == 200
        registered_token = registered["token"]
    finally:
        server.terminate()
    log = server.log()
    assert '"path": "/api/v1/auth/logout"' in log or "/api/v1/auth/logout" in log  # the session was logged
    for secret in (token, registered_token, password, token.split(".")[2], registered_token.split(".")[2]):
        assert secret not in log
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(log), pattern.search(log)
    assert "authorization" not in log.lower()


@pytest.mark.django_db
def test_a_500_logs_its_traceback_without_the_token_or_password(api_client_for, user, json_log_lines, monkeypatch):
    """The server's own handler and filters (conftest json_log_lines) on an unhandled error whose
    message carries the secrets, as a careless library might."""
    from accounts import apis

    client = api_client_for(user)
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]

    def explode(self, request):
        raise RuntimeError(f"boom Authorization: Bearer {token} password=secret123 {token}")

    monkeypatch.setattr(apis.MeApi, "get", explode)
    client.raise_request_exception = False
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error"}
    output = json_log_lines.getvalue()
    assert "unhandled error" in output and "RuntimeError" in output
    assert token not in output and token.split(".")[2] not in output
    assert "secret123" not in output
