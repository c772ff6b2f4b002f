"""Message history: offset pages (newest first) and cursors for scrolling back and catching up.

Every read orders by (created_at, id), a total order, so cursor pages never skip or repeat a
message that was already committed when the page was read. Access is checked by the caller
(`rooms.selectors.room_get_member`): these take a room the user may read.
"""

import uuid
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet

from chatapp.errors import BadRequest, NotFound
from chatapp.paging import Page, paginate
from messaging.models import MESSAGE_RELATED, Message

MESSAGE_NOT_FOUND = "Message not found"
MAX_LIMIT = 100


@dataclass(frozen=True)
class MessageSlice:
    """One cursor page: `items` in the order asked for and whether more lie beyond it."""

    items: list[Message]
    has_more: bool


def _room_messages(room_id: UUID) -> QuerySet:
    return Message.objects.filter(room_id=room_id).select_related(*MESSAGE_RELATED)


def _newest_first(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("-created_at", "-id")


def _anchor(*, room_id: UUID, message_id: UUID | str, name: str) -> Message:
    try:
        parsed = message_id if isinstance(message_id, UUID) else uuid.UUID(str(message_id))
    except ValueError:
        raise BadRequest(f"{name} must be a message ID") from None
    anchor = Message.objects.filter(pk=parsed, room_id=room_id).only("id", "created_at").first()
    if anchor is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    return anchor


def _slice(queryset: QuerySet, limit: int) -> MessageSlice:
    # One row more than asked tells whether there is a next page without a count.
    rows = list(queryset[: limit + 1])
    return MessageSlice(items=rows[:limit], has_more=len(rows) > limit)


def message_page(*, room_id: UUID, page: int, limit: int) -> Page:
    """Page `page` of the room's messages, newest first (two queries)."""
    return paginate(_newest_first(_room_messages(room_id)), page=page, limit=limit)


def messages_before(*, room_id: UUID, before_id: UUID | str, limit: int) -> MessageSlice:
    """Up to `limit` messages older than `before_id`, newest first (scrolling back)."""
    anchor = _anchor(room_id=room_id, message_id=before_id, name="before")
    older = Q(created_at__lt=anchor.created_at) | Q(created_at=anchor.created_at, id__lt=anchor.id)
    return _slice(_newest_first(_room_messages(room_id).filter(older)), limit)


def messages_after(*, room_id: UUID, after_id: UUID | str, limit: int) -> MessageSlice:
    """Up to `limit` messages newer than `after_id`, oldest first (catching up after a disconnect)."""
    anchor = _anchor(room_id=room_id, message_id=after_id, name="after")
    newer = Q(created_at__gt=anchor.created_at) | Q(created_at=anchor.created_at, id__gt=anchor.id)
    return _slice(_room_messages(room_id).filter(newer).order_by("created_at", "id"), limit)


def messages_latest(*, room_id: UUID, limit: int) -> MessageSlice:
    """The room's newest `limit` messages, newest first (a first load, or resuming with none)."""
    return _slice(_newest_first(_room_messages(room_id)), limit)
