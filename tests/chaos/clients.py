"""Chat clients that behave like a careful real one, and keep the books a fault test checks.

A client holds one socket to one of the servers it knows. When the socket drops (any close code,
a refused handshake) it reconnects, to the next server when there are several, and sends `resume`
with the last message id it has; live messages that arrive before `resumed` are held back and
appended after the replay, so what it records is the room in order. A message counts as
acknowledged when its `new_message` echo (matched by `client_msg_id`) reaches the sender; one sent
but not acknowledged is sent again, with the same `client_msg_id`, after the replay of a reconnect.
"""

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field

import websockets

_ids = itertools.count()


@dataclass
class Books:
    delivered: list[str] = field(default_factory=list)  # message ids, in arrival order
    duplicates: int = 0  # the same message id received twice outside a resume
    resume_overlap: int = 0  # live copies received before `resumed` that the replay also carried
    acknowledged: list[str] = field(default_factory=list)  # ids of this client's acknowledged messages
    sent: int = 0
    connects: int = 0
    close_codes: list = field(default_factory=list)
    disconnected_at: float | None = None
    outages: list[float] = field(default_factory=list)  # seconds from a drop to the next `resumed`


class ChatClient:
    def __init__(self, urls: list[str], token: str, room_id: str) -> None:
        self.urls, self.token, self.room_id = urls, token, room_id
        self.server_index = next(_ids) % len(urls)
        self.books = Books()
        self.seen: set[str] = set()
        self.pending: dict[str, float] = {}  # client_msg_id -> first sent
        self.socket = None
        self.ready = asyncio.Event()  # connected and caught up

    @property
    def last_id(self) -> str | None:
        return self.books.delivered[-1] if self.books.delivered else None

    def _record(self, message: dict) -> None:
        if message["id"] in self.seen:
            self.books.duplicates += 1
            return
        self.seen.add(message["id"])
        self.books.delivered.append(message["id"])
        if message.get("client_msg_id") in self.pending:
            del self.pending[message["client_msg_id"]]
            self.books.acknowledged.append(message["id"])

    async def _session(self) -> None:
        url = self.urls[self.server_index]
        if self.books.connects:
            # It will resume: the server holds live messages until the replay is out, so a socket
            # never sends one ahead of older ones it replays (docs/websocket.md).
            url += "?resume=1"
        self.socket = await websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {self.token}"}, open_timeout=10, max_queue=None
        )
        self.books.connects += 1
        greeting = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        if greeting.get("type") != "user_online":
            raise ConnectionError(f"unexpected greeting {greeting}")
        held: list[dict] | None = None
        if self.books.connects > 1:
            held = []
            await self.socket.send(json.dumps({"type": "resume", "payload": {"rooms": {self.room_id: self.last_id}}}))
        else:
            self.ready.set()
        async for text in self.socket:
            event = json.loads(text)
            kind = event["type"]
            if kind == "new_message" and event["payload"]["room_id"] == self.room_id:
                if held is not None and event["payload"]["id"] not in self.seen:
                    held.append(event["payload"])
                else:
                    self._record(event["payload"])
            elif kind == "resumed":
                for message in held or []:
                    if message["id"] in self.seen:
                        self.books.resume_overlap += 1
                    else:
                        self._record(message)
                held = None
                # Still unacknowledged after the replay: send again, same client_msg_id (the server
                # stores it once; sent before the replay, its echo would race the replayed copy).
                for client_msg_id in list(self.pending):
                    await self._send_message(client_msg_id)
                if self.books.disconnected_at is not None:
                    self.books.outages.append(time.monotonic() - self.books.disconnected_at)
                    self.books.disconnected_at = None
                self.ready.set()

    async def _send_message(self, client_msg_id: str) -> None:
        payload = {"room_id": self.room_id, "content": f"m {client_msg_id}", "type": "text"}
        await self.socket.send(
            json.dumps({"type": "send_message", "payload": {**payload, "client_msg_id": client_msg_id}})
        )

    async def send_one(self) -> None:
        """Sends a new message if connected (a real client would queue it; this one just skips)."""
        if self.socket is None or not self.ready.is_set():
            return
        client_msg_id = uuid.uuid4().hex
        self.pending[client_msg_id] = time.monotonic()
        self.books.sent += 1
        try:
            await self._send_message(client_msg_id)
        except websockets.ConnectionClosed:
            pass  # stays pending: sent again after the reconnect

    async def run(self, stop: asyncio.Event) -> None:
        """Stays connected (reconnecting as needed) until `stop` is set."""
        while not stop.is_set():
            try:
                await self._session()
            except (OSError, websockets.WebSocketException, TimeoutError, ConnectionError) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                self.books.close_codes.append(code if code is not None else type(error).__name__)
            self.socket = None
            self.ready.clear()
            if self.books.disconnected_at is None:
                self.books.disconnected_at = time.monotonic()
            if len(self.urls) > 1:
                self.server_index = (self.server_index + 1) % len(self.urls)
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def verify(clients: list[ChatClient], room_ids_in_order: list[str]) -> dict:
    """The figures of a run: every acknowledged message delivered to every client exactly once, in order."""
    position = {message_id: index for index, message_id in enumerate(room_ids_in_order)}
    acknowledged = {message_id for client in clients for message_id in client.books.acknowledged}
    lost = sum(len(acknowledged - set(client.books.delivered)) for client in clients)
    inversions = [
        (position.get(earlier, -1), position.get(later, -1))
        for client in clients
        for earlier, later in itertools.pairwise(client.books.delivered)
        if position.get(earlier, -1) > position.get(later, -1)
    ]
    out_of_order = len(inversions)
    outages = [o for client in clients for o in client.books.outages]
    return {
        "clients": len(clients),
        "messages_sent": sum(client.books.sent for client in clients),
        "messages_stored": len(room_ids_in_order),
        "messages_acknowledged": len(acknowledged),
        "deliveries": sum(len(client.books.delivered) for client in clients),
        "deliveries_expected": len(room_ids_in_order) * len(clients),
        "lost_acknowledged_deliveries": lost,
        "duplicates": sum(client.books.duplicates for client in clients),
        "resume_overlap_dropped_by_client": sum(client.books.resume_overlap for client in clients),
        "out_of_order": out_of_order,
        # (commit position of the earlier-received message, of the later one), a few of them
        "out_of_order_examples": sorted(set(inversions))[:5],
        "reconnects": sum(client.books.connects - 1 for client in clients),
        "max_recovery_seconds": round(max(outages), 2) if outages else 0.0,
    }
