"""WebSocket events about rooms (built once, where they are published)."""

from datetime import datetime
from uuid import UUID

from rest_framework import serializers

from accounts.models import User

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


def room_subscribe(room_id: UUID) -> dict:
    """Internal, to a user's group: their open sockets start following this room."""
    return {"type": "room_subscribe", "payload": {"room_id": str(room_id)}}


def room_unsubscribe(room_id: UUID) -> dict:
    """Internal, to a user's group: their open sockets stop following this room."""
    return {"type": "room_unsubscribe", "payload": {"room_id": str(room_id)}}
