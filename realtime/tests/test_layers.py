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
