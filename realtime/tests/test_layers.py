import pytest
from channels.layers import get_channel_layer

from accounts.models import User
from broadcast.groups import user_group
from broadcast.layers import EVENTS_DROPPED, ResumeSignallingQueue


def test_a_full_inbox_is_replaced_by_one_drop_marker_and_stays_bounded():
    inbox = ResumeSignallingQueue(3)
    for i in range(3):
        inbox.put_nowait({"n": i})
    inbox.put_nowait({"n": 3})
    assert [inbox.get_nowait() for _ in range(inbox.qsize())] == [EVENTS_DROPPED, {"n": 3}]


def test_the_redis_layer_uses_the_signalling_inbox():
    layer = get_channel_layer()
    assert isinstance(layer.receive_buffer["some.channel!x"], ResumeSignallingQueue)


@pytest.mark.django_db(transaction=True)
async def test_sockets_that_lost_events_are_closed_with_4503_so_their_clients_resume(ws_connect):
    from channels.db import database_sync_to_async

    alice = await database_sync_to_async(User.objects.create_user)("alice", "alice@example.com", "secret123")
    client = await ws_connect(alice)
    await get_channel_layer().group_send(user_group(alice.id), EVENTS_DROPPED)
    assert await client.receive_close() == 4503


def test_the_channels_redis_internals_the_layer_relies_on_are_still_there():
    """broadcast.layers reimplements group_send on these channels-redis internals; an upgrade that
    renames one fails here rather than in production."""
    layer = get_channel_layer()
    for name in ("_group_key", "connection", "consistent_hash", "_map_channel_keys_to_connection", "get_capacity"):
        assert callable(getattr(layer, name, None)), name
    keys_by_connection, message_by_key, capacity_by_key = layer._map_channel_keys_to_connection(
        ["hub.a!b"], {"type": "relay"}
    )
    assert (
        list(message_by_key) == list(capacity_by_key) == [key for keys in keys_by_connection.values() for key in keys]
    )


async def _inbox(capacity: int):
    layer = get_channel_layer()
    layer.capacity = capacity
    channel = await layer.new_channel(prefix="hub.")
    group = "room.inbox-test"
    await layer.group_add(group, channel)
    return layer, channel, group


async def _drain(layer, channel) -> list[dict]:
    key = layer.prefix + layer.non_local_name(channel)
    received = []
    while (
        await layer.connection(layer.consistent_hash(channel)).zcard(key) or not layer.receive_buffer[channel].empty()
    ):
        received.append(await layer.receive(channel))
    return received


@pytest.mark.django_db(transaction=True)
async def test_an_event_a_full_inbox_cannot_take_leaves_a_drop_marker_for_its_group_at_the_head():
    layer, channel, group = await _inbox(capacity=5)
    for n in range(7):
        await layer.group_send(group, {"type": "relay", "n": n})
    received = await _drain(layer, channel)
    assert received[0] == {"type": "events.dropped", "group": group}, "first, so the sockets resume at once"
    assert [event["n"] for event in received[1:]] == [0, 1, 2, 3, 4]
    await layer.group_discard(group, channel)


@pytest.mark.django_db(transaction=True)
async def test_ephemeral_events_take_only_a_small_share_of_an_inbox_and_never_a_messages_place():
    layer, channel, group = await _inbox(capacity=20)
    for n in range(10):
        await layer.group_send(group, {"type": "relay", "event": "typing", "ephemeral": True, "n": n})
    for n in range(18):
        await layer.group_send(group, {"type": "relay", "event": "new_message", "n": n})
    received = await _drain(layer, channel)
    assert [event["event"] for event in received] == ["typing"] * 2 + ["new_message"] * 18, "no drop marker"
    await layer.group_discard(group, channel)


@pytest.mark.django_db(transaction=True)
async def test_a_groups_drop_marker_closes_that_groups_sockets_only(ws_connect):
    from channels.db import database_sync_to_async

    from broadcast.groups import room_group
    from rooms.services import room_create

    alice = await database_sync_to_async(User.objects.create_user)("alice", "alice@example.com", "secret123")
    bob = await database_sync_to_async(User.objects.create_user)("bob", "bob@example.com", "secret123")
    room = await database_sync_to_async(room_create)(creator=alice, name="Busy")
    in_room, elsewhere = await ws_connect(alice), await ws_connect(bob)
    await get_channel_layer().group_send(room_group(room.id), {"type": "events.dropped", "group": room_group(room.id)})
    assert await in_room.receive_close() == 4503
    assert await elsewhere.receive_none_of_type("never", timeout=0.5), "bob's socket missed nothing: it stays open"


@pytest.mark.django_db(transaction=True)
async def test_a_hub_too_far_behind_closes_the_sockets_of_the_group_that_lost_an_event(ws_connect, monkeypatch):
    """The whole path: a stalled hub, its Redis inbox full, one more event for a room; the room's
    sockets are closed with 4503 (their clients resume), other sockets keep going."""
    import asyncio

    from channels.db import database_sync_to_async

    from broadcast.groups import room_group
    from broadcast.publish import relay_message
    from messaging.event_types import DeleteMessage
    from realtime.hub import get_hub
    from rooms.services import room_create

    alice = await database_sync_to_async(User.objects.create_user)("alice", "alice@example.com", "secret123")
    bob = await database_sync_to_async(User.objects.create_user)("bob", "bob@example.com", "secret123")
    room = await database_sync_to_async(room_create)(creator=alice, name="Busy")
    in_room, elsewhere = await ws_connect(alice), await ws_connect(bob)
    layer, hub, group = get_channel_layer(), get_hub(), room_group(room.id)
    layer.capacity = 5
    stalled, release, real_dispatch = asyncio.Event(), asyncio.Event(), hub._dispatch

    async def stall_on_the_first_event(message):
        if not stalled.is_set():
            stalled.set()
            await release.wait()
        await real_dispatch(message)

    monkeypatch.setattr(hub, "_dispatch", stall_on_the_first_event)

    def event(n: int) -> dict:
        return relay_message(group, DeleteMessage(id=str(n), room_id=str(room.id)))

    await layer.group_send(group, event(0))
    await asyncio.wait_for(stalled.wait(), 5)
    for n in range(1, 8):  # 5 fit in the inbox; the 6th and 7th cannot be queued
        await layer.group_send(group, event(n))
    release.set()
    assert await in_room.receive_close() == 4503
    assert await elsewhere.receive_none_of_type("never", timeout=0.5), "bob's socket missed nothing: it stays open"


async def _in_memory_inbox(capacity: int):
    from broadcast.layers import SignallingInMemoryChannelLayer

    layer = SignallingInMemoryChannelLayer(capacity=capacity)
    channel = await layer.new_channel(prefix="hub.")
    await layer.group_add("room.in-memory", channel)
    return layer, channel


async def _drain_in_memory(layer, channel) -> list[dict]:
    received = []
    while channel in layer.channels:
        received.append(await layer.receive(channel))
    return received


async def test_the_in_memory_layer_announces_an_event_its_full_inbox_cannot_take():
    layer, channel = await _in_memory_inbox(capacity=5)
    for n in range(6):
        await layer.group_send("room.in-memory", {"type": "relay", "n": n})
    received = await _drain_in_memory(layer, channel)
    assert received == [EVENTS_DROPPED, {"type": "relay", "n": 5}], "every local socket resumes"


async def test_the_in_memory_layer_keeps_ephemeral_events_to_a_small_share_of_an_inbox():
    layer, channel = await _in_memory_inbox(capacity=20)
    for n in range(10):
        await layer.group_send("room.in-memory", {"type": "relay", "event": "typing", "ephemeral": True, "n": n})
    for n in range(18):
        await layer.group_send("room.in-memory", {"type": "relay", "event": "new_message", "n": n})
    received = await _drain_in_memory(layer, channel)
    assert [event["event"] for event in received] == ["typing"] * 2 + ["new_message"] * 18


def test_the_in_memory_layers_internals_the_layer_relies_on_are_still_there():
    from broadcast.layers import SignallingInMemoryChannelLayer

    layer = SignallingInMemoryChannelLayer()
    assert isinstance(layer.groups, dict) and isinstance(layer.channels, dict) and callable(layer._clean_expired)
