import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone

CONTENT_MAX_LENGTH = 2000


class Message(models.Model):
    class Type(models.TextChoices):
        TEXT = "text"
        IMAGE = "image"
        FILE = "file"
        AUDIO = "audio"
        SYSTEM = "system"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    content = models.CharField(max_length=CONTENT_MAX_LENGTH, blank=True, default="")
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    file_url = models.CharField(max_length=500, blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_size = models.BigIntegerField(null=True, blank=True)
    is_edited = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who the text mentions by name, as the message JSON shows them: [{"id", "username"}] in the
    # order they first appear, with the usernames they had when the text was written (the text
    # says "@alice", whatever alice is called later). Each mentioned user also has a
    # MessageMention row, the fact the inbox, counts and notifications go by.
    mentions = models.JSONField(default=list, blank=True)
    # The text says @room: every member at that time has a MessageMention row.
    mentions_room = models.BooleanField(default=False)
    # `content` as sanitised HTML (messaging.markdown), rendered whenever the text is written, and
    # the renderer version that wrote it (0: none yet), so `rerender_messages` finds what is stale.
    # Database defaults too, so rows inserted by other means (bulk loads) are valid, and stale.
    content_html = models.TextField(blank=True, default="", db_default="")
    render_version = models.PositiveSmallIntegerField(default=0, db_default=0)
    # Its reactions as the message JSON shows them, kept by the reaction services under the
    # message's row lock so a history page reads them with the row: [{"emoji", "count",
    # "user_ids", "first_at"}] ordered by first_at, the time of the emoji's earliest reaction still
    # there; user_ids are the first REACTION_USER_IDS_SHOWN reactors. Reaction rows are the facts.
    reactions = models.JSONField(default=list, blank=True, db_default=Value([], output_field=models.JSONField()))
    # Set while the message is pinned to its room.
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sender's idempotency key: a retried send with the same key returns the first message.
    # NULL (not "") when absent, so the partial unique constraint below ignores messages without one.
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # A default rather than auto_now_add so tests and fixtures can place a message in time.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The last time anything a client shows with the message changed after it was sent: an edit,
    # its deletion, a reaction, a pin, its link preview becoming ready. NULL: nothing since.
    # `updated_at` moves with edits alone (the Go contract's meaning); a reconnecting client's
    # `resume` replays the changes by this.
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_msg_id"],
                condition=Q(client_msg_id__isnull=False),
                name="message_client_msg_id_per_sender",
            ),
        ]
        indexes = [
            # History pages and cursors walk (created_at, id) inside one room.
            models.Index(fields=["room", "created_at", "id"], name="message_room_created_idx"),
            # Search results newest first across a user's rooms: a query matching many messages
            # walks this backwards and stops at a page, instead of collecting every match first.
            models.Index(fields=["created_at", "id"], name="message_created_idx"),
            # A room's pins, newest first; few messages are pinned, so the index stays small.
            models.Index(
                fields=["room", "-pinned_at"], condition=Q(pinned_at__isnull=False), name="message_pinned_idx"
            ),
            # What `resume` replays after the new messages: a room's changes since a moment. Most
            # messages never change, so the index holds only those that did.
            models.Index(
                fields=["room", "changed_at", "id"], condition=Q(changed_at__isnull=False), name="message_changed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.content[:40]}"

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None


class MessageMention(models.Model):
    """A user a message mentions (by name or through @room), kept once per message and user.

    The row outlives the mention: an edit that drops it clears `active` rather than deleting
    the row, so a later edit that mentions the user again finds them already notified. `room`
    and `created_at` copy the message's (neither ever changes), so the mentions inbox and the
    unread-mention counts read one index without joining every message of the user's rooms.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    # Whether the message's current text still mentions the user.
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="message_mention_unique")]
        indexes = [
            # One user's mentions by time: the inbox (newest first) and the unread ones per room.
            models.Index(
                fields=["user", "created_at", "message"], condition=Q(active=True), name="message_mention_user_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.message_id}"


class Reaction(models.Model):
    """One user's emoji on a message, once per message, user and emoji (the constraint holds when
    two requests race). `Message.reactions` summarises these rows for the message JSON."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reaction_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # One emoji: a ZWJ family with skin tones is about ten code points.
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_unique")]
        indexes = [
            # A message's first reactors of one emoji, when a removal refills its shown user_ids.
            models.Index(fields=["message", "emoji", "created_at", "id"], name="reaction_message_emoji_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.emoji} on {self.message_id}"


# What MessageSerializer reads besides the row itself: load these with every message shown.
MESSAGE_RELATED = ("sender", "reply_to", "reply_to__sender", "link_preview", "link_preview__image")

# The types a client may send (`system` messages are the server's own); the file types carry an upload.
FILE_TYPES = (Message.Type.IMAGE, Message.Type.FILE, Message.Type.AUDIO)
SENDABLE_TYPES = (Message.Type.TEXT, *FILE_TYPES)
