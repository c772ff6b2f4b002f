"""Real commits from real threads: the pair constraint and publishing after commit."""

import threading
import time

import pytest
from django.db import connection, transaction

from broadcast.groups import room_group, user_group
from dms.services import dm_get_or_create
from messaging.models import Message
from messaging.services import message_send
from rooms.models import Room, RoomMember

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        except Exception as error:  # reported by the assertions below
            results[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_simultaneous_creates_yield_one_room(user, other_user, published_events):
    alices = published_events(user_group(user.id))
    first_inserted, results = threading.Event(), {}

    def first():
        # Holds its new room uncommitted while the second request runs into the unique index.
        with transaction.atomic():
            outcome = dm_get_or_create(user=user, recipient_id=other_user.id)
            first_inserted.set()
            time.sleep(0.3)
        return outcome

    def second():
        first_inserted.wait(5)
        return dm_get_or_create(user=other_user, recipient_id=user.id)

    threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
    for thread in threads:
        thread.join(10)

    (room_a, created_a), (room_b, created_b) = results["first"], results["second"]
    assert room_a.id == room_b.id
    assert (created_a, created_b) == (True, False)
    assert Room.objects.filter(type="direct").count() == 1
    assert RoomMember.objects.filter(room_id=room_a.id).count() == 2
    assert alices.types() == ["room_subscribe", "dm_created"]  # announced once


def test_two_racing_threads_started_together_agree_on_one_room(user, other_user):
    barrier, results = threading.Barrier(2), {}

    def attempt(me, them):
        def run():
            barrier.wait(5)
            return dm_get_or_create(user=me, recipient_id=them.id)

        return run

    threads = [
        _in_thread(attempt(user, other_user), results, "a"),
        _in_thread(attempt(other_user, user), results, "b"),
    ]
    for thread in threads:
        thread.join(10)
    (room_a, created_a), (room_b, created_b) = results["a"], results["b"]
    assert room_a.id == room_b.id and sorted([created_a, created_b]) == [False, True]
    assert Room.objects.filter(type="direct").count() == 1


def test_new_message_is_published_after_a_real_commit_and_not_after_a_rollback(
    user, other_user, make_room, published_events
):
    room = make_room(user, members=[other_user])
    listener = published_events(room_group(room.id))

    with transaction.atomic():
        message, _ = message_send(room_id=room.id, sender=other_user, content="kept")
        assert listener.events() == []  # still inside the transaction
    [event] = listener.events()
    assert (event["type"], event["payload"]["id"]) == ("new_message", str(message.id))

    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(room_id=room.id, sender=other_user, content="rolled back")
        raise RuntimeError
    assert listener.events() == []
    assert list(Message.objects.values_list("content", flat=True)) == ["kept"]
