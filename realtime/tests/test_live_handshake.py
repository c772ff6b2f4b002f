"""WebSocket handshakes against a real `serve` process whose PostgreSQL is unreachable."""

import asyncio
import json

import pytest
import websockets
from channels.db import database_sync_to_async

from accounts.models import User
from accounts.tokens import token_issue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def close_code(socket) -> int | None:
    try:
        while True:
            await asyncio.wait_for(socket.recv(), 10)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def test_with_the_database_down_a_handshake_closes_with_4503_and_logs_no_error(servers):  # noqa: F811
    user = await database_sync_to_async(User.objects.create_user)("alice", "alice@example.com", "secret123")
    token = token_issue(user)  # signed with the server's key: only the database can refuse it
    server = servers(DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere", DB_CONNECT_TIMEOUT="1")

    header = await websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {token}"})
    first_message = await websockets.connect(server.ws)
    assert json.loads(await first_message.recv()) == {"type": "auth_required"}
    await first_message.send(json.dumps({"type": "auth", "payload": {"token": token}}))

    assert await close_code(header) == 4503, "retry and resume, as when Redis is away"
    assert await close_code(first_message) == 4503
    log = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    refused = [line for line in log if line["event"] == "websocket refused while the database is unavailable"]
    assert [line["level"] for line in refused] == ["WARNING", "WARNING"]
    assert not [line for line in log if line["level"] in ("ERROR", "CRITICAL")]
    assert "Traceback" not in server.log()
