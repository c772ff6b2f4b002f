"""Reads for the realtime app: what a reconnecting socket missed."""

import uuid
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import User
from chatapp.errors import BadRequest
from messaging import events as message_events
from messaging.models import Message
from messaging.selectors import MessageSlice, messages_after, messages_first, messages_latest
from realtime.publish import encode_event
from rooms.selectors import room_ids_for_user

# Beyond this many missed messages in one room, the client pages the rest over REST (`?after=`).
RESUME_MAX_MESSAGES_PER_ROOM = 500


@dataclass
class Replay:
    texts: list[str] = field(default_factory=list)
    room_ids: list[str] = field(default_factory=list)
    truncated_room_ids: list[str] = field(default_factory=list)
    message_ids: set[str] = field(default_factory=set)


def _parse_uuid(value: object, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadRequest(f"rooms: {what} must be a UUID") from None


def resume_events(*, user: User, last_seen: dict, limit: int = RESUME_MAX_MESSAGES_PER_ROOM) -> Replay:
    """Every event a socket missed in each room since the last message it saw, in order.

    `last_seen` maps room ids to the id of the newest message the client has (or null for none).
    Rooms the user no longer belongs to are left out. New messages come first, oldest first,
    then edits and deletions of earlier messages that happened after that message was sent.
    """
    member_room_ids = {str(room_id) for room_id in room_ids_for_user(user_id=user.id)}
    replay = Replay()
    for raw_room_id, raw_last_id in last_seen.items():
        room_id = str(_parse_uuid(raw_room_id, "room id"))
        if room_id not in member_room_ids:
            continue
        anchor = None
        if raw_last_id:
            last_id = _parse_uuid(raw_last_id, "last message id")
            anchor = Message.objects.filter(pk=last_id, room_id=room_id).only("id", "created_at").first()
            if anchor is None:
                raise BadRequest(f"rooms: message {last_id} is not in room {room_id}")
            missed = messages_after(room_id=room_id, after_id=anchor.id, limit=limit)
        else:
            # A client with nothing in this room gets its newest messages, oldest first.
            newest = messages_latest(room_id=room_id, limit=limit)
            missed = MessageSlice(items=newest.items[::-1], has_more=newest.has_more)
        if missed.has_more:
            replay.truncated_room_ids.append(room_id)
        for message in missed.items:
            replay.texts.append(encode_event(message_events.new_message(message)))
            replay.message_ids.add(str(message.id))
        if anchor is not None:
            # Only edited or deleted ones: `updated_at` is stamped at insert too, a moment after
            # `created_at`, so the anchor itself would otherwise come back as an edit every time.
            changed = Message.objects.filter(
                Q(is_edited=True) | Q(is_deleted=True),
                room_id=room_id,
                created_at__lte=anchor.created_at,
                updated_at__gt=anchor.created_at,
            ).order_by("updated_at", "id")
            for message in changed.select_related("sender", "reply_to__sender"):
                event = (
                    message_events.delete_message(message)
                    if message.is_deleted
                    else message_events.edit_message(message)
                )
                replay.texts.append(encode_event(event))
        replay.room_ids.append(room_id)
    return replay


def room_messages_after(*, room_id: uuid.UUID | str, after_id: uuid.UUID | str | None, count: int) -> list[dict]:
    """The `count` messages committed next in the room after `after_id` (None: from its first), as
    `new_message` events.

    Sends to a room are timestamped under its row lock, so (created_at, id) is commit order: the
    same order `resume` replays in. Used by the hub to fill a gap whose announcements are late.
    """
    if after_id is None:
        messages = messages_first(room_id=room_id, limit=count)
    else:
        messages = messages_after(room_id=room_id, after_id=after_id, limit=count).items
    return [message_events.new_message(message) for message in messages]
