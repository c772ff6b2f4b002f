"""End to end: real server processes, real WebSocket clients, the real Redis and PostgreSQL."""

import asyncio
import json
import time

import pytest
import websockets

from realtime.tests.live_servers import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(**env):
        server = start_server(tmp_path, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def register(server, username: str) -> str:
    status, body = server.post(
        "/api/v1/auth/register", {"username": username, "email": f"{username}@example.com", "password": "secret123"}
    )
    assert status == 201, body
    return body["token"]


async def open_socket(server, token: str):
    socket = await websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {token}"})
    greeting = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert greeting["payload"]["message"] == "Connected to chat server"
    return socket


async def test_sigterm_closes_every_socket_with_1001_and_exits_zero(servers):
    server = servers()
    tokens = [register(server, f"user{i}") for i in range(3)]
    sockets = [await open_socket(server, tokens[i % 3]) for i in range(30)]
    started = time.monotonic()
    server.process.send_signal(__import__("signal").SIGTERM)

    async def close_code(socket) -> int | None:
        try:
            await asyncio.wait_for(socket.recv(), 10)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return None

    codes = await asyncio.gather(*(close_code(s) for s in sockets))
    assert codes == [1001] * 30
    assert server.process.wait(timeout=10) == 0
    assert time.monotonic() - started < 10


async def test_over_size_frame_closes_with_1009(servers):
    server = servers()
    socket = await open_socket(server, register(server, "alice"))
    await socket.send(json.dumps({"type": "ping", "payload": {"pad": "x" * 70_000}}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 1009
