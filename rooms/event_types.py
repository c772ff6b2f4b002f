"""The WebSocket events about rooms: one typed event each, built where it is published."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from rest_framework import serializers

from accounts.models import User
from broadcast.events import Event
from rooms.selectors import RoomPosition

# `read_at` in the same format as in REST responses.
_datetime = serializers.DateTimeField()


@dataclass(frozen=True, kw_only=True)
class UserJoined(Event):
    """To the room: someone joined it (REST) or opened it on a socket (`join_room`)."""

    type = "user_joined"
    room_id: str
    user_id: str
    username: str

    @classmethod
    def of(cls, room_id: UUID | str, user: User) -> "UserJoined":
        return cls(room_id=str(room_id), user_id=str(user.id), username=user.username)


@dataclass(frozen=True, kw_only=True)
class UserLeft(Event):
    """To the room: someone left it (REST) or closed it on a socket (`leave_room`)."""

    type = "user_left"
    room_id: str
    user_id: str
    username: str

    @classmethod
    def of(cls, room_id: UUID | str, user: User) -> "UserLeft":
        return cls(room_id=str(room_id), user_id=str(user.id), username=user.username)


@dataclass(frozen=True, kw_only=True)
class RoomDeleted(Event):
    """To the room: it is gone; sockets stop following it."""

    type = "room_deleted"
    room_id: str


@dataclass(frozen=True, kw_only=True)
class MessagesRead(Event):
    """To the room: a member read it up to `read_at`."""

    type = "messages_read"
    room_id: str
    user_id: str
    read_at: str

    @classmethod
    def of(cls, room_id: UUID, user_id: UUID, read_at: datetime) -> "MessagesRead":
        return cls(room_id=str(room_id), user_id=str(user_id), read_at=_datetime.to_representation(read_at))


@dataclass(frozen=True, kw_only=True)
class RoomSubscribe(Event):
    """Internal, to a user's group: their open sockets start following this room.

    It carries the room's stream position, so a process that did not follow the room yet orders
    its messages from there (realtime.hub) without reading the database in its delivery loop.
    Without one (the room vanished meanwhile), the first message the process sees sets the order.
    """

    type = "room_subscribe"
    room_id: str
    position: RoomPosition | None

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"room_id": self.room_id}
        if self.position is not None:
            last_id = self.position.last_message_id
            payload.update(message_seq=self.position.message_seq, last_message_id=str(last_id) if last_id else None)
        return payload

    @staticmethod
    def position_of(payload: dict[str, Any]) -> RoomPosition | None:
        """The stream position a `room_subscribe` payload carries."""
        if not isinstance(payload.get("message_seq"), int):
            return None
        last_id = payload.get("last_message_id")
        return RoomPosition(UUID(payload["room_id"]), payload["message_seq"], UUID(last_id) if last_id else None)


@dataclass(frozen=True, kw_only=True)
class RoomUnsubscribe(Event):
    """Internal, to a user's group: their open sockets stop following this room."""

    type = "room_unsubscribe"
    room_id: str


@dataclass(frozen=True, kw_only=True)
class NotifyLevelChanged(Event):
    """To a user's group: their notification level in a room changed (from another tab)."""

    type = "notify_level"
    room_id: str
    level: str
