"""Sends to one room commit in created_at order, so catching up with `after=` never skips one."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from messaging.services import message_send
from rooms.models import Room

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_send_waiting_on_the_room_is_timestamped_after_the_earlier_send_commits(make_room, user, other_user):
    """Without the room lock, a send could take its time first and commit after a later one."""
    room = make_room(user, members=[other_user])
    sent = {}

    def send_in_thread() -> None:
        try:
            sent["message"], _ = message_send(room_id=room.id, sender=other_user, content="second")
        finally:
            connection.close()

    with transaction.atomic():
        # Stand in for a first send that has locked the room and not committed yet.
        Room.objects.select_for_update().get(pk=room.id)
        sender = threading.Thread(target=send_in_thread)
        sender.start()
        time.sleep(0.3)
        assert "message" not in sent, "the second send must wait for the room"
        released_at = timezone.now()
    sender.join(timeout=10)
    assert sent["message"].created_at >= released_at
