"""WebSocket events about direct messages."""

from accounts.models import User
from rooms.models import Room


def dm_created(room: Room, sender: User) -> dict:
    """To both users: a conversation started. `room` must be loaded like a room detail."""
    from accounts.serializers import PublicUserSerializer
    from rooms.serializers import RoomDetailSerializer

    return {
        "type": "dm_created",
        "payload": {"room": RoomDetailSerializer(room).data, "sender": PublicUserSerializer(sender).data},
    }
