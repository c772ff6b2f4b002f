"""WebSocket events about messages (built once, where they are published)."""

from messaging.models import Message
from messaging.serializers import message_json


def new_message(message: Message) -> dict:
    return {"type": "new_message", "payload": message_json(message)}


def edit_message(message: Message) -> dict:
    return {"type": "edit_message", "payload": message_json(message)}


def delete_message(message: Message) -> dict:
    return {"type": "delete_message", "payload": {"id": str(message.id), "room_id": str(message.room_id)}}
