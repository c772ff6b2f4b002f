"""The WebSocket events about messages: one typed event each, built where it is published."""

from dataclasses import dataclass

from broadcast.events import Event
from messaging.models import Message
from messaging.serializers import MessageJSON, message_json


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
