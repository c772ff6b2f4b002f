"""Channel-layer group names: the only place they are spelled."""

from uuid import UUID


def room_group(room_id: UUID | str) -> str:
    return f"room.{room_id}"


def user_group(user_id: UUID | str) -> str:
    return f"user.{user_id}"
