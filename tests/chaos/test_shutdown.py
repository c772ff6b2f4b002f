"""SIGTERM with 1,000 open sockets while messages are being sent."""

import asyncio
import json
import signal
import time
import uuid

import pytest
import websockets

from tests.chaos.helpers import register_users, report, shared_room, stored_message_ids

pytestmark = pytest.mark.chaos

# 1,000 sockets of 50 users; 5 of them (100 sockets) share the room the messages go to, so the
# 2-core test machine relays ~2,000 frames/s instead of drowning in 100 copies of each message.
SOCKETS, USERS, MEMBERS = 1000, 50, 5


class Socket:
    def __init__(self, server, token: str, room_id: str) -> None:
        self.server, self.token, self.room_id = server, token, room_id
        self.pending: set[str] = set()
        self.acknowledged: list[str] = []
        self.close_code = None
        self.closed_at = None

    async def open(self) -> None:
        self.socket = await websockets.connect(
            self.server.ws, additional_headers={"Authorization": f"Bearer {self.token}"}, open_timeout=60
        )
        assert json.loads(await asyncio.wait_for(self.socket.recv(), 60))["type"] == "user_online"

    async def read(self) -> None:
        try:
            async for text in self.socket:
                event = json.loads(text)
                if event["type"] == "new_message" and event["payload"].get("client_msg_id") in self.pending:
                    self.pending.discard(event["payload"]["client_msg_id"])
                    self.acknowledged.append(event["payload"]["id"])
        except websockets.ConnectionClosed:
            pass
        self.closed_at = time.monotonic()
        self.close_code = self.socket.close_code

    async def send_forever(self) -> None:
        try:
            while True:
                client_msg_id = uuid.uuid4().hex
                self.pending.add(client_msg_id)
                payload = {"room_id": self.room_id, "content": "bye", "client_msg_id": client_msg_id}
                await self.socket.send(json.dumps({"type": "send_message", "payload": payload}))
                await asyncio.sleep(0.25)
        except websockets.ConnectionClosed:
            pass


async def test_sigterm_closes_1000_sockets_with_1001_and_keeps_every_acknowledged_message(
    chaos_servers, private_postgres
):
    server = chaos_servers()
    tokens = register_users(server, USERS)
    room_id = shared_room(server, tokens[:MEMBERS])
    sockets = [Socket(server, tokens[i % USERS], room_id) for i in range(SOCKETS)]
    opening = asyncio.Semaphore(100)

    async def open_one(socket: Socket) -> None:
        async with opening:
            await socket.open()

    started = time.monotonic()
    await asyncio.gather(*(open_one(s) for s in sockets))
    connect_seconds = time.monotonic() - started
    readers = [asyncio.create_task(s.read()) for s in sockets]
    senders = [asyncio.create_task(s.send_forever()) for s in sockets[:MEMBERS]]
    await asyncio.sleep(2)

    sigterm_at = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_code = await asyncio.to_thread(server.process.wait, 15)
    exited_after = time.monotonic() - sigterm_at
    await asyncio.wait_for(asyncio.gather(*readers), 15)
    for task in senders:
        task.cancel()
    await asyncio.gather(*senders, return_exceptions=True)

    stored = set(stored_message_ids(private_postgres.url, room_id))
    acknowledged = [m for s in sockets for m in s.acknowledged]
    codes: dict[str, int] = {}
    for s in sockets:
        codes[str(s.close_code)] = codes.get(str(s.close_code), 0) + 1
    figures = {
        "sockets": SOCKETS,
        "connect_seconds": round(connect_seconds, 2),
        "close_codes": codes,
        "last_close_seconds_after_sigterm": round(max(s.closed_at for s in sockets) - sigterm_at, 2),
        "exit_code": exit_code,
        "exit_seconds_after_sigterm": round(exited_after, 2),
        "messages_stored": len(stored),
        "messages_acknowledged": len(acknowledged),
        "acknowledged_missing_from_database": sum(1 for m in acknowledged if m not in stored),
    }
    report("sigterm_1000_sockets", figures)
    assert codes == {"1001": SOCKETS}, figures
    assert figures["last_close_seconds_after_sigterm"] < 10 and exited_after < 10, figures
    assert exit_code == 0, figures
    assert figures["messages_acknowledged"] > 0 and figures["acknowledged_missing_from_database"] == 0, figures
