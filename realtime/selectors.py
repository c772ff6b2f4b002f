"""Reads for the realtime app: what a reconnecting socket missed."""

import operator
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any

from django.conf import settings
from django.db.models import F, Q

from accounts.models import User
from chatapp.errors import BadRequest
from chatapp.ids import parse_uuid
from messaging.event_types import DeleteMessage, EditMessage, NewMessage
from messaging.models import MESSAGE_RELATED, Message
from messaging.selectors import messages_after, messages_first, room_positions_for_user
from realtime.presence import users_with_live_connections

# One `resume` replays at most this many events in all (new messages and changes of earlier ones, of all
# its rooms together); rooms it could not finish are listed in `truncated` and the client pages
# them over REST (`?after=`). It bounds what one 64 KiB frame can make the server read and send,
# however many rooms (or spellings of one room) it names. 500: the per-room limit replays had
# before, so a room's missed messages replay as they did (its changes now count too).
RESUME_MAX_EVENTS = 500
# Read, encode and send this many events at a time: memory holds one page, not the whole replay,
# and a socket that closes stops the replay at the next page.
RESUME_PAGE_SIZE = 100

# A position in a stream of messages: (created_at, id), or (changed_at, id) for changes.
Position = tuple[datetime, uuid.UUID]


@dataclass
class _RoomReplay:
    room_id: str
    # created_at of the newest message the client has; None: it has none of this room.
    anchor_at: datetime | None
    # The last message replayed (or the client's own newest); None: from the room's first.
    after: Position | None
    # What is left to read: new messages, then changes of earlier ones (see _changed).
    messages_left: bool = True
    changes_left: bool = False
    changes_after: Position | None = None
    started: bool = False
    # The room's message seq once its messages were read to the newest (realtime.stream.SocketLedger).
    seq: int | None = None


@dataclass
class ResumeReplay:
    """A `resume` in progress: the rooms still to replay and how much of the cap is left."""

    room_ids: list[str]
    budget: int
    truncated_room_ids: list[str] = field(default_factory=list)
    pending: deque[_RoomReplay] = field(default_factory=deque)
    # room id -> the seq of the room's newest message, for each room replayed to its newest.
    ends: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return not self.pending


@dataclass
class ReplayPage:
    texts: list[str] = field(default_factory=list)
    # (room id, message id) of each new message in the page, in order.
    new_messages: list[tuple[str, str]] = field(default_factory=list)


def _parse_uuid(value: object, what: str) -> uuid.UUID:
    parsed = parse_uuid(value)
    if parsed is None:
        raise BadRequest(f"rooms: {what} must be a UUID")
    return parsed


def _changed(room_id: str, anchor_at: datetime) -> Q:
    """Messages up to the client's newest one that changed after it was sent: edited, deleted,
    reacted to, pinned or unpinned, or given their link preview (`changed_at`, which only those
    carry: the partial index message_changed_idx holds them alone)."""
    return Q(room_id=room_id, created_at__lte=anchor_at, changed_at__gt=anchor_at)


def resume_start(*, user: User, last_seen: dict, sent: dict[str, str] | None = None) -> ResumeReplay:
    """Checks a `resume` frame's rooms and plans their replay.

    `last_seen` maps room ids to the id of the newest message the client has (or null for none).
    Room ids are compared in their canonical form: `uuid.UUID` also reads upper case, braces,
    `urn:uuid:` and hyphens anywhere, and a room named several times is replayed once (from the
    first spelling's message). Rooms the user does not belong to are left out. Three queries,
    however many rooms: rooms with nothing to replay cost no more.

    `sent` maps room ids to the newest message the socket asking already sent of the room. A
    room where that is newer than the client's is replayed from it (a socket never sends an older
    message after a newer one) and listed in `truncated`: the client fetches what lies between
    over REST.
    """
    positions = {str(position.room_id): position for position in room_positions_for_user(user_id=user.id)}
    newest_ids = {room_id: position.last_message_id for room_id, position in positions.items()}
    sent = sent or {}
    wanted: dict[str, uuid.UUID | None] = {}
    for raw_room_id, raw_last_id in last_seen.items():
        room_id = str(_parse_uuid(raw_room_id, "room id"))
        if room_id in wanted or room_id not in newest_ids:
            continue
        wanted[room_id] = _parse_uuid(raw_last_id, "last message id") if raw_last_id else None
    sent_ids = {room_id: uuid.UUID(sent[room_id]) for room_id in wanted if room_id in sent}
    anchors = {
        message_id: (str(room_id), created_at)
        for message_id, room_id, created_at in Message.objects.filter(
            pk__in=[last_id for last_id in [*wanted.values(), *sent_ids.values()] if last_id is not None]
        ).values_list("id", "room_id", "created_at")
    }
    replay = ResumeReplay(room_ids=list(wanted), budget=RESUME_MAX_EVENTS)
    anchored: list[_RoomReplay] = []
    changes_since: list[Q] = []
    for room_id, last_id in wanted.items():
        after = _sent_after(room_id, last_id, anchors, sent_ids.get(room_id))
        if last_id is None and after is None:
            room = _RoomReplay(
                room_id=room_id, anchor_at=None, after=None, messages_left=newest_ids[room_id] is not None
            )
        else:
            anchor = anchors.get(last_id) if last_id is not None else None
            if last_id is not None and (anchor is None or anchor[0] != room_id):
                raise BadRequest(f"rooms: message {last_id} is not in room {room_id}")
            if after is not None:
                replay.truncated_room_ids.append(room_id)
            elif anchor is not None and last_id is not None:
                after = (anchor[1], last_id)
            assert after is not None
            room = _RoomReplay(
                room_id=room_id,
                anchor_at=anchor[1] if anchor else None,
                after=after,
                messages_left=newest_ids[room_id] != after[1],
                started=anchor is None,  # no newest-N start: the socket sent some of the room already
            )
            if anchor is not None:
                anchored.append(room)
                changes_since.append(_changed(room_id, anchor[1]))
        if not room.messages_left:
            # The client (or this socket) has the room's newest: its seq, read with it, is where
            # the room stands for this socket.
            room.seq = positions[room_id].message_seq
        replay.pending.append(room)
    if anchored:
        # One query for every room's changes, instead of one per room; most have none.
        changed = Message.objects.filter(reduce(operator.or_, changes_since))
        with_changes = {str(room_id) for room_id in changed.values_list("room_id", flat=True).distinct()}
        for room in anchored:
            room.changes_left = room.room_id in with_changes
    for room in replay.pending:
        if room.seq is not None:
            replay.ends[room.room_id] = room.seq
    replay.pending = deque(room for room in replay.pending if room.messages_left or room.changes_left)
    return replay


def _sent_after(room_id: str, last_id: uuid.UUID | None, anchors: dict, sent_id: uuid.UUID | None) -> Position | None:
    """Where the replay must start instead of after the client's message: after the newest one
    the socket already sent, when that is newer (or the client has none)."""
    sent = anchors.get(sent_id) if sent_id is not None else None
    if sent is None or sent[0] != room_id or sent_id is None:
        return None
    client = anchors.get(last_id) if last_id is not None else None
    if client is not None and (client[1], last_id) >= (sent[1], sent_id):
        return None
    return (sent[1], sent_id)


def _after(field_name: str, position: Position | None) -> Q:
    if position is None:
        return Q()
    at, message_id = position
    return Q(**{f"{field_name}__gt": at}) | Q(**{field_name: at, "id__gt": message_id})


def _newest_start(room: _RoomReplay, count: int) -> tuple[Position | None, bool]:
    """A client with nothing in a room gets its newest `count` messages: the position just
    before them, and whether older ones are left out."""
    older = (
        Message.objects.filter(room_id=room.room_id)
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[count : count + 1]
    )
    first_left_out = next(iter(older), None)
    return first_left_out, first_left_out is not None


def _read_messages(room: _RoomReplay, limit: int) -> tuple[list[Message], bool, int | None]:
    """The next messages, whether more follow, and the room's seq as the same statement saw it.

    One statement is one snapshot: once the messages reach the room's newest, that seq is the
    newest one's (a send writes both in one transaction).
    """
    rows: list[Any] = list(
        Message.objects.filter(_after("created_at", room.after), room_id=room.room_id)
        .select_related(*MESSAGE_RELATED)
        .annotate(room_seq=F("room__message_seq"))
        .order_by("created_at", "id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit, rows[0].room_seq if rows else None


def _read_changes(room: _RoomReplay, limit: int) -> tuple[list[Message], bool]:
    # Only a room with an anchor has changes to read: changes_left is set for those alone.
    assert room.anchor_at is not None
    rows = list(
        Message.objects.filter(_changed(room.room_id, room.anchor_at), _after("changed_at", room.changes_after))
        .select_related(*MESSAGE_RELATED)
        .order_by("changed_at", "id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def resume_next_page(replay: ResumeReplay) -> ReplayPage:
    """The next up to RESUME_PAGE_SIZE events of a replay, encoded, in order; advances `replay`.

    Per room: messages created after the client's newest one, oldest first, then earlier messages
    that changed after it was sent, as they are now: `delete_message` for a deleted one,
    `edit_message` (the whole message JSON: text, reactions, pin, link preview) for the others.
    Once the cap is spent, the room in progress (if anything of it is left) and every room not
    reached go to `truncated`.
    """
    page, size = ReplayPage(), RESUME_PAGE_SIZE
    while replay.pending and len(page.texts) < size:
        room = replay.pending[0]
        if replay.budget <= 0 and not room.started:
            _truncate_pending(replay)
            break
        # 0 once the cap is spent: the read then only tells whether anything of the room is left.
        limit = min(size - len(page.texts), replay.budget)
        if not room.started:
            room.started = True
            if room.anchor_at is None:
                room.after, older_left_out = _newest_start(room, replay.budget)
                if older_left_out:
                    replay.truncated_room_ids.append(room.room_id)
        if room.messages_left:
            messages, more, room_seq = _read_messages(room, limit)
            prev_id = room.after[1] if room.after else None
            for message in messages:
                page.texts.append(NewMessage.of(message, prev_id=prev_id).encode())
                page.new_messages.append((room.room_id, str(message.id)))
                prev_id = message.id
            if messages:
                room.after = (messages[-1].created_at, messages[-1].id)
                if not more and room_seq is not None:
                    replay.ends[room.room_id] = room_seq
            room.messages_left = more
        else:
            messages, more = _read_changes(room, limit)
            for message in messages:
                event = DeleteMessage.of(message) if message.is_deleted else EditMessage.of(message)
                page.texts.append(event.encode())
            if messages:
                # Every message _changed selects has a changed_at.
                changed_at = messages[-1].changed_at
                assert changed_at is not None
                room.changes_after = (changed_at, messages[-1].id)
            room.changes_left = more
        replay.budget -= len(messages)
        if more and replay.budget <= 0:
            _truncate_pending(replay)
            break
        if not (room.messages_left or room.changes_left):
            replay.pending.popleft()
    return page


def _truncate_pending(replay: ResumeReplay) -> None:
    for room in replay.pending:
        if room.room_id not in replay.truncated_room_ids:
            replay.truncated_room_ids.append(room.room_id)
    replay.pending.clear()


def room_messages_after(*, room_id: uuid.UUID | str, after_id: uuid.UUID | str | None, count: int) -> list[NewMessage]:
    """The `count` messages committed next in the room after `after_id` (None: from its first), as
    `new_message` events.

    Sends to a room are timestamped under its row lock, so (created_at, id) is commit order: the
    same order `resume` replays in. Used by the hub to fill a gap whose announcements are late.
    """
    room_uuid = room_id if isinstance(room_id, uuid.UUID) else uuid.UUID(room_id)
    if after_id is None:
        messages = messages_first(room_id=room_uuid, limit=count)
    else:
        messages = messages_after(room_id=room_uuid, after_id=after_id, limit=count).items
    events = []
    for message in messages:
        events.append(NewMessage.of(message, prev_id=after_id))
        after_id = message.id
    return events


def users_connected(*, user_ids: list[str]) -> set[str]:
    """Of `user_ids`, those with a live WebSocket on any server process.

    With Redis, from the connection counts every process keeps there. Without it (the embedded
    single-process default) those counts live in the server process alone, so a worker process reads
    the `is_online` flag that server writes on a user's first connect and last disconnect.
    """
    if settings.REDIS_URL:
        return users_with_live_connections(user_ids)
    online = User.objects.filter(id__in=user_ids, is_online=True).values_list("id", flat=True)
    return {str(user_id) for user_id in online}
