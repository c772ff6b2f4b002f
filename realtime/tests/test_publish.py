"""The publisher (broadcast.publish): after commit only, encoded once for every group, one event per
service call, and the WebSocket send path does not build a message's event a second time."""

import json

import pytest
from django.db import transaction

from broadcast.groups import room_group, user_group
from broadcast.publish import publish
from messaging.event_types import NewMessage
from rooms.event_types import RoomDeleted, UserJoined

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def count_encodes(monkeypatch):
    """How many times events of a type were encoded to JSON."""

    def count(event_type: type) -> list[str]:
        texts: list[str] = []
        encode = event_type.encode

        def counting(self) -> str:
            texts.append(encode(self))
            return texts[-1]

        monkeypatch.setattr(event_type, "encode", counting)
        return texts

    return count


def test_an_event_for_many_groups_is_encoded_once_and_reaches_each(user, room, published_events, count_encodes):
    encodes = count_encodes(UserJoined)
    groups = [room_group(room.id), user_group(user.id), "room.elsewhere"]
    listeners = [published_events(group) for group in groups]

    with transaction.atomic():
        publish(UserJoined.of(room.id, user), to=groups)

    assert len(encodes) == 1
    for listener in listeners:
        assert listener.events() == [json.loads(encodes[0])]


def test_nothing_is_sent_when_the_transaction_rolls_back(user, room, published_events):
    listener = published_events(room_group(room.id))

    with pytest.raises(RuntimeError), transaction.atomic():
        publish(UserJoined.of(room.id, user), to=[room_group(room.id)])
        raise RuntimeError("the write failed")
    assert listener.events() == []

    with transaction.atomic():
        publish(RoomDeleted(room_id=str(room.id)), to=[room_group(room.id)])
        assert listener.events() == []  # not before the commit either
    assert listener.types() == ["room_deleted"]


def test_a_bare_group_name_is_refused_instead_of_sent_letter_by_letter(user, room):
    with pytest.raises(TypeError, match="list of groups"):
        publish(UserJoined.of(room.id, user), to=room_group(room.id))


def test_the_sequence_and_skipped_user_travel_with_the_event(user, room, published_events):
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    listener = published_events(room_group(room.id))
    with transaction.atomic():
        publish(UserJoined.of(room.id, user), to=[room_group(room.id)], seq=4, skip_user=user.id)

    async def raw() -> dict:
        return await layer.receive(listener.channel)

    # Straight off the layer, before any `.events()` call leaves a receive of its own pending.
    message = listener.loop.run_until_complete(raw())
    assert (message["event"], message["seq"], message["skip_user"]) == ("user_joined", 4, str(user.id))


async def test_a_message_sent_over_the_socket_is_built_and_encoded_once(ws_connect, monkeypatch):
    """The service builds `new_message` and publishes it; the consumer must not build another."""
    from channels.db import database_sync_to_async

    from accounts.models import User
    from rooms.services import room_create

    built: list[NewMessage] = []
    of = NewMessage.of.__func__

    def counting_of(cls, message, **fields) -> NewMessage:
        built.append(of(cls, message, **fields))
        return built[-1]

    monkeypatch.setattr(NewMessage, "of", classmethod(counting_of))
    alice = await database_sync_to_async(User.objects.create_user)("alice", "alice@example.com", "secret123")
    room = await database_sync_to_async(room_create)(creator=alice, name="General")
    client = await ws_connect(alice)

    await client.send("send_message", {"room_id": str(room.id), "content": "hello", "client_msg_id": "k1"})
    received = await client.receive_type("new_message")
    assert received["payload"]["content"] == "hello"
    # The socket handles its frames one at a time: once the pong is back, the send has finished.
    await client.send("ping")
    await client.receive_type("pong")
    assert len(built) == 1

    # A repeat of the same client_msg_id: nothing new is stored or announced; the sender alone
    # hears of the stored message again, built from it this once.
    await client.send("send_message", {"room_id": str(room.id), "content": "hello", "client_msg_id": "k1"})
    assert (await client.receive_type("new_message"))["payload"] == received["payload"]
    assert len(built) == 2
