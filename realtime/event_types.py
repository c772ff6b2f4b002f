"""The WebSocket events the realtime app itself sends: presence, typing, and answers to a socket."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from broadcast.events import Event


@dataclass(frozen=True, kw_only=True)
class AuthRequired(Event):
    """The first frame of a socket opened without a token: it must send `auth` next."""

    type = "auth_required"

    def payload(self) -> None:
        return None  # the Go server sends this one without a payload, and clients match on it


@dataclass(frozen=True, kw_only=True)
class Error(Event):
    """A frame could not be acted on; the socket stays open unless it is closed right after."""

    type = "error"
    error: str
    client_msg_id: str | None = None  # echoed so the client can match the error to its pending send

    def payload(self) -> dict[str, Any]:
        if self.client_msg_id is None:
            return {"error": self.error}
        return {"error": self.error, "client_msg_id": self.client_msg_id}


@dataclass(frozen=True, kw_only=True)
class Pong(Event):
    type = "pong"
    time: str

    @classmethod
    def at(cls, now: datetime | None = None) -> "Pong":
        return cls(time=(now or timezone.now()).isoformat())


@dataclass(frozen=True, kw_only=True)
class UserOnline(Event):
    """To the rooms a user shares with others: their first connection opened."""

    type = "user_online"
    user_id: str
    username: str

    @classmethod
    def of(cls, user: User) -> "UserOnline":
        return cls(user_id=str(user.id), username=user.username)


@dataclass(frozen=True, kw_only=True)
class Connected(Event):
    """To the socket that just authenticated: a `user_online` about its own user, with a greeting."""

    type = "user_online"
    user_id: str
    username: str
    message: str = "Connected to chat server"

    @classmethod
    def of(cls, user: User) -> "Connected":
        return cls(user_id=str(user.id), username=user.username)


@dataclass(frozen=True, kw_only=True)
class UserOffline(Event):
    """To the rooms a user shares with others: their last connection closed."""

    type = "user_offline"
    user_id: str
    username: str
    last_seen: str | None

    @classmethod
    def of(cls, user: User) -> "UserOffline":
        last_seen = user.last_seen.isoformat() if user.last_seen else None
        return cls(user_id=str(user.id), username=user.username, last_seen=last_seen)


@dataclass(frozen=True, kw_only=True)
class Typing(Event):
    """To the room's other members: someone is typing there."""

    type = "typing"
    room_id: str
    user_id: str
    username: str

    @classmethod
    def of(cls, room_id: str, user: User) -> "Typing":
        return cls(room_id=str(room_id), user_id=str(user.id), username=user.username)


@dataclass(frozen=True, kw_only=True)
class StopTyping(Event):
    """To the room's other members: someone stopped typing there."""

    type = "stop_typing"
    room_id: str
    user_id: str
    username: str

    @classmethod
    def of(cls, room_id: str, user: User) -> "StopTyping":
        return cls(room_id=str(room_id), user_id=str(user.id), username=user.username)


@dataclass(frozen=True, kw_only=True)
class Resumed(Event):
    """To the socket that sent `resume`: the replay is complete.

    `truncated`: rooms with more missed messages than one replay holds (page with `?after=`).
    """

    type = "resumed"
    rooms: list[str]
    truncated: list[str]
