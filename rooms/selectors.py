"""Reads with rules in them for rooms: who may see a room, lists with counts, membership."""

import functools
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import (
    Count,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from chatapp.errors import Forbidden, NotFound
from chatapp.ids import parse_uuid
from chatapp.paging import Page, paginate
from rooms.models import Room, RoomMember

ROOM_NOT_FOUND = "Room not found"
NOT_A_MEMBER = "You are not a member of this room"


def member_count_annotation(room_ref: str) -> Coalesce:
    """The number of members of the room at `room_ref` (a field name), as an annotation."""
    counts = RoomMember.objects.filter(room_id=OuterRef(room_ref)).order_by().values("room_id").annotate(n=Count("pk"))
    return Coalesce(Subquery(counts.values("n")[:1], output_field=IntegerField()), 0)


def _activity() -> Coalesce:
    return Coalesce("last_message_at", "created_at")


def room_list_public(*, page: int, limit: int) -> Page:
    """Public rooms, most recent activity first (two queries whatever the page size)."""
    rooms = (
        Room.objects.filter(type=Room.Type.PUBLIC)
        .select_related("created_by")
        # Room declares member_count for the rooms built without this query; the plugin takes that
        # for a field, but Django only refuses annotations that collide with real fields.
        .annotate(member_count=member_count_annotation("pk"))  # type: ignore[no-redef]
        .order_by(_activity().desc(), "-id")
    )
    return paginate(rooms, page=page, limit=limit)


def room_get_for_user(*, room_id: UUID, user: User) -> Room:
    """The room with its members, as `user` may see it: public rooms to anyone, others to members only.

    A private or direct room is "not found" to an outsider, so its existence is not revealed.
    """
    room = (
        Room.objects.select_related("created_by")
        # Room declares member_count for the rooms built without this query; the plugin takes that
        # for a field, but Django only refuses annotations that collide with real fields.
        .annotate(member_count=member_count_annotation("pk"))  # type: ignore[no-redef]
        .prefetch_related(
            Prefetch("memberships", queryset=RoomMember.objects.select_related("user").order_by("joined_at", "id"))
        )
        .filter(pk=room_id)
        .first()
    )
    if room is None:
        raise NotFound(ROOM_NOT_FOUND)
    if room.type != Room.Type.PUBLIC and not any(m.user_id == user.id for m in room.memberships.all()):
        raise NotFound(ROOM_NOT_FOUND)
    return room


def room_get_with_membership(*, room_id: UUID, user: User, lock: bool = False) -> tuple[Room, RoomMember | None]:
    """The room and the user's membership (None for an outsider).

    Unknown rooms, and private or direct rooms the user is not in, raise NotFound.
    """
    rooms = Room.objects.select_for_update() if lock else Room.objects.all()
    room = rooms.filter(pk=room_id).first()
    if room is None:
        raise NotFound(ROOM_NOT_FOUND)
    membership = RoomMember.objects.filter(room_id=room.id, user_id=user.id).first()
    if membership is None and room.type != Room.Type.PUBLIC:
        raise NotFound(ROOM_NOT_FOUND)
    return room, membership


def _columns(model: type[Model], alias: str) -> tuple[list[str], str]:
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], ", ".join(f'{alias}."{f.column}"' for f in fields)


@functools.cache
def _membership_sql() -> tuple[list[str], list[str], str]:
    member_names, member_columns = _columns(RoomMember, "m")
    room_names, room_columns = _columns(Room, "r")
    sql = (
        f"SELECT {member_columns}, {room_columns} FROM {RoomMember._meta.db_table} m "
        f"JOIN {Room._meta.db_table} r ON r.id = m.room_id WHERE m.room_id = %s AND m.user_id = %s"
    )
    return member_names, room_names, sql


def _membership_with_room(*, room_id: UUID, user_id: UUID, lock_room: bool) -> RoomMember | None:
    """`RoomMember.objects.select_related("room").filter(...).first()` in hand-written SQL
    (`select_for_update(of=("room",))` too with `lock_room`).

    Every request on a room and every message sent runs this; the ORM spent ~1 ms of CPU building
    that query each time, against ~0.1 ms to run it (docs/benchmarks.md).
    """
    member_names, room_names, sql = _membership_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql + (" FOR UPDATE OF r" if lock_room else ""), [room_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    membership = RoomMember.from_db(connection.alias, member_names, row[: len(member_names)])
    membership.room = Room.from_db(connection.alias, room_names, row[len(member_names) :])
    return membership


def room_get_member(*, room_id: UUID, user: User, lock_room: bool = False) -> tuple[Room, RoomMember]:
    """The room and the user's membership, or 403 for an outsider of a public room (404 for hidden rooms).

    One query when the user is a member. `lock_room` also takes the room's row lock (in that query)
    until the transaction ends.
    """
    if connection.vendor == "postgresql":
        membership = _membership_with_room(room_id=room_id, user_id=user.id, lock_room=lock_room)
    else:
        memberships = RoomMember.objects.select_related("room")
        if lock_room:
            memberships = memberships.select_for_update(of=("room",))
        membership = memberships.filter(room_id=room_id, user_id=user.id).first()
    if membership is not None:
        return membership.room, membership
    room_type = Room.objects.filter(pk=room_id).values_list("type", flat=True).first()
    if room_type == Room.Type.PUBLIC:
        raise Forbidden(NOT_A_MEMBER)
    raise NotFound(ROOM_NOT_FOUND)


def room_ids_for_presence(*, user_id: UUID | str, max_members: int) -> list[UUID]:
    """The user's rooms that hear their presence: direct rooms, and rooms of at most `max_members`.

    Announcing every connection to every member of a large room costs members² frames when the
    room reconnects at once (a deploy), so big rooms learn presence from the member list instead.
    One query.
    """
    return list(
        RoomMember.objects.filter(user_id=user_id)
        .annotate(members=Count("room__memberships"))
        .filter(Q(room__type=Room.Type.DIRECT) | Q(members__lte=max_members))
        .values_list("room_id", flat=True)
    )


def room_ids_for_user(*, user_id: UUID | str) -> list[UUID]:
    """Every room the user belongs to, direct ones too (one query)."""
    return list(RoomMember.objects.filter(user_id=user_id).values_list("room_id", flat=True))


@dataclass(frozen=True)
class RoomPosition:
    """Where a room's message stream stands: its last sequence number and last message's id."""

    room_id: UUID
    message_seq: int
    last_message_id: UUID | None


def room_is_member(*, room_id: UUID | str, user_id: UUID | str) -> bool:
    parsed = parse_uuid(room_id)
    if parsed is None:
        return False
    return RoomMember.objects.filter(room_id=parsed, user_id=user_id).exists()


def room_partner_read_at(*, room: Room, user: User) -> datetime | None:
    """In a direct room, when the other person last read it."""
    return RoomMember.objects.filter(room_id=room.id).exclude(user_id=user.id).values_list("read_at", flat=True).first()
