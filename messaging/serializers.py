"""Wire shapes for messages (REST and WebSocket alike) and the inputs that create or change them."""

from datetime import datetime
from typing import Any, TypedDict

from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import UserSummarySerializer
from messaging.models import CONTENT_MAX_LENGTH, SENDABLE_TYPES, Message
from previews.serializers import LinkPreviewJSON, LinkPreviewSerializer, link_preview_json
from rooms.models import Room, RoomMember
from rooms.serializers import RoomSerializer


class SenderJSON(TypedDict):
    id: str
    username: str
    avatar: str


class ReplySenderJSON(TypedDict):
    id: str
    username: str


class ReplyToJSON(TypedDict):
    id: str
    content: str
    sender: ReplySenderJSON


class MentionJSON(TypedDict):
    id: str
    username: str


class ReactionJSON(TypedDict):
    emoji: str
    count: int
    user_ids: list[str]


class MessageJSON(TypedDict):
    """`message_json`'s shape, so mypy holds the builder and the events that carry it to it."""

    id: str
    room_id: str
    sender_id: str
    sender: SenderJSON
    content: str
    content_html: str
    type: str
    file_url: str
    file_name: str
    file_size: int | None
    is_edited: bool
    is_deleted: bool
    reply_to_id: str | None
    reply_to: ReplyToJSON | None
    mentions: list[MentionJSON]
    mentions_room: bool
    reactions: list[ReactionJSON]
    pinned: bool
    client_msg_id: str | None
    created_at: str | None
    updated_at: str | None
    changed_at: str | None
    link_preview: LinkPreviewJSON | None


class _ReplySenderSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields


class ReplyToSerializer(serializers.ModelSerializer):
    sender = _ReplySenderSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "content", "sender"]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict:
        data = super().to_representation(instance)
        if instance.is_deleted:
            data["content"] = ""
        return data


class MentionSerializer(serializers.Serializer):
    """A user the message names, with the username written in the text."""

    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)


class ReactionSerializer(serializers.Serializer):
    """One emoji on a message: how many reacted with it and (the first 50 of) who."""

    emoji = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    user_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True, max_length=50)


class MessageSerializer(serializers.ModelSerializer):
    """A message as every client sees it. Load it with `MESSAGE_RELATED` so this runs no query."""

    room_id = serializers.UUIDField(read_only=True)
    sender_id = serializers.UUIDField(read_only=True)
    sender = UserSummarySerializer(read_only=True)
    reply_to_id = serializers.UUIDField(read_only=True, allow_null=True)
    reply_to = ReplyToSerializer(read_only=True, allow_null=True)
    mentions = MentionSerializer(many=True, read_only=True)
    mentions_room = serializers.BooleanField(read_only=True, help_text="the text says @room")
    content_html = serializers.CharField(
        read_only=True,
        help_text='`content` as sanitised HTML (Markdown, mentions as `<span class="mention">`); '
        "the only field a client may insert as HTML",
    )
    reactions = ReactionSerializer(
        many=True, read_only=True, help_text="each emoji once, in the order first reacted; `[]` once deleted"
    )
    pinned = serializers.BooleanField(read_only=True, source="is_pinned", help_text="pinned to its room")
    link_preview = LinkPreviewSerializer(
        read_only=True, allow_null=True, help_text="the text's first link, once fetched (null until then, or if none)"
    )
    changed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="when anything shown with the message last changed after it was sent (an edit, its deletion, "
        "a reaction, a pin, its link preview); null: nothing since. Of two copies of a message, the one with "
        "the later `changed_at` is current",
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "room_id",
            "sender_id",
            "sender",
            "content",
            "content_html",
            "type",
            "file_url",
            "file_name",
            "file_size",
            "is_edited",
            "is_deleted",
            "reply_to_id",
            "reply_to",
            "mentions",
            "mentions_room",
            "reactions",
            "pinned",
            "client_msg_id",
            "created_at",
            "updated_at",
            "changed_at",
            "link_preview",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict[str, Any]:
        # The fields above are the contract (and the OpenAPI schema); the dict is built by hand
        # because DRF's generic field walk costs ~0.1 ms per message, most of a history page's time.
        # messaging/tests/test_serializers.py holds it equal to DRF's own rendering.
        return dict(message_json(instance))


def iso_datetime(value: datetime | None) -> str | None:
    """DRF's DateTimeField rendering: ISO 8601 in the current time zone (UTC), `Z` for +00:00."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def message_json(message: Message) -> MessageJSON:
    """The message JSON every client sees. Load the message with `MESSAGE_RELATED` (no query here).

    A deleted message keeps its id and times; its content, file fields, mentions, reactions, pin
    and link preview are blanked (the service clears them too; this keeps older rows and reply
    previews honest).
    """
    deleted = message.is_deleted
    sender = message.sender
    reply = message.reply_to
    return {
        "id": str(message.id),
        "room_id": str(message.room_id),
        "sender_id": str(message.sender_id),
        "sender": {"id": str(sender.id), "username": sender.username, "avatar": sender.avatar},
        "content": "" if deleted else message.content,
        "content_html": "" if deleted else message.content_html,
        "type": str(message.type),
        "file_url": "" if deleted else message.file_url,
        "file_name": "" if deleted else message.file_name,
        "file_size": None if deleted or message.file_size is None else int(message.file_size),
        "is_edited": message.is_edited,
        "is_deleted": deleted,
        "reply_to_id": str(message.reply_to_id) if message.reply_to_id else None,
        "reply_to": None
        if reply is None
        else {
            "id": str(reply.id),
            "content": "" if reply.is_deleted else reply.content,
            "sender": {"id": str(reply.sender.id), "username": reply.sender.username},
        },
        "mentions": [] if deleted else [{"id": m["id"], "username": m["username"]} for m in message.mentions],
        "mentions_room": message.mentions_room and not deleted,
        "reactions": []
        if deleted
        else [
            {"emoji": entry["emoji"], "count": entry["count"], "user_ids": list(entry["user_ids"])}
            for entry in message.reactions
        ],
        "pinned": message.pinned_at is not None and not deleted,
        "client_msg_id": message.client_msg_id,
        "created_at": iso_datetime(message.created_at),
        "updated_at": iso_datetime(message.updated_at),
        "changed_at": iso_datetime(message.changed_at),
        # The reverse one-to-one loaded with MESSAGE_RELATED; getattr's default: the message has none.
        "link_preview": None if deleted else link_preview_json(getattr(message, "link_preview", None)),
    }


def user_summary_json(user: User | None) -> SenderJSON | None:
    """A user shown beside what they did (UserSummarySerializer's shape); None for a deleted user."""
    if user is None:
        return None
    return {"id": str(user.id), "username": user.username, "avatar": user.avatar}


class _MentionRoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "type"]
        read_only_fields = fields


class MentionedMessageSerializer(MessageSerializer):
    """An entry of the mentions inbox: the message and the room it is in (load `room` with it)."""

    room = _MentionRoomSerializer(read_only=True)

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "room"]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict:
        room = instance.room
        return {**message_json(instance), "room": {"id": str(room.id), "name": room.name, "type": str(room.type)}}


class PinnedMessageSerializer(MessageSerializer):
    """A room's pin: the message, who pinned it and when (load `pinned_by` with it)."""

    pinned_by = UserSummarySerializer(read_only=True, allow_null=True, help_text="null if that account is gone")
    pinned_at = serializers.DateTimeField(read_only=True)

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "pinned_by", "pinned_at"]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict:
        return {
            **message_json(instance),
            "pinned_by": user_summary_json(instance.pinned_by),
            "pinned_at": iso_datetime(instance.pinned_at),
        }


class MessageSendInput(serializers.Serializer):
    """What a client sends to post a message (REST body, WebSocket `send_message` payload).

    Shapes and lengths only; the rules (membership, non-empty text, reply in the same room,
    uploaded file) live in `messaging.services.message_send`.
    """

    content = serializers.CharField(required=False, allow_blank=True, default="", max_length=CONTENT_MAX_LENGTH)
    type = serializers.ChoiceField(choices=SENDABLE_TYPES, required=False, default=Message.Type.TEXT)
    reply_to_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    file_url = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    file_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    client_msg_id = serializers.CharField(required=False, allow_null=True, default=None, max_length=64)


class MessageEditInput(serializers.Serializer):
    content = serializers.CharField(max_length=CONTENT_MAX_LENGTH)


class MyRoomSerializer(RoomSerializer):
    """A room in "my rooms": also how many messages I have not read (and how many of those
    mention me), the latest one and my notification level."""

    unread_count = serializers.IntegerField(read_only=True)
    mention_count = serializers.IntegerField(read_only=True, help_text="unread messages that mention you")
    last_message = MessageSerializer(read_only=True, allow_null=True)
    notify_level = serializers.ChoiceField(
        choices=RoomMember.NotifyLevel.choices, source="my_membership.notify_level", read_only=True
    )

    class Meta(RoomSerializer.Meta):
        fields = [*RoomSerializer.Meta.fields, "unread_count", "mention_count", "last_message", "notify_level"]
        read_only_fields = fields
