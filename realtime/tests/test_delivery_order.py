"""Every message reaches every socket exactly once, in commit order.

The messages here are stored for real (with their room sequence numbers) before anyone listens,
so their announcements can then be sent by hand, late or out of order, as a Redis client retrying
a publish would.
"""

import asyncio
import threading
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection, transaction

from accounts.models import User
from broadcast.groups import room_group
from broadcast.layers import EVENTS_DROPPED
from broadcast.publish import relay_message
from messaging.event_types import NewMessage
from messaging.models import Message
from messaging.selectors import message_prev_id
from messaging.services import message_send
from realtime.event_types import Typing
from realtime.hub import SEQUENCE_GAP_WAIT_SECONDS, get_hub
from rooms.services import room_create, room_join

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def room_with_owner() -> tuple[str, User]:
    owner = User.objects.create_user("owner", "owner@example.com", "secret123")
    return str(room_create(creator=owner, name="General").id), owner


@database_sync_to_async
def store_unannounced(room_id: str, owner: User, count: int) -> list[Message]:
    """Messages 1..count committed (seq 1..count) with their announcements held back."""
    with mock.patch("messaging.services.publish"):
        return [message_send(room_id=room_id, sender=owner, content=f"m{i}")[0] for i in range(1, count + 1)]


async def room_with_messages(ws_connect, count: int, sockets: int = 1) -> tuple[str, User, list[Message], list]:
    """Sockets connected to a room, then `count` messages committed there that nobody has heard of.

    The sockets connect first: their hub starts the room's order at its position then (seq 0).
    """
    room_id, owner = await room_with_owner()
    clients = [await ws_connect(owner) for _ in range(sockets)]
    return room_id, owner, await store_unannounced(room_id, owner, count), clients


async def announce(room_id: str, message: Message, seq: int, *, prev: Message | None = None) -> None:
    """What `publish` sends for `message` after its commit (broadcast.publish); `prev`, the room's
    message before it, is read from the database unless given."""
    prev_id = prev.id if prev else await database_sync_to_async(message_prev_id)(message)
    event = await database_sync_to_async(NewMessage.of)(message, prev_id=prev_id)
    await get_channel_layer().group_send(room_group(room_id), relay_message(room_group(room_id), event, seq=seq))


async def contents_until_quiet(client, quiet: float = 0.6) -> list[str]:
    """Every new_message the socket receives until nothing has come for `quiet` seconds."""
    received = []
    while not await client.receive_nothing(timeout=quiet):
        event = await client.receive()
        if event["type"] == "new_message":
            received.append(event["payload"]["content"])
    return received


class TestGapsAreFilledFromTheDatabase:
    async def test_a_late_announcement_after_the_gap_timed_out_is_not_delivered_out_of_order(self, ws_connect):
        room_id, owner, messages, [client] = await room_with_messages(ws_connect, 7)
        for seq in (1, 2, 3, 4):
            await announce(room_id, messages[seq - 1], seq)
        await announce(room_id, messages[4], 5)
        await announce(room_id, messages[6], 7)  # 6's announcement is still on its way
        await asyncio.sleep(SEQUENCE_GAP_WAIT_SECONDS + 0.25)
        await announce(room_id, messages[5], 6)  # ... and arrives after the gap was given up
        assert await contents_until_quiet(client) == ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]

    async def test_every_missing_message_is_filled_and_later_ones_flow_on(self, ws_connect):
        # Two local sockets: the shared frame. 1-4 are never announced either.
        room_id, owner, messages, (a, b) = await room_with_messages(ws_connect, 10, sockets=2)
        await announce(room_id, messages[4], 5)
        await announce(room_id, messages[6], 7)
        await announce(room_id, messages[8], 9)  # 6 and 8 never announced
        await asyncio.sleep(SEQUENCE_GAP_WAIT_SECONDS + 0.25)
        await announce(room_id, messages[9], 10)
        await announce(room_id, messages[7], 8)  # late, already filled: dropped
        await announce(room_id, messages[5], 6)
        for client in (a, b):
            assert await contents_until_quiet(client) == [f"m{i}" for i in range(1, 11)]

    async def test_a_gap_that_cannot_be_filled_closes_the_rooms_sockets_with_4503(self, ws_connect):
        room_id, owner, messages, [client] = await room_with_messages(ws_connect, 3)
        await announce(room_id, messages[0], 1)
        assert (await client.receive_type("new_message"))["payload"]["content"] == "m1"
        # The last delivered message is gone from the database: the gap cannot be read back.
        await database_sync_to_async(Message.objects.filter(pk=messages[0].id).delete)()
        await announce(room_id, messages[2], 3)
        assert await client.receive_none_of_type("new_message", timeout=0.15), "held while 2 may still come"
        assert await client.receive_close(timeout=3) == 4503, "never delivered out of order: resume instead"


async def test_after_lost_events_the_hub_forgets_what_it_expected_of_each_room(ws_connect):
    room_id, owner, messages, [client] = await room_with_messages(ws_connect, 3)
    await announce(room_id, messages[0], 1)
    await announce(room_id, messages[2], 3)  # held: 2 is due
    assert (await client.receive_type("new_message"))["payload"]["content"] == "m1"
    await get_channel_layer().group_send(room_group(room_id), EVENTS_DROPPED)
    assert await client.receive_close() == 4503
    # The clients reconnect and resume from the database: a seq due or a message held from
    # before the loss would hold their new sockets' messages back or slip in between them.
    hub, group = get_hub(), room_group(room_id)
    stream = hub.streams.get(group)
    assert stream is None or (stream.next_seq, stream.held) == (None, {})


class _TableLock:
    """Holds an exclusive lock on the messages table from another connection, so a `resume` blocks
    in its query for as long as the test wants."""

    def __init__(self) -> None:
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("LOCK TABLE messaging_message IN ACCESS EXCLUSIVE MODE")
                self.locked.set()
                self.release.wait(10)
        finally:
            connection.close()

    def __enter__(self) -> "_TableLock":
        self.thread.start()
        assert self.locked.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.thread.join(10)


async def test_live_events_during_resume_reach_the_socket_after_the_replay_and_only_once(ws_connect):
    room_id, owner, messages, [client] = await room_with_messages(ws_connect, 3)
    await announce(room_id, messages[0], 1)
    assert await contents_until_quiet(client, quiet=0.3) == ["m1"]
    with _TableLock():
        await client.send("resume", {"rooms": {room_id: str(messages[0].id)}})
        await asyncio.sleep(0.2)  # the resume is now waiting in its query
        # Live copies of messages the replay carries (their prev_id known: the table is locked).
        await announce(room_id, messages[1], 2, prev=messages[0])
        await announce(room_id, messages[2], 3, prev=messages[1])
        typing = relay_message(room_group(room_id), Typing.of(room_id, owner))
        await get_channel_layer().group_send(room_group(room_id), typing)
        assert await client.receive_nothing(timeout=0.3), "nothing overtakes the replay"
    received = []
    while len(received) < 4:
        event = await client.receive(timeout=5)
        received.append((event["type"], event["payload"].get("content")))
    assert received == [("new_message", "m2"), ("new_message", "m3"), ("resumed", None), ("typing", None)]
    assert await client.receive_none_of_type("new_message", timeout=0.3), "the live copies are not delivered again"


async def test_a_hub_new_to_a_room_orders_even_its_first_messages(ws_connect):
    """The hub starts a room at the position read when the socket connected, not at whatever
    message it happens to hear first (a process that just started, or whose last socket in the
    room had left)."""
    room_id, owner, messages, [client] = await room_with_messages(ws_connect, 4)
    await announce(room_id, messages[2], 3)  # 1 and 2 were announced late...
    await announce(room_id, messages[3], 4)
    await announce(room_id, messages[1], 2)
    await announce(room_id, messages[0], 1)  # ... in the wrong order, within the gap wait
    assert await contents_until_quiet(client) == ["m1", "m2", "m3", "m4"]


async def test_a_room_joined_while_connected_is_ordered_from_its_first_message(ws_connect):
    owner = await database_sync_to_async(User.objects.create_user)("owner", "owner@example.com", "secret123")
    joiner = await database_sync_to_async(User.objects.create_user)("joiner", "joiner@example.com", "secret123")
    client = await ws_connect(joiner)
    room_id = str((await database_sync_to_async(room_create)(creator=owner, name="Later")).id)
    await database_sync_to_async(room_join)(room_id=room_id, user=joiner)
    assert (await client.receive_type("user_joined"))["payload"]["room_id"] == room_id  # subscribed
    messages = await store_unannounced(room_id, owner, 4)
    for seq in (3, 4, 2, 1):
        await announce(room_id, messages[seq - 1], seq)
    assert await contents_until_quiet(client) == ["m1", "m2", "m3", "m4"]


async def test_a_socket_opened_to_resume_sends_no_live_message_before_its_replay(ws_connect):
    """A live message reaching a fresh socket before its `resume` is processed used to go out
    first, and then again in the replay (and a message the replay sends after it was older)."""
    room_id, owner, messages = await room_with_owner_and_messages(3)
    client = await ws_connect(owner, query="?resume=1")
    await announce(room_id, messages[2], 3)  # late: announced after the socket subscribed
    assert await client.receive_nothing(timeout=0.3), "held until the first frame says it resumes"
    await client.send("resume", {"rooms": {room_id: str(messages[0].id)}})
    assert await contents_until_quiet(client) == ["m2", "m3"]


async def test_a_socket_opened_to_resume_lets_live_messages_through_at_its_first_other_frame(ws_connect):
    room_id, owner = await room_with_owner()
    client = await ws_connect(owner, query="?resume=1")
    [message] = await store_unannounced(room_id, owner, 1)
    await announce(room_id, message, 1)
    assert await client.receive_nothing(timeout=0.3)
    await client.send("ping")
    assert await contents_until_quiet(client) == ["m1"]


async def test_an_announcement_older_than_what_the_socket_has_is_not_delivered(ws_connect):
    """An announcement from before a Redis outage that lands after recovery: the socket that
    connected since (and resumed the room from the database) never sends it after newer ones."""
    room_id, owner, messages = await room_with_owner_and_messages(2)
    client = await ws_connect(owner)  # subscribes with the room at seq 2: its hub starts there
    await client.send("resume", {"rooms": {room_id: str(messages[0].id)}})
    assert await contents_until_quiet(client) == ["m2"]
    await announce(room_id, messages[0], 1)  # from before the outage, heard only now
    await announce(room_id, messages[1], 2)
    assert await contents_until_quiet(client) == []


async def test_a_resume_after_live_messages_never_sends_an_older_one_after_them(ws_connect):
    room_id, owner, messages, [client] = await room_with_messages(ws_connect, 3)
    await announce(room_id, messages[0], 1)
    await announce(room_id, messages[1], 2)
    await announce(room_id, messages[2], 3)
    assert await contents_until_quiet(client) == ["m1", "m2", "m3"]
    await client.send("resume", {"rooms": {room_id: str(messages[0].id)}})
    resumed = await client.receive_type("resumed")
    # Already sent on this socket: not again, and the room is listed for the client to page over
    # REST what its own books may miss.
    assert resumed["payload"] == {"rooms": [room_id], "truncated": [room_id]}
    assert await contents_until_quiet(client) == []


@database_sync_to_async
def _owner_and_messages(count: int) -> tuple[str, User, list[Message]]:
    owner = User.objects.create_user("owner", "owner@example.com", "secret123")
    room_id = str(room_create(creator=owner, name="General").id)
    with mock.patch("messaging.services.publish"):
        messages = [message_send(room_id=room_id, sender=owner, content=f"m{i}")[0] for i in range(1, count + 1)]
    return room_id, owner, messages


async def room_with_owner_and_messages(count: int) -> tuple[str, User, list[Message]]:
    """A room whose `count` messages are committed (unannounced) before anyone connects."""
    return await _owner_and_messages(count)
