"""End to end: real server processes, real WebSocket clients, the real Redis and PostgreSQL."""

import asyncio
import json
import time

import pytest
import websockets

from realtime.tests.live_servers import register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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


async def next_event(socket, event_type: str, timeout: float = 5) -> dict:
    async def wait() -> dict:
        while True:
            event = json.loads(await socket.recv())
            if event["type"] == event_type:
                return event

    return await asyncio.wait_for(wait(), timeout)


async def test_two_processes_share_messages_and_presence(servers):
    first, second = servers(), servers()
    alice = register(first, "alice")
    bob = register(second, "bob")
    status, room = first.post("/api/v1/rooms", {"name": "General", "type": "public"}, alice)
    assert status == 201, room
    assert second.post(f"/api/v1/rooms/{room['id']}/join", {}, bob)[0] == 200
    _, bob_user = second.post("/api/v1/auth/login", {"username": "bob", "password": "secret123"})
    bob_id = bob_user["user"]["id"]

    alice_socket = await open_socket(first, alice)
    bob_on_second = await open_socket(second, bob)
    assert (await next_event(alice_socket, "user_online"))["payload"]["user_id"] == bob_id
    bob_on_first = await open_socket(first, bob)  # a second tab, served by the other process

    await alice_socket.send(
        json.dumps({"type": "send_message", "payload": {"room_id": room["id"], "content": "across", "type": "text"}})
    )
    delivered = await next_event(bob_on_second, "new_message")
    assert delivered["payload"]["content"] == "across"
    assert (await next_event(bob_on_first, "new_message"))["payload"]["id"] == delivered["payload"]["id"]

    await bob_on_second.close()
    with pytest.raises(asyncio.TimeoutError):
        await next_event(alice_socket, "user_offline", timeout=0.5)
    await bob_on_first.close()
    offline = await next_event(alice_socket, "user_offline")
    assert offline["payload"]["user_id"] == bob_id
    await alice_socket.close()


async def test_reconnect_storm_of_300_sockets_all_connect(servers):
    """Every socket of a storm gets in: the Redis pools queue callers instead of failing."""
    server = servers(REDIS_POOL_SIZE="8")  # a small pool makes the storm the worst case
    token = register(server, "stormy")

    async def connect() -> dict:
        socket = await websockets.connect(
            server.ws, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=30
        )
        try:
            return json.loads(await asyncio.wait_for(socket.recv(), 30))
        finally:
            await socket.close()

    greetings = await asyncio.gather(*(connect() for _ in range(300)))
    assert all(g["payload"].get("message") == "Connected to chat server" for g in greetings)
    assert "Too many connections" not in server.log()


async def test_users_of_a_killed_process_go_offline_after_the_presence_expiry(servers):
    quick_presence = {"PRESENCE_TTL_SECONDS": "3", "PRESENCE_REFRESH_SECONDS": "1"}
    survivor, doomed = servers(**quick_presence), servers(**quick_presence)
    alice, bob = register(survivor, "alice"), register(doomed, "bob")
    _, room = survivor.post("/api/v1/rooms", {"name": "General", "type": "public"}, alice)
    doomed.post(f"/api/v1/rooms/{room['id']}/join", {}, bob)
    alice_socket = await open_socket(survivor, alice)
    await open_socket(doomed, bob)
    bob_id = (await next_event(alice_socket, "user_online"))["payload"]["user_id"]

    doomed.kill()  # SIGKILL: no disconnect handler runs, nobody says bob left
    started = time.monotonic()
    offline = await next_event(alice_socket, "user_offline", timeout=15)
    assert offline["payload"]["user_id"] == bob_id
    assert time.monotonic() - started < 3 + 1 + 3  # expiry + refresh period + slack
    await alice_socket.close()


async def test_a_socket_that_never_answers_pings_is_dropped(servers):
    import base64
    import os
    import socket as sockets

    server = servers(WS_PING_INTERVAL_SECONDS="1", WS_PING_TIMEOUT_SECONDS="1")
    token = register(server, "silent")
    raw = sockets.create_connection(("127.0.0.1", server.port), timeout=15)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    started = time.monotonic()
    received = b""
    # Read (never answering the pings) until the server closes or resets the connection.
    try:
        while chunk := await asyncio.to_thread(raw.recv, 65536):
            received += chunk
    except ConnectionResetError:
        pass  # dropped by the server: what this test waits for
    raw.close()
    assert b"101 Switching Protocols" in received
    assert b"Connected to chat server" in received
    assert b"\x89" in received, "the server pinged"
    assert time.monotonic() - started < 12


async def test_the_embedded_default_serves_chat_without_postgres_or_redis(servers):
    """`make run` on a fresh machine: SQLite, the in-memory channel layer, local presence."""
    server = servers(embedded=True)
    alice, bob = register(server, "alice"), register(server, "bob")
    status, room = server.post("/api/v1/rooms", {"name": "General", "type": "public"}, alice)
    assert status == 201, room
    assert server.post(f"/api/v1/rooms/{room['id']}/join", {}, bob)[0] == 200
    alice_socket, bob_socket = await open_socket(server, alice), await open_socket(server, bob)
    assert (await next_event(alice_socket, "user_online"))["payload"]["username"] == "bob"
    await alice_socket.send(json.dumps({"type": "send_message", "payload": {"room_id": room["id"], "content": "hi"}}))
    assert (await next_event(bob_socket, "new_message"))["payload"]["content"] == "hi"
    await bob_socket.close()
    assert (await next_event(alice_socket, "user_offline"))["payload"]["username"] == "bob"
    await alice_socket.close()
