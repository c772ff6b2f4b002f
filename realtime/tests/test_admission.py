"""Who may open a WebSocket (origins, sockets per user, handshakes per address) and how often a
user's typing and join announcements reach a room."""

import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from accounts.tokens import token_issue
from chatapp.asgi import application
from realtime.admission import EphemeralThrottle
from realtime.hub import get_hub
from realtime.tests.conftest import Client
from rooms.services import room_create, room_join

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def create_user(username: str) -> User:
    return User.objects.create_user(username, f"{username}@example.com", "secret123")


@database_sync_to_async
def shared_room(owner: User, *members: User) -> str:
    room = room_create(creator=owner, name="Shared")
    for member in members:
        room_join(room_id=room.id, user=member)
    return str(room.id)


async def events_until_quiet(client: Client, quiet: float = 0.4) -> list[str]:
    """The type of every event that arrives until none has for `quiet` seconds (presence aside)."""
    kinds = []
    while not await client.receive_nothing(timeout=quiet):
        kind = (await client.receive())["type"]
        if kind not in ("user_online", "user_offline"):
            kinds.append(kind)
    return kinds


class TestEphemeralThrottle:
    def test_alternating_stop_typing_does_not_reopen_the_typing_allowance(self):
        throttle = EphemeralThrottle(interval=1.0)
        announced = [
            kind
            for step in range(20)
            for kind in ("typing", "stop_typing")
            if throttle.allow(kind, "user", "room", now=step * 0.04)
        ]
        assert announced == ["typing", "stop_typing"]

    def test_typing_is_announced_again_after_the_interval(self):
        throttle = EphemeralThrottle(interval=1.0)
        assert throttle.allow("typing", "user", "room", now=0.0)
        assert not throttle.allow("typing", "user", "room", now=0.5)
        assert throttle.allow("typing", "user", "room", now=1.0)

    def test_stop_typing_without_an_announced_typing_is_not_announced(self):
        assert not EphemeralThrottle(interval=1.0).allow("stop_typing", "user", "room", now=0.0)

    def test_allowances_are_per_user_and_room(self):
        throttle = EphemeralThrottle(interval=1.0)
        assert throttle.allow("typing", "alice", "room-1", now=0.0)
        assert throttle.allow("typing", "alice", "room-2", now=0.0)
        assert throttle.allow("typing", "bob", "room-1", now=0.0)
        assert throttle.allow("user_joined", "alice", "room-1", now=0.0)
        assert not throttle.allow("user_joined", "alice", "room-1", now=0.1)


class TestEphemeralEvents:
    async def test_a_users_sockets_alternating_typing_and_stop_typing_announce_once_each(self, ws_connect):
        alice, bob = await create_user("alice"), await create_user("bob")
        room_id = await shared_room(alice, bob)
        watcher = await ws_connect(bob)
        flooders = [await ws_connect(alice) for _ in range(3)]
        get_hub().ephemeral.clock = lambda: 1000.0  # all within one interval, however slow the machine
        for _ in range(5):
            for flooder in flooders:
                await flooder.send("typing", {"room_id": room_id})
                await flooder.send("stop_typing", {"room_id": room_id})
        assert await events_until_quiet(watcher) == ["typing", "stop_typing"]

    async def test_join_room_of_a_room_this_socket_joined_announces_nothing(self, ws_connect):
        alice, bob = await create_user("alice"), await create_user("bob")
        room_id = await shared_room(alice, bob)
        watcher, joiner = await ws_connect(alice), await ws_connect(bob)
        for _ in range(5):
            await joiner.send("join_room", {"room_id": room_id})
        assert await events_until_quiet(watcher) == ["user_joined"]
        assert await joiner.receive_none_of_type("error", timeout=0.1), "a repeated join is not an error"


class TestSocketsPerUser:
    async def test_a_socket_over_the_users_allowance_is_closed_with_4429_saying_why(self, ws_connect, settings):
        settings.WS_MAX_SOCKETS_PER_USER = 2
        alice = await create_user("alice")
        first, _ = await ws_connect(alice), await ws_connect(alice)
        third = await ws_connect(alice, expect_ok=False)
        assert await third.receive() == {"type": "error", "payload": {"error": "Too many connections for this user"}}
        assert await third.receive_close() == 4429
        await first.close()
        assert (await ws_connect(alice, expect_ok=False)).connected, "a closed socket gives its place back"

    async def test_other_users_are_not_affected_by_one_users_allowance(self, ws_connect, settings):
        settings.WS_MAX_SOCKETS_PER_USER = 1
        alice, bob = await create_user("alice"), await create_user("bob")
        await ws_connect(alice)
        await ws_connect(bob)  # greeted as connected


@pytest.fixture
async def handshake_from():
    opened: list[WebsocketCommunicator] = []

    async def connect(address: str, user: User, headers: list | None = None) -> bool:
        communicator = WebsocketCommunicator(
            application,
            "/api/v1/ws",
            headers=[(b"authorization", f"Bearer {token_issue(user)}".encode()), *(headers or [])],
        )
        communicator.scope["client"] = (address, 50000)  # the application reads it on connect
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=5)
        return connected

    yield connect
    for communicator in opened:
        await communicator.disconnect()


class TestHandshakesPerAddress:
    async def test_handshakes_past_the_minutes_allowance_are_refused_with_403_and_logged(
        self, handshake_from, settings, caplog
    ):
        settings.WS_HANDSHAKES_PER_IP_PER_MINUTE = 2
        alice = await create_user("alice")
        caplog.set_level(logging.WARNING, logger="realtime.consumers")
        assert [await handshake_from("198.51.100.7", alice) for _ in range(4)] == [True, True, False, False]
        refusals = [r for r in caplog.records if r.getMessage() == "websocket handshake refused"]
        assert len(refusals) == 1, "logged once per address and minute, not per attempt"
        assert refusals[0].client == "198.51.100.7" and "WS_HANDSHAKES_PER_IP_PER_MINUTE" in refusals[0].reason
        assert await handshake_from("198.51.100.8", alice), "another address has its own allowance"

    async def test_with_the_cache_unreachable_handshakes_go_uncounted_instead_of_failing(
        self, handshake_from, monkeypatch, caplog
    ):
        from redis.exceptions import ConnectionError as RedisConnectionError

        class UnreachableCache:
            def add(self, *args, **kwargs):
                raise RedisConnectionError("Connection refused")

        monkeypatch.setattr("realtime.admission.cache", UnreachableCache())
        caplog.set_level(logging.WARNING, logger="realtime.admission")
        alice = await create_user("alice")
        assert await handshake_from("198.51.100.9", alice)
        assert "websocket handshakes not counted: the cache is unavailable" in caplog.text


class TestSameOrigin:
    """A page served by this server may open its WebSocket whatever the port; ALLOWED_ORIGINS is
    for other origins."""

    @pytest.mark.parametrize("host", ["127.0.0.1:19101", "localhost:19101", "LOCALHOST:19101"])
    async def test_a_page_of_this_server_connects_on_any_port(self, ws_connect, host):
        alice = await create_user("alice")
        client = await ws_connect(alice, origin=f"http://{host.lower()}", headers=[(b"host", host.encode())])
        assert client.connected

    async def test_a_default_port_is_the_same_written_or_not(self, ws_connect):
        alice = await create_user("alice")
        client = await ws_connect(alice, origin="https://localhost", headers=[(b"host", b"localhost:443")])
        assert client.connected

    @pytest.mark.parametrize(
        "origin,host,reason",
        [
            ("http://localhost:19101", "127.0.0.1:19101", "neither this server"),
            ("http://127.0.0.1:19102", "127.0.0.1:19101", "neither this server"),
            ("http://evil.example:19101", "evil.example:19101", "not in ALLOWED_HOSTS"),
            ("https://localhost:19101", "localhost:19102", "neither this server"),
            ("null", "localhost:19101", "not an http(s) origin"),
        ],
    )
    async def test_other_origins_are_refused_with_a_warning_naming_origin_and_reason(
        self, ws_connect, caplog, origin, host, reason
    ):
        alice = await create_user("alice")
        caplog.set_level(logging.WARNING, logger="realtime.consumers")
        client = await ws_connect(alice, origin=origin, headers=[(b"host", host.encode())], expect_ok=False)
        assert not client.connected
        [refusal] = [r for r in caplog.records if r.getMessage() == "websocket handshake refused"]
        assert refusal.levelno == logging.WARNING and refusal.origin == origin and reason in refusal.reason


async def test_throttled_typing_still_reaches_the_room_after_the_interval(ws_connect):
    """The allowance slows typing down; it never silences a user for good."""
    alice, bob = await create_user("alice"), await create_user("bob")
    room_id = await shared_room(alice, bob)
    watcher, typist = await ws_connect(bob), await ws_connect(alice)
    now = [1000.0]
    get_hub().ephemeral.clock = lambda: now[0]
    await typist.send("typing", {"room_id": room_id})
    assert (await watcher.receive_type("typing"))["payload"]["user_id"] == str(alice.id)
    await typist.send("typing", {"room_id": room_id})
    assert await watcher.receive_none_of_type("typing", timeout=0.3), "within the interval"
    now[0] += 1.0
    await typist.send("typing", {"room_id": room_id})
    assert (await watcher.receive_type("typing"))["payload"]["user_id"] == str(alice.id)
