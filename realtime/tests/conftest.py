import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.tokens import token_issue
from chatapp.asgi import application
from realtime.tests.live_servers import start_server


class Client:
    """A WebSocket client for tests: JSON in and out, always disconnected at teardown."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def send(self, event_type: str, payload: dict | None = None, **extra) -> None:
        frame = {"type": event_type, **extra}
        if payload is not None:
            frame["payload"] = payload
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=data)

    async def receive(self, timeout: float = 2) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_type(self, event_type: str, timeout: float = 3) -> dict:
        """Next event of this type, skipping others (presence noise, etc.)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no {event_type} event within {timeout}s")
            event = await self.receive(timeout=remaining)
            if event["type"] == event_type:
                return event

    async def receive_nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def receive_none_of_type(self, event_type: str, timeout: float = 0.5) -> bool:
        """True when no event of this type arrives within `timeout` (other events are skipped).

        Built on receive_nothing: a timed-out receive_from would cancel the application.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            if await self.communicator.receive_nothing(timeout=min(0.05, remaining)):
                continue
            if (await self.receive())["type"] == event_type:
                return False
        return True

    async def receive_close(self, timeout: float = 3) -> int:
        """Skips remaining text frames and returns the close code."""
        while True:
            output = await self.communicator.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output.get("code", 1000)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture(autouse=True)
async def _fresh_channel_layer():
    """A channel layer holds locks and connection pools bound to one event loop, and every test
    runs on a new loop: give each test its own layer and close its pools afterwards."""
    channel_layers.backends.clear()
    yield
    layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    if hasattr(layer, "close_pools"):
        await layer.close_pools()


@pytest.fixture(autouse=True)
async def _close_database_thread_connections():
    """Channels runs ORM calls in a worker thread whose connection outlives the test otherwise."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
async def ws_connect():
    """Opens authenticated (or raw) sockets; disconnects all of them after the test."""
    opened: list[WebsocketCommunicator] = []

    async def connect(
        user=None, *, token: str | None = None, headers=None, origin: str | None = None, expect_ok=True, query: str = ""
    ):
        all_headers = list(headers or [])
        if origin is not None:
            all_headers.append((b"origin", origin.encode()))
        if user is not None or token is not None:
            all_headers.append((b"authorization", f"Bearer {token or token_issue(user)}".encode()))
        communicator = WebsocketCommunicator(application, f"/api/v1/ws{query}", headers=all_headers)
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=5)
        client = Client(communicator)
        client.connected = connected
        if expect_ok and (user is not None or token is not None):
            assert connected
            welcome = await client.receive_type("user_online")
            assert welcome["payload"]["message"] == "Connected to chat server"
        return client

    yield connect
    for communicator in opened:
        await communicator.disconnect()


@pytest.fixture
def servers(tmp_path):
    """`servers(**env)` starts a live `serve` process; every one started is killed after the test."""
    started = []

    def start(**env):
        server = start_server(tmp_path, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
