"""Writes the realtime app makes: presence state in the database, announced after commit."""

from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from broadcast.events import Event
from broadcast.groups import room_group
from broadcast.publish import publish
from realtime.event_types import UserOffline, UserOnline
from rooms.selectors import room_ids_for_presence


def _announce_to_rooms(user: User, event: Event) -> None:
    room_ids = room_ids_for_presence(user_id=user.id, max_members=settings.PRESENCE_ROOM_MAX_MEMBERS)
    groups = [room_group(room_id) for room_id in room_ids]
    publish(event, to=groups, skip_user=user.id)


@transaction.atomic
def presence_mark_online(*, user_id: UUID) -> User:
    """The user's first connection opened: store it and tell everyone who shares a room."""
    user = User.objects.select_for_update().get(pk=user_id)
    user.is_online = True
    user.save(update_fields=["is_online"])
    _announce_to_rooms(user, UserOnline.of(user))
    return user


@transaction.atomic
def presence_mark_offline(*, user_id: UUID) -> User | None:
    """The user's last connection closed (or expired): store last_seen and announce it."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return None
    user.is_online = False
    user.last_seen = timezone.now()
    user.save(update_fields=["is_online", "last_seen"])
    _announce_to_rooms(user, UserOffline.of(user))
    return user
