"""The WebSocket events about messages: one typed event each, built where it is published."""

from dataclasses import dataclass
from uuid import UUID

from broadcast.events import Event
from messaging.models import Message
from messaging.serializers import MessageJSON, SenderJSON, iso_datetime, message_json, user_summary_json


@dataclass(frozen=True, kw_only=True)
class NewMessage(Event):
    """To the room: a message was posted. Its payload is the message JSON, as REST returns it,
    plus `prev_id`: the id of the room's message just before it in commit order (None for the
    room's first). A client holding that one knows it has the room without a gap up to this
    message, and may move its `resume` point here."""

    type = "new_message"
    message: MessageJSON
    prev_id: str | None = None

    @classmethod
    def of(cls, message: Message, *, prev_id: object) -> "NewMessage":
        return cls(message=message_json(message), prev_id=str(prev_id) if prev_id else None)

    def payload(self) -> dict[str, object]:
        return {**self.message, "prev_id": self.prev_id}

    def message_id(self) -> str:
        return self.message["id"]


@dataclass(frozen=True, kw_only=True)
class EditMessage(Event):
    """To the room: a message's text changed; the payload is the message JSON after the edit."""

    type = "edit_message"
    message: MessageJSON

    @classmethod
    def of(cls, message: Message) -> "EditMessage":
        return cls(message=message_json(message))

    def payload(self) -> MessageJSON:
        return self.message


@dataclass(frozen=True, kw_only=True)
class DeleteMessage(Event):
    """To the room: a message was deleted (its row stays, blanked)."""

    type = "delete_message"
    id: str
    room_id: str

    @classmethod
    def of(cls, message: Message) -> "DeleteMessage":
        return cls(id=str(message.id), room_id=str(message.room_id))


# The events below name their message `message_id` on the wire; the field is `message` because
# `Event.message_id()` means something else (the id of a message an event *delivers*, which hubs
# use to drop repeats: these deliver none).


@dataclass(frozen=True, kw_only=True)
class ReactionAdded(Event):
    """To the room: `user_id` reacted to a message with `emoji` (its `reactions` in the message
    JSON: count + 1, the user listed while fewer than 50 are)."""

    type = "reaction_added"
    room_id: str
    message: str
    emoji: str
    user_id: str

    @classmethod
    def of(cls, message: Message, *, emoji: str, user_id: UUID) -> "ReactionAdded":
        return cls(room_id=str(message.room_id), message=str(message.id), emoji=emoji, user_id=str(user_id))

    def payload(self) -> dict[str, object]:
        return {"room_id": self.room_id, "message_id": self.message, "emoji": self.emoji, "user_id": self.user_id}


@dataclass(frozen=True, kw_only=True)
class ReactionRemoved(Event):
    """To the room: `user_id` took their `emoji` off a message."""

    type = "reaction_removed"
    room_id: str
    message: str
    emoji: str
    user_id: str

    @classmethod
    def of(cls, message: Message, *, emoji: str, user_id: UUID) -> "ReactionRemoved":
        return cls(room_id=str(message.room_id), message=str(message.id), emoji=emoji, user_id=str(user_id))

    def payload(self) -> dict[str, object]:
        return {"room_id": self.room_id, "message_id": self.message, "emoji": self.emoji, "user_id": self.user_id}


@dataclass(frozen=True, kw_only=True)
class MessagePinned(Event):
    """To the room: a message was pinned, by `pinned_by` at `pinned_at` (as `GET /rooms/<id>/pins`
    lists them)."""

    type = "message_pinned"
    room_id: str
    message: str
    pinned_by: SenderJSON | None
    pinned_at: str | None

    @classmethod
    def of(cls, message: Message) -> "MessagePinned":
        return cls(
            room_id=str(message.room_id),
            message=str(message.id),
            pinned_by=user_summary_json(message.pinned_by),
            pinned_at=iso_datetime(message.pinned_at),
        )

    def payload(self) -> dict[str, object]:
        return {
            "room_id": self.room_id,
            "message_id": self.message,
            "pinned_by": self.pinned_by,
            "pinned_at": self.pinned_at,
        }


@dataclass(frozen=True, kw_only=True)
class MessageUnpinned(Event):
    """To the room: a message is no longer pinned (unpinned, or deleted)."""

    type = "message_unpinned"
    room_id: str
    message: str

    @classmethod
    def of(cls, message: Message) -> "MessageUnpinned":
        return cls(room_id=str(message.room_id), message=str(message.id))

    def payload(self) -> dict[str, object]:
        return {"room_id": self.room_id, "message_id": self.message}
