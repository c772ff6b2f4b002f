"""Every write to messages: send (REST and WebSocket alike), edit, delete, reactions, pins."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import emoji as emoji_data
from django.db import IntegrityError, transaction
from django.utils import timezone

import jobs
from accounts.models import User
from broadcast.groups import room_group, user_group
from broadcast.publish import publish
from chatapp.errors import BadRequest, Conflict, Forbidden, NotFound
from messaging import fulltext, markdown, mentions
from messaging.event_types import (
    DeleteMessage,
    EditMessage,
    MessagePinned,
    MessageUnpinned,
    NewMessage,
    ReactionAdded,
    ReactionRemoved,
)
from messaging.models import (
    CONTENT_MAX_LENGTH,
    FILE_TYPES,
    MESSAGE_RELATED,
    SENDABLE_TYPES,
    Message,
    MessageMention,
    Reaction,
)
from messaging.selectors import (
    MESSAGE_NOT_FOUND,
    NotifyRecipient,
    members_for_mentions,
    message_notify_recipients,
    message_prev_id,
    room_position,
)
from previews.services import link_preview_follow
from rooms.event_types import RoomSubscribe
from rooms.models import Room, RoomMember
from rooms.selectors import room_get_member
from uploads.selectors import upload_get_owned

# A message may be changed for 3 minutes, and only until someone else has read it, so nobody sees
# a message change after reading it.
EDIT_WINDOW = timedelta(minutes=3)
# In a room of more members than this, only its admins may mention @room: one word would
# otherwise notify a crowd.
ROOM_MENTION_OPEN_MAX = 100
# Different emoji on one message: a reaction bar stays one line, and a message's summary small.
MAX_REACTIONS_PER_MESSAGE = 20
# Reactors listed per emoji in the message JSON (the count stays exact): enough to name them on
# hover, and a popular message's JSON stays small.
REACTION_USER_IDS_SHOWN = 50
# In a room of more members than this, only its admins may pin or unpin: a pin shows to everyone.
PIN_OPEN_MAX_MEMBERS = 100
MAX_PINS_PER_ROOM = 50


def _clean_content(content: str, *, required: bool) -> str:
    content = (content or "").strip()
    if required and not content:
        raise BadRequest("Message content cannot be empty")
    if len(content) > CONTENT_MAX_LENGTH:
        raise BadRequest(f"Message content must be at most {CONTENT_MAX_LENGTH} characters")
    return content


def _attachment(*, sender: User, type: str, file_url: str, file_name: str) -> tuple[str, str, int]:
    """The sender's own upload behind `file_url`, as (canonical url, display name, stored size).

    The upload row is locked until the message commits, so `cleanup_uploads` cannot delete a file
    a message is about to reference. Name and size come from what was stored, not from the client:
    a client-chosen `file_name` could label a chip "report.pdf" on some other file, so it is
    accepted (the wire contract keeps the field) and replaced by the name recorded at upload time.
    """
    if len(file_name) > 255:
        raise BadRequest("file_name must be at most 255 characters")
    upload = upload_get_owned(owner=sender, url=file_url or "", for_update=True)
    if upload is None:
        raise BadRequest("file_url must be the URL of a file you uploaded")
    if type == Message.Type.IMAGE and not upload.is_image:
        raise BadRequest("An image message needs an uploaded image")
    if type == Message.Type.AUDIO and not upload.is_audio:
        raise BadRequest("An audio message needs an uploaded audio file")
    return upload.url, upload.original_name, upload.size


@dataclass(frozen=True)
class _Mentions:
    shown: list[dict]  # Message.mentions: [{"id", "username"}]
    everyone: bool  # the text says @room
    user_ids: set[UUID]  # everyone it mentions (@room: every member), the author aside


def _find_mentions(*, room_id: UUID, membership: RoomMember, content: str) -> _Mentions:
    """Who `content` mentions among the room's members: one query, none without an @name."""
    parsed = mentions.parse(content)
    if not parsed.candidates:
        return _Mentions(shown=[], everyone=False, user_ids=set())
    members = members_for_mentions(room_id=room_id, names=parsed.names, everyone=parsed.may_mention_room)
    named, everyone = mentions.resolve(parsed, {member.username.lower(): member for member in members})
    if everyone and len(members) > ROOM_MENTION_OPEN_MAX and membership.role != RoomMember.Role.ADMIN:
        raise Forbidden(f"Only room admins can mention @room in rooms of more than {ROOM_MENTION_OPEN_MAX} members")
    user_ids = {member.user_id for member in members} if everyone else {member.user_id for member in named}
    user_ids.discard(membership.user_id)
    shown = [{"id": str(member.user_id), "username": member.username} for member in named]
    return _Mentions(shown=shown, everyone=everyone, user_ids=user_ids)


def _add_mention_rows(message: Message, user_ids: Collection[UUID]) -> None:
    rows = [
        MessageMention(message=message, user_id=user_id, room_id=message.room_id, created_at=message.created_at)
        for user_id in user_ids
    ]
    # Batches bound one statement's size when @room names every member of a big room.
    MessageMention.objects.bulk_create(rows, batch_size=1000)


def _notify(*, message: Message, recipients: list[NotifyRecipient]) -> None:
    """Queues the push job for the users to notify of `message`: the one place a send or an edit
    asks for notifications.

    The job is a row in this transaction, so it runs once the message commits and never for a
    send that rolls back (notifications.jobs.push_message).
    """
    if recipients:
        jobs.enqueue("push_message", message_id=str(message.id), recipients=list(recipients))


def _link_preview(message: Message, *, new: bool = False) -> None:
    """Keeps the message's link preview in step with its text: the one place a send, an edit or a
    delete asks for one. A new first link is fetched by a job after commit (previews.jobs); a
    deleted message, or one whose first link changed, loses its preview."""
    text = "" if message.is_deleted else message.content
    link_preview_follow(message=message, room_id=message.room_id, sender_id=message.sender_id, text=text, new=new)


@transaction.atomic
def message_send(
    *,
    room_id: UUID,
    sender: User,
    content: str = "",
    type: str = Message.Type.TEXT,
    reply_to_id: UUID | None = None,
    file_url: str = "",
    file_name: str = "",
    client_msg_id: str | None = None,
) -> tuple[Message, bool]:
    """Posts a message to a room the sender belongs to; returns (message, created).

    A repeated `client_msg_id` from the same sender returns the message it first created, with
    created=False, and announces nothing. The returned message carries its sender and reply
    target, so it serializes without another query.
    """
    # Sends to one room take the room's row lock before they are timestamped, so they commit in
    # created_at order: a reader paging with `after=` (or `resume`) can never have passed a time
    # at which another message is still to commit.
    room, membership = room_get_member(room_id=room_id, user=sender, lock_room=True)
    if type not in SENDABLE_TYPES:
        raise BadRequest(f"Message type must be one of: {', '.join(SENDABLE_TYPES)}")
    content = _clean_content(content, required=type == Message.Type.TEXT)
    if type in FILE_TYPES:
        file_url, file_name, file_size = _attachment(sender=sender, type=type, file_url=file_url, file_name=file_name)
    else:
        file_url, file_name, file_size = "", "", None
    reply_to = None
    if reply_to_id:
        reply_to = Message.objects.select_related("sender").filter(pk=reply_to_id, room_id=room.id).first()
        if reply_to is None:
            raise BadRequest("The message you reply to is not in this room")
    found = _find_mentions(room_id=room.id, membership=membership, content=content)

    message = Message(
        content_html=markdown.render(content, mentions=found.shown, mentions_room=found.everyone),
        render_version=markdown.RENDERER_VERSION,
        created_at=timezone.now(),
        room=room,
        sender=sender,
        content=content,
        type=type,
        file_url=file_url,
        file_name=file_name,
        file_size=file_size,
        reply_to=reply_to,
        mentions=found.shown,
        mentions_room=found.everyone,
        client_msg_id=client_msg_id or None,
    )
    if message.client_msg_id is None:
        message.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            # A retry (or a second socket) with a key this sender already used: the first wins.
            existing = (
                Message.objects.select_related("room", *MESSAGE_RELATED)
                .filter(sender_id=sender.id, client_msg_id=message.client_msg_id)
                .first()
            )
            if existing is None:
                raise
            if existing.room_id != room.id:
                raise Conflict("client_msg_id was already used for a message in another room") from None
            return existing, False

    fulltext.index_message(message)
    # `room` was read under its row lock, so this sequence number follows commit order.
    seq = room.message_seq + 1
    Room.objects.filter(pk=room.id).update(last_message_at=message.created_at, message_seq=seq)
    _add_mention_rows(message, found.user_ids)
    recipients = message_notify_recipients(
        room_id=room.id, sender_id=sender.id, mentioned_ids=found.user_ids, everyone=found.everyone
    )
    _notify(message=message, recipients=recipients)
    _link_preview(message, new=True)
    publish(NewMessage.of(message, prev_id=message_prev_id(message)), to=[room_group(room.id)], seq=seq)
    return message, True


def _lock_for_change(*, message_id: UUID, actor: User) -> tuple[Message, RoomMember]:
    """The message (locked) and the actor's membership of its room; 404 if the actor cannot see it."""
    message = (
        Message.objects.select_for_update(of=("self",)).select_related(*MESSAGE_RELATED).filter(pk=message_id).first()
    )
    membership = None
    if message is not None:
        membership = RoomMember.objects.filter(room_id=message.room_id, user_id=actor.id).first()
    if message is None or membership is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    return message, membership


def _ensure_sender_may_change(message: Message, actor: User, now: datetime, *, action: str, done: str) -> None:
    """Own message, less than EDIT_WINDOW old, not yet read by anyone else; else 403 naming the rule."""
    if message.sender_id != actor.id:
        raise Forbidden(f"You can only {action} your own messages")
    if now - message.created_at >= EDIT_WINDOW:
        raise Forbidden(f"Messages can only be {done} within 3 minutes of sending")
    read = (
        RoomMember.objects.filter(room_id=message.room_id, read_at__gte=message.created_at)
        .exclude(user_id=message.sender_id)
        .exists()
    )
    if read:
        raise Forbidden(f"Messages that have been read cannot be {done}")


@transaction.atomic
def message_edit(*, message_id: UUID, editor: User, content: str, now: datetime | None = None) -> Message:
    """Changes a message's text: only its sender, only within the rule above.

    Its mentions follow the new text; users it mentions for the first time are notified, those
    an earlier version mentioned are not again.
    """
    message, membership = _lock_for_change(message_id=message_id, actor=editor)
    if message.is_deleted:
        raise BadRequest("Message has been deleted")
    _ensure_sender_may_change(message, editor, now or timezone.now(), action="edit", done="edited")
    message.content = _clean_content(content, required=not message.file_url)
    found = _find_mentions(room_id=message.room_id, membership=membership, content=message.content)
    message.mentions, message.mentions_room = found.shown, found.everyone
    message.content_html = markdown.render(message.content, mentions=found.shown, mentions_room=found.everyone)
    message.render_version = markdown.RENDERER_VERSION
    message.is_edited = True
    message.changed_at = timezone.now()
    message.save(
        update_fields=[
            "content",
            "content_html",
            "render_version",
            "mentions",
            "mentions_room",
            "is_edited",
            "updated_at",
            "changed_at",
        ]
    )
    fulltext.index_message(message)
    newly_mentioned = _update_mention_rows(message, found.user_ids)
    if newly_mentioned:
        recipients = message_notify_recipients(
            room_id=message.room_id, sender_id=editor.id, mentioned_ids=newly_mentioned, mentioned_only=True
        )
        _notify(message=message, recipients=recipients)
    _link_preview(message)
    publish(EditMessage.of(message), to=[room_group(message.room_id)])
    return message


def _update_mention_rows(message: Message, user_ids: set[UUID]) -> set[UUID]:
    """Makes the message's mention rows match `user_ids`; returns those mentioned for the first time.

    Rows of users no longer mentioned stay, inactive: they were notified once. The message row
    is locked, so two edits of one message cannot both count a user as new.
    """
    known = dict(MessageMention.objects.filter(message_id=message.id).values_list("user_id", "active"))
    new = user_ids - known.keys()
    _add_mention_rows(message, new)
    again = [user_id for user_id, active in known.items() if not active and user_id in user_ids]
    dropped = [user_id for user_id, active in known.items() if active and user_id not in user_ids]
    if again:
        MessageMention.objects.filter(message_id=message.id, user_id__in=again).update(active=True)
    if dropped:
        MessageMention.objects.filter(message_id=message.id, user_id__in=dropped).update(active=False)
    return new


def _soft_delete(message: Message) -> Message:
    was_pinned = message.pinned_at is not None
    message.is_deleted = True
    # The text and file go; the row stays so replies and history keep their place. Its reactions
    # and its pin go with the text.
    message.content, message.file_url, message.file_name, message.file_size = "", "", "", None
    message.content_html, message.render_version = "", markdown.RENDERER_VERSION
    message.mentions, message.mentions_room = [], False
    message.reactions, message.pinned_at, message.pinned_by = [], None, None
    message.changed_at = timezone.now()
    message.save(
        update_fields=[
            "is_deleted",
            "content",
            "content_html",
            "render_version",
            "file_url",
            "file_name",
            "file_size",
            "mentions",
            "mentions_room",
            "reactions",
            "pinned_at",
            "pinned_by",
            "updated_at",
            "changed_at",
        ]
    )
    Reaction.objects.filter(message_id=message.id).delete()
    # Out of the mentions inbox and the unread-mention counts.
    MessageMention.objects.filter(message_id=message.id, active=True).update(active=False)
    fulltext.unindex_message(message.id)
    _link_preview(message)
    publish(DeleteMessage.of(message), to=[room_group(message.room_id)])
    if was_pinned:
        # A pins panel follows pin events alone.
        publish(MessageUnpinned.of(message), to=[room_group(message.room_id)])
    return message


@transaction.atomic
def message_delete(*, message_id: UUID, actor: User, now: datetime | None = None) -> Message:
    """Soft-deletes a message: its sender within the rule above, or a room admin at any time."""
    message, membership = _lock_for_change(message_id=message_id, actor=actor)
    if message.is_deleted:
        raise BadRequest("Message has already been deleted")
    if membership.role != RoomMember.Role.ADMIN:
        _ensure_sender_may_change(message, actor, now or timezone.now(), action="delete", done="deleted")
    return _soft_delete(message)


@transaction.atomic
def message_delete_by_staff(*, message_id: UUID) -> Message | None:
    """Site staff (Django admin) soft-delete any message; None if it was already deleted."""
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None or message.is_deleted:
        return None
    return _soft_delete(message)


def messages_erase_for_deleted_account(*, user: User, erase_messages: bool, **_signal: object) -> None:
    """Soft-deletes every message of an account being deleted, if its owner asked for that.

    Connected to `accounts.signals.account_deleting` (messaging.apps), in the deleting transaction;
    each message goes like one its sender deleted (a `message_deleted` event to its room).
    """
    if not erase_messages:
        return
    for message in Message.objects.select_for_update().filter(sender_id=user.pk, is_deleted=False).order_by("pk"):
        _soft_delete(message)


def member_subscribe_publish(*, room: Room, user: User, **_signal: object) -> None:
    """Sends a new member's sockets a `room_subscribe` carrying the room's stream position.

    Connected to `rooms.signals.member_added` (messaging.apps): the position is read from the
    room's messages, which rooms cannot read.
    """
    publish(RoomSubscribe(room_id=str(room.id), position=room_position(room_id=room.id)), to=[user_group(user.id)])


# Reactions. A message's `reactions` summary changes only under its row lock (`_lock_for_change`),
# so it always matches its Reaction rows: each add or remove adjusts it, reading rows only when a
# listed reactor leaves.


def _clean_emoji(raw: str) -> str:
    """One emoji as the emoji library knows it (skin tones and ZWJ sequences included), in its
    fully qualified form, so "❤" and "❤️" are one reaction; else 400."""
    if not raw or len(raw) > 32 or not emoji_data.is_emoji(raw):
        raise BadRequest("emoji must be a single emoji")
    status = emoji_data.EMOJI_DATA[raw]["status"]
    if status == emoji_data.STATUS["component"]:
        # A skin tone or hair style alone modifies an emoji; it is not one.
        raise BadRequest("emoji must be a single emoji")
    if status != emoji_data.STATUS["fully_qualified"]:
        qualified = emoji_data.emojize(emoji_data.demojize(raw))
        if emoji_data.EMOJI_DATA.get(qualified, {}).get("status") == emoji_data.STATUS["fully_qualified"]:
            return qualified
    return raw


def _first_at(reaction: Reaction) -> str:
    # Fixed width, so the summary sorts by these strings as by the times.
    return reaction.created_at.isoformat(timespec="microseconds")


def _lock_for_reaction(*, message_id: UUID, user: User) -> Message:
    message, _membership = _lock_for_change(message_id=message_id, actor=user)
    if message.is_deleted:
        raise BadRequest("Message has been deleted")
    return message


def _save_reactions(message: Message, summary: list[dict]) -> None:
    summary.sort(key=lambda entry: entry["first_at"])
    message.reactions, message.changed_at = summary, timezone.now()
    # Not save(): a reaction is not an edit, so `updated_at` stays; `changed_at` is what `resume`
    # replays it by.
    Message.objects.filter(pk=message.pk).update(reactions=summary, changed_at=message.changed_at)


@transaction.atomic
def reaction_add(*, message_id: UUID, user: User, emoji: str) -> tuple[Message, bool]:
    """Adds `user`'s `emoji` to a message of a room they belong to; returns (message, added).

    Adding one they already have changes nothing (added=False). At most
    MAX_REACTIONS_PER_MESSAGE different emoji per message (409 for another).
    """
    emoji = _clean_emoji(emoji)
    message = _lock_for_reaction(message_id=message_id, user=user)
    summary = [dict(entry) for entry in message.reactions]
    entry = next((entry for entry in summary if entry["emoji"] == emoji), None)
    if entry is None and len(summary) >= MAX_REACTIONS_PER_MESSAGE:
        raise Conflict(f"A message can have at most {MAX_REACTIONS_PER_MESSAGE} different reactions")
    # The row lock already orders two requests of one user; the unique constraint is what holds.
    reaction, created = Reaction.objects.get_or_create(message=message, user=user, emoji=emoji)
    if not created:
        return message, False
    if entry is None:
        summary.append({"emoji": emoji, "count": 1, "user_ids": [str(user.id)], "first_at": _first_at(reaction)})
    else:
        entry["count"] += 1
        if len(entry["user_ids"]) < REACTION_USER_IDS_SHOWN:
            entry["user_ids"] = [*entry["user_ids"], str(user.id)]
    _save_reactions(message, summary)
    publish(ReactionAdded.of(message, emoji=emoji, user_id=user.id), to=[room_group(message.room_id)])
    return message, True


def _first_reactors(message_id: UUID, emoji: str) -> list[Reaction]:
    rows = Reaction.objects.filter(message_id=message_id, emoji=emoji).order_by("created_at", "id")
    return list(rows.only("user_id", "created_at")[:REACTION_USER_IDS_SHOWN])


def _summary_without(summary: list[dict], *, message_id: UUID, emoji: str, user_id: UUID) -> list[dict]:
    """The summary once `user_id`'s `emoji` row is gone (deleted already)."""
    summary = [dict(entry) for entry in summary]
    entry = next(entry for entry in summary if entry["emoji"] == emoji)
    entry["count"] -= 1
    if entry["count"] <= 0:
        summary.remove(entry)
    elif str(user_id) in entry["user_ids"]:
        # A listed reactor left: the next one moves up, and the emoji may have been theirs first.
        first = _first_reactors(message_id, emoji)
        entry["user_ids"] = [str(row.user_id) for row in first]
        entry["first_at"] = _first_at(first[0])
    return summary


@transaction.atomic
def reaction_remove(*, message_id: UUID, user: User, emoji: str) -> Message:
    """Takes `user`'s `emoji` off a message; 404 if they had not reacted with it."""
    emoji = _clean_emoji(emoji)
    message = _lock_for_reaction(message_id=message_id, user=user)
    deleted, _ = Reaction.objects.filter(message_id=message.id, user_id=user.id, emoji=emoji).delete()
    if not deleted:
        raise NotFound("You have not reacted with this emoji")
    _save_reactions(message, _summary_without(message.reactions, message_id=message.id, emoji=emoji, user_id=user.id))
    publish(ReactionRemoved.of(message, emoji=emoji, user_id=user.id), to=[room_group(message.room_id)])
    return message


def reaction_summary(*, message_id: UUID) -> list[dict]:
    """A message's `reactions` summary computed afresh from its rows (the services keep it step by step)."""
    summary: dict[str, dict] = {}
    for row in Reaction.objects.filter(message_id=message_id).order_by("created_at", "id"):
        entry = summary.setdefault(
            row.emoji, {"emoji": row.emoji, "count": 0, "user_ids": [], "first_at": _first_at(row)}
        )
        entry["count"] += 1
        if len(entry["user_ids"]) < REACTION_USER_IDS_SHOWN:
            entry["user_ids"].append(str(row.user_id))
    return sorted(summary.values(), key=lambda entry: entry["first_at"])


def reactions_forget_user(*, user: User, **_signal: object) -> None:
    """Takes a deleted account's reactions off every message, so counts stay exact and no list
    names a user who is gone; the rooms hear `reaction_removed`.

    Connected to `accounts.signals.user_deleting` (messaging.apps): sent in the transaction that
    deletes the user, before the rows go.
    """
    reacted = Reaction.objects.filter(user_id=user.id).values_list("message_id", flat=True).distinct()
    messages = Message.objects.select_for_update().filter(pk__in=list(reacted)).order_by("pk")
    for message in messages:
        emojis = list(Reaction.objects.filter(message_id=message.id, user_id=user.id).values_list("emoji", flat=True))
        Reaction.objects.filter(message_id=message.id, user_id=user.id).delete()
        _save_reactions(message, reaction_summary(message_id=message.id))
        for emoji in emojis:
            publish(ReactionRemoved.of(message, emoji=emoji, user_id=user.id), to=[room_group(message.room_id)])


def message_changed_by_preview(*, message_id: UUID | str, at: datetime, **_signal: object) -> None:
    """Stamps `changed_at` on a message whose link preview just became ready, so `resume` gives it
    to a client that missed `link_preview_ready`.

    Connected to `previews.signals.preview_ready` (messaging.apps): sent in the transaction that
    stored the preview. Not save(): a preview is not an edit (`updated_at` stays).
    """
    Message.objects.filter(pk=message_id).update(changed_at=at)


# Pins: a message pinned to its room carries `pinned_at` and `pinned_by`.


def _ensure_may_pin(room: Room, membership: RoomMember) -> None:
    if membership.role == RoomMember.Role.ADMIN:
        return
    if RoomMember.objects.filter(room_id=room.id).count() > PIN_OPEN_MAX_MEMBERS:
        raise Forbidden(
            f"Only room admins can pin or unpin messages in rooms of more than {PIN_OPEN_MAX_MEMBERS} members"
        )


def _lock_room_message(*, room: Room, message_id: UUID) -> Message:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related(*MESSAGE_RELATED, "pinned_by")
        .filter(pk=message_id, room_id=room.id)
        .first()
    )
    if message is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    return message


@transaction.atomic
def message_pin(*, room_id: UUID, message_id: UUID, actor: User, now: datetime | None = None) -> tuple[Message, bool]:
    """Pins a message of the room; returns (message, pinned now). Any member may in rooms of up to
    PIN_OPEN_MAX_MEMBERS members, only admins in larger ones; at most MAX_PINS_PER_ROOM pins (409).

    Pinning a pinned message changes nothing (False): who pinned it first stays.
    """
    # The room's row lock makes the count below exact when two members pin at once.
    room, membership = room_get_member(room_id=room_id, user=actor, lock_room=True)
    _ensure_may_pin(room, membership)
    message = _lock_room_message(room=room, message_id=message_id)
    if message.is_deleted:
        raise BadRequest("Message has been deleted")
    if message.pinned_at is not None:
        return message, False
    if Message.objects.filter(room_id=room.id, pinned_at__isnull=False).count() >= MAX_PINS_PER_ROOM:
        raise Conflict(f"A room can have at most {MAX_PINS_PER_ROOM} pinned messages")
    message.pinned_at, message.pinned_by = now or timezone.now(), actor
    message.changed_at = message.pinned_at
    # Not save(): pinning is not an edit (`updated_at` stays).
    Message.objects.filter(pk=message.pk).update(
        pinned_at=message.pinned_at, pinned_by=actor, changed_at=message.changed_at
    )
    publish(MessagePinned.of(message), to=[room_group(room.id)])
    return message, True


@transaction.atomic
def message_unpin(*, room_id: UUID, message_id: UUID, actor: User) -> Message:
    """Unpins a message of the room (the same members may as pin); 404 if it is not pinned."""
    room, membership = room_get_member(room_id=room_id, user=actor)
    _ensure_may_pin(room, membership)
    message = _lock_room_message(room=room, message_id=message_id)
    if message.pinned_at is None:
        raise NotFound("Message is not pinned")
    message.pinned_at, message.pinned_by, message.changed_at = None, None, timezone.now()
    Message.objects.filter(pk=message.pk).update(pinned_at=None, pinned_by=None, changed_at=message.changed_at)
    publish(MessageUnpinned.of(message), to=[room_group(room.id)])
    return message


# Rendering again: after a renderer change, messages stored with an older RENDERER_VERSION.


def messages_rerender(*, batch_size: int = 500, everything: bool = False) -> int:
    """Renders `content_html` again for every message stored with an older renderer (or all of
    them with `everything`); returns how many. Batches commit one by one."""
    done = 0
    last_id: UUID | None = None
    while True:
        with transaction.atomic():
            # Locked while rendered, so an edit meanwhile waits rather than being overwritten with
            # the HTML of its old text.
            batch_query = Message.objects.select_for_update().order_by("id")
            if not everything:
                batch_query = batch_query.filter(render_version__lt=markdown.RENDERER_VERSION)
            if last_id is not None:
                batch_query = batch_query.filter(id__gt=last_id)
            batch = list(batch_query.only("id", "content", "mentions", "mentions_room", "is_deleted")[:batch_size])
            if not batch:
                return done
            for message in batch:
                message.content_html = (
                    ""
                    if message.is_deleted
                    else markdown.render(
                        message.content, mentions=message.mentions, mentions_room=message.mentions_room
                    )
                )
                message.render_version = markdown.RENDERER_VERSION
            # bulk_update leaves `updated_at` alone: rendering again is not an edit.
            Message.objects.bulk_update(batch, ["content_html", "render_version"])
        done += len(batch)
        last_id = batch[-1].id
