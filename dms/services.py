"""Direct messages: one room per unordered pair of users, created on first contact."""

from uuid import UUID

from django.db import IntegrityError, transaction

from accounts.models import User
from broadcast.groups import user_group
from broadcast.publish import publish
from chatapp.errors import BadRequest, NotFound
from dms.event_types import DmCreated
from rooms.event_types import RoomSubscribe
from rooms.models import Room, RoomMember
from rooms.selectors import RoomPosition, room_get_for_user

DM_ROOM_NAME = "Direct message"


def _pair(a: User, b: User) -> tuple[User, User]:
    # Python orders UUIDs by their 128-bit value, as PostgreSQL orders the uuid type (bytewise),
    # so this matches the database's `direct_user_low < direct_user_high` check.
    return (a, b) if a.id < b.id else (b, a)


def _existing(low: User, high: User) -> Room | None:
    return Room.objects.filter(type=Room.Type.DIRECT, direct_user_low=low, direct_user_high=high).first()


@transaction.atomic
def dm_get_or_create(*, user: User, recipient_id: UUID) -> tuple[Room, bool]:
    """The direct room between `user` and the recipient, created (with both as members) if new.

    Two simultaneous calls for the same pair yield one room: the loser's insert hits the unique
    constraint, waits for the winner to commit, and then returns the winner's room.
    """
    if recipient_id == user.id:
        raise BadRequest("You cannot start a direct conversation with yourself")
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        raise NotFound("User not found")
    low, high = _pair(user, recipient)
    room = _existing(low, high)
    if room is not None:
        return room, False
    try:
        with transaction.atomic():
            room = Room.objects.create(
                name=DM_ROOM_NAME, type=Room.Type.DIRECT, created_by=user, direct_user_low=low, direct_user_high=high
            )
    except IntegrityError:
        room = _existing(low, high)
        if room is None:
            raise
        return room, False
    RoomMember.objects.bulk_create(
        [
            RoomMember(room=room, user=low, role=RoomMember.Role.MEMBER, notify_level=RoomMember.NotifyLevel.ALL),
            RoomMember(room=room, user=high, role=RoomMember.Role.MEMBER, notify_level=RoomMember.NotifyLevel.ALL),
        ]
    )
    groups = [user_group(low.id), user_group(high.id)]
    for group in groups:
        # Before dm_created, so both users' sockets already follow the room when they hear of it.
        publish(RoomSubscribe(room_id=str(room.id), position=RoomPosition(room.id, 0, None)), to=[group])
    publish(DmCreated.of(room_get_for_user(room_id=room.id, user=user), user), to=groups)
    return room, True
