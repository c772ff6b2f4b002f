"""Channel-layer group names: the only place they are spelled."""

from uuid import UUID


def room_group(room_id: UUID | str) -> str:
    return f"room.{room_id}"


def user_group(user_id: UUID | str) -> str:
    return f"user.{user_id}"


def room_id_of_group(group: str) -> str | None:
    """The room id a room group is named after; None for any other group."""
    kind, _, room_id = group.partition(".")
    return room_id if kind == "room" and room_id else None
