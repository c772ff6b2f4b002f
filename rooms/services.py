"""Every write to rooms: create, delete, join, leave, add a member, mark as read, notification level."""

from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from broadcast.events import Event
from broadcast.groups import room_group, user_group
from broadcast.publish import publish
from chatapp.errors import BadRequest, Conflict, Forbidden, NotFound
from rooms.event_types import (
    MessagesRead,
    NotifyLevelChanged,
    RoomDeleted,
    RoomSubscribe,
    RoomUnsubscribe,
    UserJoined,
    UserLeft,
)
from rooms.models import Room, RoomMember, default_notify_level
from rooms.selectors import (
    ROOM_NOT_FOUND,
    RoomPosition,
    room_get_member,
    room_get_with_membership,
    room_ids_for_user,
)
from rooms.signals import member_added

CREATABLE_TYPES = (Room.Type.PUBLIC, Room.Type.PRIVATE)


@transaction.atomic
def room_create(*, creator: User, name: str, description: str = "", type: str = Room.Type.PUBLIC) -> Room:
    """Creates a public or private room with `creator` as its admin member."""
    if type not in CREATABLE_TYPES:
        raise BadRequest("Room type must be 'public' or 'private'")
    name, description = name.strip(), description.strip()
    if not 3 <= len(name) <= 50:
        raise BadRequest("Room name must be 3-50 characters")
    if len(description) > 500:
        raise BadRequest("Room description must be at most 500 characters")
    room = Room.objects.create(name=name, description=description, type=type, created_by=creator)
    RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.ADMIN)
    room.member_count = 1
    publish(RoomSubscribe(room_id=str(room.id), position=RoomPosition(room.id, 0, None)), to=[user_group(creator.id)])
    return room


def _delete(room: Room) -> None:
    room_id = room.id
    room.delete()
    # Consumers in the room group unsubscribe themselves when they relay this.
    publish(RoomDeleted(room_id=str(room_id)), to=[room_group(room_id)])


@transaction.atomic
def room_delete(*, room_id: UUID, actor: User) -> None:
    """Deletes a room and its messages: its creator or one of its admins only; never a direct room."""
    room, membership = room_get_with_membership(room_id=room_id, user=actor, lock=True)
    if room.type == Room.Type.DIRECT:
        raise BadRequest("Direct message rooms cannot be deleted")
    is_admin = membership is not None and membership.role == RoomMember.Role.ADMIN
    if room.created_by_id != actor.id and not is_admin:
        raise Forbidden("Only the room creator or an admin can delete this room")
    _delete(room)


@transaction.atomic
def room_delete_by_staff(*, room: Room) -> None:
    """Site staff (Django admin) delete any room, announced like any other deletion."""
    _delete(room)


@transaction.atomic
def room_join(*, room_id: UUID, user: User) -> bool:
    """Joins a public room; returns False (and announces nothing) when already a member."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise NotFound(ROOM_NOT_FOUND)
    if RoomMember.objects.filter(room_id=room.id, user_id=user.id).exists():
        return False
    if room.type == Room.Type.DIRECT:
        raise NotFound(ROOM_NOT_FOUND)
    if room.type == Room.Type.PRIVATE:
        raise Forbidden("This room is private")
    _, created = RoomMember.objects.get_or_create(room=room, user=user, defaults={"role": RoomMember.Role.MEMBER})
    if created:
        # Subscribe first (messaging's receiver publishes `room_subscribe`), so the joiner's own
        # sockets are in the room when user_joined arrives.
        member_added.send(sender=Room, room=room, user=user)
        publish(UserJoined.of(room.id, user), to=[room_group(room.id)])
    return created


def _promote_if_no_admin_left(room: Room) -> None:
    """A room whose last admin left gets its longest-standing member as admin.

    Otherwise nobody could add members to a private room or change its settings any more.
    """
    members = RoomMember.objects.filter(room_id=room.id)
    if members.filter(role=RoomMember.Role.ADMIN).exists():
        return
    successor = members.order_by("joined_at", "id").first()
    if successor is not None:
        RoomMember.objects.filter(pk=successor.pk).update(role=RoomMember.Role.ADMIN)


@transaction.atomic
def room_leave(*, room_id: UUID, user: User) -> bool:
    """Leaves a room (not a direct one); returns False when the user was not a member."""
    room, membership = room_get_with_membership(room_id=room_id, user=user)
    if room.type == Room.Type.DIRECT:
        raise BadRequest("You cannot leave a direct message room")
    if membership is None:
        return False
    _remove_member(room, membership, user)
    return True


def _remove_member(room: Room, membership: RoomMember, user: User) -> None:
    """Deletes the membership and tells the room; the user's open sockets stop following it."""
    if membership.role == RoomMember.Role.ADMIN:
        # Serialises admins leaving at once, so the last one out always hands the room on.
        Room.objects.select_for_update().filter(pk=room.id).first()
    membership.delete()
    if membership.role == RoomMember.Role.ADMIN:
        _promote_if_no_admin_left(room)
    publish(UserLeft.of(room.id, user), to=[room_group(room.id)])
    # Without this the user's sockets would keep receiving the room, and could still send
    # `typing` and `join_room` into it: the consumer trusts its cached membership.
    publish(RoomUnsubscribe(room_id=str(room.id)), to=[user_group(user.id)])


@transaction.atomic
def room_member_remove_by_staff(*, membership: RoomMember) -> None:
    """Site staff (Django admin) remove anyone from any room, announced like leaving."""
    _remove_member(membership.room, membership, membership.user)


@transaction.atomic
def room_member_add_by_staff(
    *, room: Room, user: User, role: str = RoomMember.Role.MEMBER, read_at: datetime | None = None
) -> RoomMember:
    """Site staff (Django admin) add anyone to any room, announced like `room_add_member`."""
    added = RoomMember.objects.create(
        room=room, user=user, role=role, read_at=read_at, notify_level=default_notify_level(room.type)
    )
    member_added.send(sender=Room, room=room, user=user)
    publish(UserJoined.of(room.id, user), to=[room_group(room.id)])
    return added


@transaction.atomic
def room_add_member(*, room_id: UUID, actor: User, user_id: UUID) -> RoomMember:
    """A room admin adds someone (the way into a private room)."""
    room, membership = room_get_member(room_id=room_id, user=actor)
    if room.type == Room.Type.DIRECT:
        raise BadRequest("Members cannot be added to a direct message room")
    if membership.role != RoomMember.Role.ADMIN:
        raise Forbidden("Only room admins can add members")
    target = User.objects.filter(pk=user_id, is_active=True).first()
    if target is None:
        raise NotFound("User not found")
    try:
        with transaction.atomic():
            added = RoomMember.objects.create(room=room, user=target, role=RoomMember.Role.MEMBER)
    except IntegrityError:
        raise Conflict("User is already a member of this room") from None
    member_added.send(sender=Room, room=room, user=target)
    publish(UserJoined.of(room.id, target), to=[room_group(room.id)])
    return added


@transaction.atomic
def room_mark_read(*, room_id: UUID, user: User, now: datetime | None = None) -> datetime:
    """Sets the user's read mark in the room to `now` and tells the room."""
    room, membership = room_get_member(room_id=room_id, user=user)
    read_at = now or timezone.now()
    RoomMember.objects.filter(pk=membership.pk).update(read_at=read_at)
    publish(MessagesRead.of(room.id, user.id, read_at), to=[room_group(room.id)])
    return read_at


def member_profile_publish(*, user: User, event: Event, **_signal: object) -> None:
    """Sends a user's changed profile to their own sockets and to every room they belong to.

    Connected to `accounts.signals.profile_changed` (rooms.apps): accounts cannot look up rooms.
    """
    groups = [user_group(user.id), *(room_group(room_id) for room_id in room_ids_for_user(user_id=user.id))]
    publish(event, to=groups)


@transaction.atomic
def room_set_notify_level(*, room_id: UUID, user: User, level: str) -> str:
    """Sets which of the room's new messages notify `user`: `all`, `mentions` or `nothing`.

    The user's other sockets hear the new level, so every open tab shows it.
    """
    if level not in RoomMember.NotifyLevel.values:
        raise BadRequest("level must be one of: all, mentions, nothing")
    room, membership = room_get_member(room_id=room_id, user=user)
    RoomMember.objects.filter(pk=membership.pk).update(notify_level=level)
    publish(NotifyLevelChanged(room_id=str(room.id), level=level), to=[user_group(user.id)])
    return level
