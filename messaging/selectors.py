"""Message history: offset pages (newest first) and cursors for scrolling back and catching up;
rooms' stream positions and room list entries, which read their messages.

Every read orders by (created_at, id), a total order, so cursor pages never skip or repeat a
message that was already committed when the page was read. Access is checked by the caller
(`rooms.selectors.room_get_member`): these take a room the user may read.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict
from uuid import UUID

from django.db.models import Count, DateTimeField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower

from accounts.models import User
from chatapp.errors import BadRequest, NotFound
from chatapp.ids import parse_uuid
from chatapp.paging import Page
from messaging import rendering
from messaging.models import MESSAGE_RELATED, Message, MessageMention
from rooms.models import Room, RoomMember
from rooms.selectors import RoomPosition, member_count_annotation, room_get_member

MESSAGE_NOT_FOUND = "Message not found"
MAX_LIMIT = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MessageSlice:
    """One cursor page: `items` in the order asked for and whether more lie beyond it."""

    items: list[Message]
    has_more: bool


def _room_messages(room_id: UUID) -> QuerySet:
    return Message.objects.filter(room_id=room_id).select_related(*MESSAGE_RELATED)


def _newest_first(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("-created_at", "-id")


def _parse_message_id(message_id: UUID | str, name: str) -> UUID:
    parsed = parse_uuid(message_id)
    if parsed is None:
        raise BadRequest(f"{name} must be a message ID")
    return parsed


def _anchor(*, room_id: UUID, message_id: UUID | str, name: str) -> Message:
    parsed = _parse_message_id(message_id, name)
    anchor = Message.objects.filter(pk=parsed, room_id=room_id).only("id", "created_at").first()
    if anchor is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    return anchor


def _slice(queryset: QuerySet, limit: int) -> MessageSlice:
    # One row more than asked tells whether there is a next page without a count.
    rows = list(queryset[: limit + 1])
    return MessageSlice(items=rows[:limit], has_more=len(rows) > limit)


def _older_than(room_id: UUID, before_id: UUID | str) -> QuerySet:
    anchor = _anchor(room_id=room_id, message_id=before_id, name="before")
    older = Q(created_at__lt=anchor.created_at) | Q(created_at=anchor.created_at, id__lt=anchor.id)
    return _newest_first(_room_messages(room_id).filter(older))


def _newer_than(room_id: UUID, after_id: UUID | str) -> QuerySet:
    anchor = _anchor(room_id=room_id, message_id=after_id, name="after")
    newer = Q(created_at__gt=anchor.created_at) | Q(created_at=anchor.created_at, id__gt=anchor.id)
    return _room_messages(room_id).filter(newer).order_by("created_at", "id")


def messages_after(*, room_id: UUID, after_id: UUID | str, limit: int) -> MessageSlice:
    """Up to `limit` messages newer than `after_id`, oldest first (catching up after a disconnect)."""
    return _slice(_newer_than(room_id, after_id), limit)


def message_prev_id(message: Message) -> UUID | None:
    """The id of the message just before `message` in its room's commit order (created_at, id)."""
    earlier = Q(created_at__lt=message.created_at) | Q(created_at=message.created_at, id__lt=message.id)
    return _newest_first(Message.objects.filter(earlier, room_id=message.room_id)).values_list("id", flat=True).first()


def messages_first(*, room_id: UUID, limit: int) -> list[Message]:
    """The room's first `limit` messages, oldest first."""
    return list(_room_messages(room_id).order_by("created_at", "id")[:limit])


def messages_latest(*, room_id: UUID, limit: int) -> MessageSlice:
    """The room's newest `limit` messages, newest first (a first load, or resuming with none)."""
    return _slice(_newest_first(_room_messages(room_id)), limit)


@dataclass(frozen=True)
class MessageWindow:
    """Messages around one message, oldest first, and whether more lie on either side."""

    items: list[Message]
    has_more_before: bool
    has_more_after: bool


def messages_around(*, room_id: UUID, message_id: UUID | str, limit: int) -> MessageWindow:
    """The message `message_id` of the room in the middle of up to `limit` messages, oldest first.

    (limit - 1) // 2 older messages come before it and the rest of `limit` newer ones after it
    (fewer where the room has fewer). A link to a message opens the conversation this way.
    """
    target = _room_messages(room_id).filter(pk=_parse_message_id(message_id, "around")).first()
    if target is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    older_count = (limit - 1) // 2
    at = target.created_at
    older = Q(created_at__lt=at) | Q(created_at=at, id__lt=target.id)
    newer = Q(created_at__gt=at) | Q(created_at=at, id__gt=target.id)
    before = _slice(_newest_first(_room_messages(room_id).filter(older)), older_count)
    after = _slice(_room_messages(room_id).filter(newer).order_by("created_at", "id"), limit - 1 - older_count)
    return MessageWindow(
        items=[*reversed(before.items), target, *after.items],
        has_more_before=before.has_more,
        has_more_after=after.has_more,
    )


# History pages for REST, already rendered as JSON: each message as
# `messaging.serializers.message_json` renders it, without building a model instance per row
# (messaging.rendering; the ORM path for other databases).


@dataclass(frozen=True)
class RenderedPage:
    data_json: str  # a JSON array of messages
    page: Page  # its place among all pages (no items)


@dataclass(frozen=True)
class RenderedSlice:
    data_json: str
    has_more: bool


def message_page_json(*, room_id: UUID, page: int, limit: int) -> RenderedPage:
    """Page `page` of the room's messages, newest first (one query, two for a page past the last)."""
    offset = (page - 1) * limit
    if rendering.in_database():
        data_json, total = rendering.page_json(room_id=room_id, offset=offset, limit=limit)
        if total is None:
            total = Message.objects.filter(room_id=room_id).count()
    else:
        queryset = _newest_first(_room_messages(room_id))
        total = queryset.count()
        data_json = rendering.render_queryset(queryset[offset : offset + limit]) if offset < total else "[]"
    return RenderedPage(data_json=data_json, page=Page(items=[], total=total, page=page, limit=limit))


def messages_before_json(*, room_id: UUID, before_id: UUID | str, limit: int) -> RenderedSlice:
    """Up to `limit` messages older than `before_id`, newest first (scrolling back)."""
    return _rendered_slice(room_id=room_id, anchor_id=before_id, older=True, limit=limit)


def messages_after_json(*, room_id: UUID, after_id: UUID | str, limit: int) -> RenderedSlice:
    """Up to `limit` messages newer than `after_id`, oldest first (catching up)."""
    return _rendered_slice(room_id=room_id, anchor_id=after_id, older=False, limit=limit)


def _rendered_slice(*, room_id: UUID, anchor_id: UUID | str, older: bool, limit: int) -> RenderedSlice:
    name = "before" if older else "after"
    if not rendering.in_database():
        queryset = (_older_than if older else _newer_than)(room_id, anchor_id)
        found = _slice(queryset, limit)
        return RenderedSlice(data_json=rendering.render_queryset(found.items), has_more=found.has_more)
    data_json, rows, anchor_found = rendering.slice_json(
        room_id=room_id, anchor_id=_parse_message_id(anchor_id, name), older=older, limit=limit
    )
    if not anchor_found:
        raise NotFound(MESSAGE_NOT_FOUND)
    return RenderedSlice(data_json=data_json, has_more=rows > limit)


# Rooms as seen through their messages: where each room's stream stands, and the entries of a
# user's room list with their unread counts and last messages. Rooms sit below messaging, so these
# reads live here rather than in rooms.selectors.


def _last_message_id(room_ref: str) -> Subquery:
    newest = Message.objects.filter(room_id=OuterRef(room_ref)).order_by("-created_at", "-id")
    return Subquery(newest.values("id")[:1])


def room_positions_for_user(*, user_id: UUID | str) -> list[RoomPosition]:
    """Every room the user belongs to with its stream position (one query).

    A process that starts relaying a room orders its messages from this position on, so even the
    first messages it relays keep their commit order (realtime.hub).
    """
    rows = (
        RoomMember.objects.filter(user_id=user_id)
        .annotate(last_message_id=_last_message_id("room_id"))
        .values_list("room_id", "room__message_seq", "last_message_id")
    )
    return [RoomPosition(room_id, seq, last_id) for room_id, seq, last_id in rows]


def room_position(*, room_id: UUID) -> RoomPosition | None:
    """One room's stream position (one query); None if there is no such room."""
    row = (
        Room.objects.filter(pk=room_id)
        .annotate(last_message_id=_last_message_id("pk"))
        .values_list("message_seq", "last_message_id")
        .first()
    )
    return None if row is None else RoomPosition(room_id, row[0], row[1])


def _unread_count() -> Coalesce:
    """Messages from others after the outer membership's read_at, not deleted."""
    unread = (
        Message.objects.filter(
            room_id=OuterRef("room_id"),
            is_deleted=False,
            created_at__gt=Coalesce(OuterRef("read_at"), Value(_EPOCH), output_field=DateTimeField()),
        )
        .filter(~Q(sender_id=OuterRef("user_id")))
        .order_by()
        .values("room_id")
        .annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(unread.values("n")[:1], output_field=IntegerField()), 0)


def _unread_mention_count() -> Coalesce:
    """The outer membership's unread messages that mention its user: their active mention rows
    after read_at (an author has none for their own messages; a deletion deactivates them)."""
    mentions = (
        MessageMention.objects.filter(
            user_id=OuterRef("user_id"),
            room_id=OuterRef("room_id"),
            active=True,
            created_at__gt=Coalesce(OuterRef("read_at"), Value(_EPOCH), output_field=DateTimeField()),
        )
        .order_by()
        .values("room_id")
        .annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(mentions.values("n")[:1], output_field=IntegerField()), 0)


def _memberships_with_activity(*, user: User) -> QuerySet:
    last_message = Message.objects.filter(room_id=OuterRef("room_id")).order_by("-created_at", "-id").values("id")[:1]
    return (
        RoomMember.objects.filter(user_id=user.id)
        .select_related("room", "room__created_by")
        .annotate(
            member_count=member_count_annotation("room_id"),
            unread_count=_unread_count(),
            mention_count=_unread_mention_count(),
            last_message_id=Subquery(last_message),
        )
        .order_by(Coalesce("room__last_message_at", "room__created_at").desc(), "-room_id")
    )


def _rooms_with_activity(query: QuerySet) -> list[Room]:
    """Runs the membership query and one more for the last messages; sets the counts on each room."""
    memberships = list(query)
    last_ids = [m.last_message_id for m in memberships if m.last_message_id]
    last_messages = {m.id: m for m in Message.objects.select_related(*MESSAGE_RELATED).filter(id__in=last_ids)}
    rooms = []
    for membership in memberships:
        room = membership.room
        room.member_count = membership.member_count
        room.unread_count = membership.unread_count
        room.mention_count = membership.mention_count
        room.last_message = last_messages.get(membership.last_message_id)
        room.my_membership = membership
        rooms.append(room)
    return rooms


def room_list_for_user(*, user: User) -> list[Room]:
    """Every room the user belongs to (direct ones too), most recent activity first, each with
    `member_count`, `unread_count`, `mention_count` and `last_message` set. Two queries."""
    return _rooms_with_activity(_memberships_with_activity(user=user))


def direct_rooms_for_user(*, user: User) -> list[Room]:
    """The user's direct rooms like `room_list_for_user`, with both users of the pair loaded."""
    memberships = (
        _memberships_with_activity(user=user)
        .filter(room__type=Room.Type.DIRECT)
        .select_related("room__direct_user_low", "room__direct_user_high")
    )
    return _rooms_with_activity(memberships)


def unread_total(*, user_id: UUID) -> int:
    """Unread messages in all the user's rooms together (an app badge): each room's `unread_count`
    rule (messages from others after the member's read_at, not deleted), summed. One query."""
    # One filter() call, so read_at is the membership of this user, not of any member of the room.
    return (
        Message.objects.filter(
            room__memberships__user_id=user_id,
            is_deleted=False,
            created_at__gt=Coalesce(F("room__memberships__read_at"), Value(_EPOCH)),
        )
        .exclude(sender_id=user_id)
        .count()
    )


# Mentions and who hears of a message.


@dataclass(frozen=True)
class MentionableMember:
    user_id: UUID
    username: str


def members_for_mentions(*, room_id: UUID, names: set[str], everyone: bool) -> list[MentionableMember]:
    """The room's active members whose username (any case) is one of `names`, or all of them
    with `everyone` (the text may say @room). One query, however many names."""
    members = RoomMember.objects.filter(room_id=room_id, user__is_active=True)
    if not everyone:
        members = members.annotate(name=Lower("user__username")).filter(name__in=names)
    rows = members.order_by("user_id").values_list("user_id", "user__username")
    return [MentionableMember(user_id, username) for user_id, username in rows]


class NotifyRecipient(TypedDict):
    """One user to notify of a message (the push job's payload)."""

    user_id: str
    mentioned: bool


def message_notify_recipients(
    *,
    room_id: UUID,
    sender_id: UUID,
    mentioned_ids: Collection[UUID],
    everyone: bool = False,
    mentioned_only: bool = False,
) -> list[NotifyRecipient]:
    """Who is notified of a message, by each member's `notify_level` (one query).

    A new message notifies every active member but the sender whose level is `all`, or
    `mentions` if the message mentions them (`mentioned_ids`, or everyone with `everyone`:
    @room). `nothing` never notifies. For an edit (`mentioned_only`), only the users it newly
    mentions are notified, whatever their level but `nothing`.
    """
    level = RoomMember.NotifyLevel
    members = RoomMember.objects.filter(room_id=room_id, user__is_active=True).exclude(user_id=sender_id)
    if mentioned_only:
        members = members.filter(user_id__in=mentioned_ids).exclude(notify_level=level.NOTHING)
    elif everyone:
        members = members.exclude(notify_level=level.NOTHING)
    else:
        members = members.filter(Q(notify_level=level.ALL) | Q(notify_level=level.MENTIONS, user_id__in=mentioned_ids))
    mentioned = set(mentioned_ids)
    return [
        NotifyRecipient(user_id=str(user_id), mentioned=everyone or mentioned_only or user_id in mentioned)
        for user_id in members.order_by("user_id").values_list("user_id", flat=True)
    ]


def mentions_for_user(*, user: User, before_id: UUID | str | None, limit: int) -> MessageSlice:
    """The mentions inbox: messages that mention `user` (by name or @room) in rooms they still
    belong to, newest first, each with its `room` loaded; deleted messages left out.

    `before_id` (a message that mentions or mentioned the user) pages back from there.
    """
    messages = (
        Message.objects.filter(
            mention_rows__user_id=user.id,
            mention_rows__active=True,
            is_deleted=False,
            room__memberships__user_id=user.id,
        )
        .select_related("room", *MESSAGE_RELATED)
        .order_by("-created_at", "-id")
    )
    if before_id is not None:
        anchor_id = _parse_message_id(before_id, "before")
        anchor = MessageMention.objects.filter(user_id=user.id, message_id=anchor_id).values("created_at").first()
        if anchor is None:
            raise NotFound(MESSAGE_NOT_FOUND)
        at = anchor["created_at"]
        messages = messages.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=anchor_id))
    return _slice(messages, limit)


# Pins.


def message_pins_for_member(*, room_id: UUID, user: User) -> list[Message]:
    """The room's pinned messages, newest pin first, each with `pinned_by` loaded (one query
    after the membership check: at most MAX_PINS_PER_ROOM rows, so no pages)."""
    room, _ = room_get_member(room_id=room_id, user=user)
    return list(
        _room_messages(room.id)
        .filter(pinned_at__isnull=False)
        .select_related("pinned_by")
        .order_by("-pinned_at", "-id")
    )
