"""A client that resumes the way docs/websocket.md says a client should, and books per socket.

It opens every socket with `?resume=1` and sends `resume` first thing, from its contiguous cursor
(the newest message up to which it holds the room without a gap), with no buffering of its own:
whatever the server sends is recorded as it comes. The books say, per socket, whether a message
came twice or after a newer one, and per client, whether it first saw messages out of commit
order or was sent again a message its cursor had passed.
"""

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field

import websockets

RESUME_LATENCY_SECONDS = 0.3


@dataclass
class SocketBooks:
    received: list[str] = field(default_factory=list)  # new_message ids of the room, as they came


@dataclass
class ResumingBooks:
    sockets: list[SocketBooks] = field(default_factory=list)
    first_seen: list[str] = field(default_factory=list)  # each message id once, when first received
    behind_cursor: int = 0  # received again though the cursor had passed it: a duplicate for the client
    refetched_past_gap: int = 0  # received again, held past a gap the cursor had not crossed
    acknowledged: list[str] = field(default_factory=list)
    sent: int = 0
    connects: int = 0
    close_codes: list = field(default_factory=list)


class ResumingClient:
    def __init__(self, url: str, token: str, room_id: str) -> None:
        self.url, self.token, self.room_id = url, token, room_id
        self.books = ResumingBooks()
        self.held: set[str] = set()
        self.cursor: str | None = None
        self.passed: set[str] = set()  # ids at or before the cursor
        self.waiting: dict[str | None, str] = {}  # prev_id -> id, held past a gap
        self.pending: dict[str, float] = {}
        self.socket = None
        self.ready = asyncio.Event()

    def _advance(self, message_id: str) -> None:
        self.cursor = message_id
        self.passed.add(message_id)
        while self.cursor in self.waiting:
            self.cursor = self.waiting.pop(self.cursor)
            self.passed.add(self.cursor)

    def _record(self, socket: SocketBooks, message: dict) -> None:
        message_id = message["id"]
        socket.received.append(message_id)
        if message_id in self.held:
            if message_id in self.passed:
                self.books.behind_cursor += 1
            else:
                self.books.refetched_past_gap += 1
        else:
            self.held.add(message_id)
            self.books.first_seen.append(message_id)
        if message.get("client_msg_id") in self.pending:
            del self.pending[message["client_msg_id"]]
            self.books.acknowledged.append(message_id)
        if message_id in self.passed:
            return
        if message.get("prev_id") == self.cursor:
            self._advance(message_id)
        else:
            self.waiting[message.get("prev_id")] = message_id

    async def _session(self) -> None:
        self.socket = await websockets.connect(
            self.url + "?resume=1",
            additional_headers={"Authorization": f"Bearer {self.token}"},
            open_timeout=10,
            max_queue=None,
        )
        self.books.connects += 1
        books = SocketBooks()
        self.books.sockets.append(books)
        greeting = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        if greeting.get("type") != "user_online":
            raise ConnectionError(f"unexpected greeting {greeting}")
        # A client on a slow link: its `resume` reaches the server up to RESUME_LATENCY_SECONDS
        # after the greeting left it, while the room's live messages are already on their way.
        await asyncio.sleep(random.uniform(0, RESUME_LATENCY_SECONDS))
        await self.socket.send(json.dumps({"type": "resume", "payload": {"rooms": {self.room_id: self.cursor}}}))
        last_on_socket = None
        async for text in self.socket:
            event = json.loads(text)
            if event["type"] == "new_message" and event["payload"]["room_id"] == self.room_id:
                self._record(books, event["payload"])
                last_on_socket = event["payload"]["id"]
            elif event["type"] == "resumed":
                if self.room_id not in event["payload"]["truncated"]:
                    # Replayed to the room's newest: everything up to the last message is held.
                    if last_on_socket is not None:
                        self._advance(last_on_socket)
                    self.waiting.clear()
                for client_msg_id in list(self.pending):
                    await self._send(client_msg_id)
                self.ready.set()

    async def _send(self, client_msg_id: str) -> None:
        payload = {"room_id": self.room_id, "content": f"m {client_msg_id}", "type": "text"}
        await self.socket.send(
            json.dumps({"type": "send_message", "payload": {**payload, "client_msg_id": client_msg_id}})
        )

    async def send_one(self) -> None:
        if self.socket is None or not self.ready.is_set():
            return
        client_msg_id = uuid.uuid4().hex
        self.pending[client_msg_id] = time.monotonic()
        self.books.sent += 1
        try:
            await self._send(client_msg_id)
        except websockets.ConnectionClosed:
            pass  # sent again after the next `resumed`

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._session()
            except (OSError, websockets.WebSocketException, TimeoutError, ConnectionError) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                self.books.close_codes.append(code if code is not None else type(error).__name__)
            self.socket = None
            self.ready.clear()
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def inversions(received: list[str], position: dict[str, int]) -> int:
    return sum(1 for a, b in zip(received, received[1:], strict=False) if position.get(a, -1) > position.get(b, -1))


def verify_resuming(clients: list[ResumingClient], stored: list[str]) -> dict:
    position = {message_id: index for index, message_id in enumerate(stored)}
    acknowledged = {m for c in clients for m in c.books.acknowledged}
    sockets = [s for c in clients for s in c.books.sockets]
    return {
        "clients": len(clients),
        "sockets_opened": len(sockets),
        "messages_sent": sum(c.books.sent for c in clients),
        "messages_stored": len(stored),
        "messages_acknowledged": len(acknowledged),
        "lost_acknowledged_deliveries": sum(len(acknowledged - c.held) for c in clients),
        "lost_stored_deliveries": sum(len(set(stored) - c.held) for c in clients),
        "duplicates_per_socket": sum(len(s.received) - len(set(s.received)) for s in sockets),
        "out_of_order_per_socket": sum(inversions(s.received, position) for s in sockets),
        "duplicates_per_client": sum(c.books.behind_cursor for c in clients),
        "out_of_order_per_client": sum(inversions(c.books.first_seen, position) for c in clients),
        "refetched_past_a_gap": sum(c.books.refetched_past_gap for c in clients),
        "cursors_at_newest": sum(1 for c in clients if stored and c.cursor == stored[-1]),
        "reconnects": sum(c.books.connects - 1 for c in clients),
    }
