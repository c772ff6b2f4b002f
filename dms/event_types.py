"""The WebSocket events about direct messages."""

from dataclasses import dataclass
from typing import Any

from accounts.models import User
from broadcast.events import Event
from rooms.models import Room


@dataclass(frozen=True, kw_only=True)
class DmCreated(Event):
    """To both users: a conversation started."""

    type = "dm_created"
    room: dict[str, Any]  # the room detail JSON (rooms.serializers.RoomDetailSerializer)
    sender: dict[str, Any]  # the public user JSON of who started it

    @classmethod
    def of(cls, room: Room, sender: User) -> "DmCreated":
        """`room` must be loaded like a room detail (its members prefetched)."""
        from accounts.serializers import PublicUserSerializer
        from rooms.serializers import RoomDetailSerializer

        return cls(room=RoomDetailSerializer(room).data, sender=PublicUserSerializer(sender).data)
