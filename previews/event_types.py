"""The WebSocket event about link previews."""

from dataclasses import dataclass

from broadcast.events import Event
from previews.models import MessageLinkPreview
from previews.serializers import LinkPreviewJSON, ready_json


@dataclass(frozen=True, kw_only=True)
class LinkPreviewReady(Event):
    """To the room: a message's link preview is ready (its `link_preview` as the message JSON now
    has it). A message whose link cannot be previewed gets none, and no event."""

    type = "link_preview"
    room_id: str
    # The payload's `message_id` (Event.message_id() is another thing: this event does not deliver
    # the message, so a socket that has just replayed it must still get this).
    previewed_id: str
    link_preview: LinkPreviewJSON

    @classmethod
    def of(cls, preview: MessageLinkPreview, *, room_id: object) -> "LinkPreviewReady":
        return cls(room_id=str(room_id), previewed_id=str(preview.message_id), link_preview=ready_json(preview))

    def payload(self) -> dict[str, object]:
        return {"room_id": self.room_id, "message_id": self.previewed_id, "link_preview": self.link_preview}
