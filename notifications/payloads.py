"""What a push notification says: built once per recipient, from the message."""

import json
from typing import TypedDict

from messaging.models import FILE_TYPES, Message
from notifications.webpush import MAX_PAYLOAD_BYTES
from rooms.models import Room

BODY_CHARACTERS = 120


class MessagePush(TypedDict):
    type: str  # "message"
    room_id: str
    message_id: str
    title: str
    body: str
    url: str  # opens the message in the web client
    unread_total: int  # the user's unread messages in all rooms (the app badge)


def message_url(message: Message) -> str:
    return f"/rooms/{message.room_id}/messages/{message.id}"


def message_push(message: Message, *, unread_total: int) -> MessagePush:
    """The notification for `message`. Its JSON stays within MAX_PAYLOAD_BYTES (a long room name
    is shortened), so a push service never refuses it for its size."""
    room = message.room
    sender = message.sender.username
    title = sender if room.type == Room.Type.DIRECT else f"{sender} in {room.name}"
    body = f"📎 {message.file_name}" if message.type in FILE_TYPES else message.content
    push = MessagePush(
        type="message",
        room_id=str(message.room_id),
        message_id=str(message.id),
        title=title,
        body=body[:BODY_CHARACTERS],
        url=message_url(message),
        unread_total=unread_total,
    )
    while len(encode(push)) > MAX_PAYLOAD_BYTES and push["title"]:
        push["title"] = push["title"][: len(push["title"]) // 2]
    return push


def encode(push: MessagePush) -> bytes:
    return json.dumps(push, ensure_ascii=False, separators=(",", ":")).encode()


def urgency(message: Message, *, mentioned: bool) -> str:
    """RFC 8030 Urgency: a direct message or a mention may wake a sleeping phone; the rest waits."""
    return "high" if mentioned or message.room.type == Room.Type.DIRECT else "normal"
