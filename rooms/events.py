"""WebSocket events about rooms (built once, where they are published)."""

from datetime import datetime
from uuid import UUID

from rest_framework import serializers

from accounts.models import User
from rooms.selectors import RoomPosition

_datetime = serializers.DateTimeField()


def user_joined(room_id: UUID, user: User) -> dict:
    return {
        "type": "user_joined",
        "payload": {"room_id": str(room_id), "user_id": str(user.id), "username": user.username},
    }


def user_left(room_id: UUID, user: User) -> dict:
    return {
        "type": "user_left",
        "payload": {"room_id": str(room_id), "user_id": str(user.id), "username": user.username},
    }


def room_deleted(room_id: UUID) -> dict:
    return {"type": "room_deleted", "payload": {"room_id": str(room_id)}}


def messages_read(room_id: UUID, user_id: UUID, read_at: datetime) -> dict:
    # The same timestamp format as `read_at` in REST responses.
    return {
        "type": "messages_read",
        "payload": {"room_id": str(room_id), "user_id": str(user_id), "read_at": _datetime.to_representation(read_at)},
    }


def notify_level_changed(room_id: UUID, level: str) -> dict:
    """To a user's group: their notification level in a room changed (from another tab)."""
    return {"type": "notify_level", "payload": {"room_id": str(room_id), "level": level}}


def room_subscribe(room_id: UUID, position: RoomPosition | None) -> dict:
    """Internal, to a user's group: their open sockets start following this room.

    It carries the room's stream position, so a process that did not follow the room yet orders
    its messages from there (realtime.hub) without reading the database in its delivery loop.
    Without one (the room vanished meanwhile), the first message the process sees sets the order.
    """
    payload: dict = {"room_id": str(room_id)}
    if position is not None:
        last_id = position.last_message_id
        payload.update(message_seq=position.message_seq, last_message_id=str(last_id) if last_id else None)
    return {"type": "room_subscribe", "payload": payload}


def position_of(payload: dict) -> RoomPosition | None:
    """The stream position a `room_subscribe` payload carries."""
    if not isinstance(payload.get("message_seq"), int):
        return None
    last_id = payload.get("last_message_id")
    return RoomPosition(UUID(payload["room_id"]), payload["message_seq"], UUID(last_id) if last_id else None)


def room_unsubscribe(room_id: UUID) -> dict:
    """Internal, to a user's group: their open sockets stop following this room."""
    return {"type": "room_unsubscribe", "payload": {"room_id": str(room_id)}}
