"""WebSocket events about messages (built once, where they are published)."""

from messaging.models import Message
from messaging.serializers import message_json


def new_message(message: Message, *, prev_id: object) -> dict:
    """The message JSON plus `prev_id`, the id of the room's message just before it in commit
    order (None for the room's first): a client holding that one knows it has the room without a
    gap up to this message, and may move its `resume` point here."""
    return {"type": "new_message", "payload": {**message_json(message), "prev_id": str(prev_id) if prev_id else None}}


def edit_message(message: Message) -> dict:
    return {"type": "edit_message", "payload": message_json(message)}


def delete_message(message: Message) -> dict:
    return {"type": "delete_message", "payload": {"id": str(message.id), "room_id": str(message.room_id)}}
