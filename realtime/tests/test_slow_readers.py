"""A client that stops reading is cut off once WS_MAX_BUFFERED_BYTES wait for it, against a live `serve`."""

import asyncio
import json
import socket
import time

import pytest
import websockets

from realtime.tests.live_servers import open_non_reading_socket, register, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIMIT = 64 * 1024  # the setting's minimum
SENDERS, PER_SENDER = 4, 38  # within each socket's burst of 40 frames
CONTENT = "x" * 1900  # 152 messages: ~350 KB for every member's socket


@pytest.fixture
def server(tmp_path):
    server = start_server(tmp_path, WS_MAX_BUFFERED_BYTES=str(LIMIT))
    yield server
    server.kill()


def connection_dropped(raw: socket.socket) -> bool:
    """Whether the server has closed or reset the connection (reads what was left for it)."""
    raw.settimeout(5)
    try:
        while raw.recv(1 << 20):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False  # nothing more comes, yet the connection is open
    return True


async def test_a_client_that_stops_reading_is_cut_off_at_the_limit_and_others_get_everything(server):
    alice, bob, carol = (register(server, name) for name in ("alice", "bob", "carol"))
    status, room = server.post("/api/v1/rooms", {"name": "busy", "type": "public"}, alice)
    assert status == 201, room
    for token in (bob, carol):
        assert server.post(f"/api/v1/rooms/{room['id']}/join", {}, token)[0] == 200
    slow = open_non_reading_socket(server.port, bob)
    observer = await websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {carol}"})
    senders = [
        await websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {alice}"})
        for _ in range(SENDERS)
    ]
    try:
        for sender in senders:
            for _ in range(PER_SENDER):
                payload = {"room_id": room["id"], "content": CONTENT}
                await sender.send(json.dumps({"type": "send_message", "payload": payload}))

        async def receive_all() -> int:
            received = 0
            while received < SENDERS * PER_SENDER:
                if json.loads(await observer.recv())["type"] == "new_message":
                    received += 1
            return received

        # A reader in the same room gets every message while the other socket backs up.
        assert await asyncio.wait_for(receive_all(), 30) == SENDERS * PER_SENDER

        # ~350 KB waited for the non-reading socket: far past the limit, though all of it fits in
        # the kernel's send buffer. The cut-off runs once a second.
        deadline = time.monotonic() + 10
        # The server is another process: its log can only be polled.
        while "write buffer over limit" not in server.log() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        assert "write buffer over limit" in server.log()
        assert connection_dropped(slow)
    finally:
        slow.close()
        for ws in [observer, *senders]:
            await ws.close()
