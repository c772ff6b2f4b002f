"""Reads for direct messages."""

from dataclasses import dataclass

from accounts.models import User
from messaging.models import Message
from messaging.selectors import direct_rooms_for_user
from rooms.models import Room


@dataclass(frozen=True)
class Conversation:
    room: Room
    # A direct room's user columns are nullable in the schema; the pair is always set for one.
    other_user: User | None
    last_message: Message | None
    unread_count: int


def dm_list(*, user: User) -> list[Conversation]:
    """The user's direct conversations, most recent activity first (two queries)."""
    return [
        Conversation(
            room=room,
            other_user=room.direct_user_high if room.direct_user_low_id == user.id else room.direct_user_low,
            last_message=room.last_message,
            unread_count=room.unread_count,
        )
        for room in direct_rooms_for_user(user=user)
    ]
