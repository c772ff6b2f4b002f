"""The process hub: one channel-layer membership per group per process, renewed before expiry."""

import asyncio
import copy

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.models import User
from broadcast.groups import room_group, user_group
from realtime.hub import get_hub
from realtime.presence import get_presence
from rooms.services import room_create, room_join

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def room_with_members(count: int):
    owner = User.objects.create_user("owner", "owner@example.com", "secret123")
    room = room_create(creator=owner, name="General")
    members = [owner]
    for i in range(count - 1):
        member = User.objects.create_user(f"member{i}", f"member{i}@example.com", "secret123")
        room_join(room_id=room.id, user=member)
        members.append(member)
    return room, members


async def group_size(group: str) -> int:
    layer = get_channel_layer()
    key = layer._group_key(group)
    return await layer.connection(layer.consistent_hash(group)).zcard(key)


async def test_a_process_joins_a_group_once_however_many_local_sockets_it_has(ws_connect):
    room, members = await room_with_members(6)
    sockets = [await ws_connect(member) for member in members]
    assert await group_size(room_group(room.id)) == 1
    assert len(get_hub().members[room_group(room.id)]) == 6
    for socket in sockets:
        await socket.close()
    assert await group_size(room_group(room.id)) == 0, "the last local socket leaving leaves the group"


async def test_a_socket_open_longer_than_the_group_expiry_still_receives(ws_connect, settings):
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"].setdefault("CONFIG", {})["group_expiry"] = 3
    settings.CHANNEL_LAYERS = layers
    settings.CHANNEL_GROUP_EXPIRY = 3
    room, (alice, bob) = await room_with_members(2)
    a, b = await ws_connect(alice), await ws_connect(bob)
    await asyncio.sleep(4.5)  # past the expiry: only the hub's renewal keeps the membership
    await a.send("send_message", {"room_id": str(room.id), "content": "still there?"})
    assert (await b.receive_type("new_message", timeout=5))["payload"]["content"] == "still there?"


def announced(room_id, seq: int, content: str) -> dict:
    import uuid

    from broadcast.publish import relay_message
    from messaging.event_types import NewMessage

    # Only the fields this test reads: the hub relays the text without looking inside.
    event = NewMessage(message={"id": str(uuid.uuid4()), "room_id": str(room_id), "content": content})
    return relay_message(room_group(room_id), event, seq=seq)


async def test_messages_whose_announcements_raced_are_delivered_in_commit_order(ws_connect):
    room, (alice,) = await room_with_members(1)
    a = await ws_connect(alice)
    layer = get_channel_layer()
    for seq, content in [(1, "first"), (3, "third"), (2, "second"), (4, "fourth")]:
        await layer.group_send(room_group(room.id), announced(room.id, seq, content))
    contents = [(await a.receive_type("new_message"))["payload"]["content"] for _ in range(4)]
    assert contents == ["first", "second", "third", "fourth"]


async def test_a_gap_the_database_cannot_fill_closes_the_rooms_sockets_so_their_clients_resume(ws_connect):
    room, (alice,) = await room_with_members(1)
    a = await ws_connect(alice)
    layer = get_channel_layer()
    await layer.group_send(room_group(room.id), announced(room.id, 1, "one"))
    assert (await a.receive_type("new_message"))["payload"]["content"] == "one"
    await layer.group_send(room_group(room.id), announced(room.id, 3, "three"))  # 2 is lost
    assert await a.receive_none_of_type("new_message", timeout=0.15), "held while 2 may still come"
    # These announcements name no stored messages, so 2 cannot be read back: rather than deliver
    # three without it, the hub closes the socket and the client resumes from the database.
    assert await a.receive_close() == 4503


class TestRedisAwayAtEitherEndOfASocket:
    """Redis going away closes many sockets at once; none of them may end in an exception."""

    @staticmethod
    def redis_down(*args, **kwargs):
        raise RedisConnectionError("Connection closed by server.")

    async def test_a_socket_closing_while_redis_is_away_ends_cleanly(self, ws_connect, monkeypatch, caplog):
        room, (alice,) = await room_with_members(1)
        client = await ws_connect(alice)
        hub = get_hub()
        [socket] = hub.members[room_group(room.id)]
        monkeypatch.setattr(get_presence(), "disconnect", self._async(self.redis_down))
        monkeypatch.setattr(hub.layer, "group_discard", self._async(self.redis_down))
        await client.close()  # raises if the consumer ended in an exception
        assert "presence not updated on disconnect" in caplog.text
        assert all(socket not in members for members in hub.members.values()), "no ghost socket left in the hub"

    async def test_a_socket_opening_while_redis_is_away_is_told_to_retry(self, ws_connect, monkeypatch):
        room, (alice,) = await room_with_members(1)
        monkeypatch.setattr(get_presence(), "connect", self._async(self.redis_down))
        client = await ws_connect(alice, expect_ok=False)
        assert await client.receive_close() == 4503

    @staticmethod
    def _async(function):
        async def wrapper(*args, **kwargs):
            return function(*args, **kwargs)

        return wrapper


async def test_many_sockets_closing_at_once_leave_cleanly(ws_connect):
    """A deploy or a Redis hiccup closes every socket together; each ends without an exception
    and the process leaves every group it had joined."""
    room, members = await room_with_members(12)
    clients = [await ws_connect(member) for member in members]
    groups = [room_group(room.id), *(user_group(member.id) for member in members)]
    assert all([await group_size(group) == 1 for group in groups])
    await asyncio.gather(*(client.close() for client in clients))  # raises if a consumer raised
    assert [await group_size(group) for group in groups] == [0] * len(groups)
    assert get_hub().channel is None


async def test_the_hub_stopping_twice_at_once_leaves_every_group_once(ws_connect):
    """Two sockets' `unregister` can both find the process empty after their awaits and both stop
    the hub; the second used to leave groups with no channel left (TypeError inside the app)."""
    room, (alice,) = await room_with_members(1)
    await ws_connect(alice)
    hub = get_hub()
    await asyncio.gather(hub._stop(), hub._stop())
    assert hub.channel is None and hub.members == {}
    assert await group_size(room_group(room.id)) == 0


async def test_a_reader_that_outlives_its_hub_does_not_close_the_next_sockets(ws_connect, monkeypatch, caplog):
    """On Python 3.11 `asyncio.wait_for` (redis-py's socket timeouts) swallows a cancellation that
    lands in the loop turn its inner call finishes in, so the stopped hub's reader can live on. It
    used to receive on the hub's channel, then None: every receive failed channel-name validation
    ("Channel name must be a valid unicode string with length < 100"), was taken for a Redis
    outage, "recovered" every 0.2 s and closed every socket that connected meanwhile (4503)."""
    room, (alice, bob) = await room_with_members(2)
    hub = get_hub()
    real_receive = hub.layer.receive
    in_flight: list[asyncio.Future] = []

    async def receive_with_a_redis_command_in_flight(channel):
        if in_flight:
            return await real_receive(channel)
        in_flight.append(asyncio.get_running_loop().create_future())
        # As redis-py pops the next event off the inbox: it comes back although the hub stopped.
        return await asyncio.wait_for(in_flight[0], 10)

    monkeypatch.setattr(hub.layer, "receive", receive_with_a_redis_command_in_flight)
    alice_socket = await ws_connect(alice)
    # The pop completes in the same loop turn as the hub stops.
    in_flight[0].set_result(announced(room.id, 1, "popped as the hub stopped"))
    await hub._stop()
    await alice_socket.close()
    bob_socket = await ws_connect(bob)
    assert await bob_socket.receive_none_of_type("never", timeout=1.0), "the new socket stays open"
    assert "hub lost the channel layer" not in caplog.text
    await bob_socket.send("send_message", {"room_id": str(room.id), "content": "heard"})
    assert (await bob_socket.receive_type("new_message"))["payload"]["content"] == "heard"


async def test_a_channel_name_the_layer_refuses_is_not_taken_for_a_redis_outage(ws_connect, monkeypatch, caplog):
    """A name-validation error is a bug to log, not Redis going away: nothing is rejoined and no
    socket is closed (an outage closes every socket with 4503)."""
    room, (alice,) = await room_with_members(1)
    hub = get_hub()
    real_receive = hub.layer.receive
    refused: list[str] = []

    async def receive_refusing_once(channel):
        if not refused:
            refused.append(channel)
            hub.layer.require_valid_channel_name("hub.name with spaces!")  # raises the layer's TypeError
        return await real_receive(channel)

    monkeypatch.setattr(hub.layer, "receive", receive_refusing_once)
    client = await ws_connect(alice)
    deadline = asyncio.get_running_loop().time() + 3
    while not refused:
        assert asyncio.get_running_loop().time() < deadline, "the hub never received"
        await asyncio.sleep(0.02)
    # An outage would close every socket 0.2 s after the failed receive.
    assert await client.receive_none_of_type("never", timeout=0.5), "the socket stays open"
    await client.send("send_message", {"room_id": str(room.id), "content": "still delivered"})
    assert (await client.receive_type("new_message"))["payload"]["content"] == "still delivered"
    assert "hub lost the channel layer" not in caplog.text
    assert "hub could not receive on its channel" in caplog.text


async def test_a_stopped_hub_leaves_no_task_of_its_own_running(ws_connect):
    """The gap wait, the reader and the maintenance are kept and awaited when the last socket
    goes, instead of a timer and tasks nobody holds running on after the hub stopped."""
    room, (alice,) = await room_with_members(1)
    client = await ws_connect(alice)
    await get_channel_layer().group_send(room_group(room.id), announced(room.id, 2, "ahead of 1"))
    hub = get_hub()
    deadline = asyncio.get_running_loop().time() + 3
    while not any(t.get_coro().__qualname__ == "Hub._fill_gap" for t in hub.tasks):  # type: ignore[union-attr]
        assert asyncio.get_running_loop().time() < deadline, "the gap wait never started"
        await asyncio.sleep(0.01)
    await client.close()
    assert hub.channel is None
    # The gap wait and the maintenance are gone with the stop itself.
    assert {t.get_coro().__qualname__ for t in hub.tasks} <= {"Hub._read"}  # type: ignore[union-attr]
    # A reader whose cancellation Python 3.11 lost (see Hub._read; one run in three here) is woken
    # by the stop and returns; on a loaded machine that may take longer than the stop waits.
    if hub.tasks:
        await asyncio.wait(set(hub.tasks), timeout=5)
    assert hub.tasks == set()
