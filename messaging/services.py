"""Every write to messages: send (REST and WebSocket alike), edit, delete."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

import jobs
from accounts.models import User
from broadcast.groups import room_group, user_group
from broadcast.publish import publish
from chatapp.errors import BadRequest, Conflict, Forbidden, NotFound
from messaging import fulltext, mentions
from messaging.event_types import DeleteMessage, EditMessage, NewMessage
from messaging.models import (
    CONTENT_MAX_LENGTH,
    FILE_TYPES,
    MESSAGE_RELATED,
    SENDABLE_TYPES,
    Message,
    MessageMention,
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
    message.is_edited = True
    message.save(update_fields=["content", "mentions", "mentions_room", "is_edited", "updated_at"])
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
    message.is_deleted = True
    # The text and file go; the row stays so replies and history keep their place.
    message.content, message.file_url, message.file_name, message.file_size = "", "", "", None
    message.mentions, message.mentions_room = [], False
    message.save(
        update_fields=[
            "is_deleted",
            "content",
            "file_url",
            "file_name",
            "file_size",
            "mentions",
            "mentions_room",
            "updated_at",
        ]
    )
    # Out of the mentions inbox and the unread-mention counts.
    MessageMention.objects.filter(message_id=message.id, active=True).update(active=False)
    fulltext.unindex_message(message.id)
    _link_preview(message)
    publish(DeleteMessage.of(message), to=[room_group(message.room_id)])
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
