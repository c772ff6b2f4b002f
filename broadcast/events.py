"""The base of every WebSocket event: a typed value that renders to `{"type": ..., "payload": {...}}`.

Each app declares the events it sends in its own `event_types.py`, one frozen dataclass per event
whose fields are the payload's fields, in wire order. A service builds the event once and hands it
to `broadcast.publish`, which encodes it once for every group and socket.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder


@dataclass(frozen=True, kw_only=True)
class Event:
    """One WebSocket event. Subclasses set `type` and declare the payload's fields.

    The wire shape is the Go server's, which existing clients parse: a subclass whose payload is not
    simply its fields (a serialized object, optional keys) overrides `payload`.
    """

    type: ClassVar[str]

    def payload(self) -> Mapping[str, Any] | None:
        """The payload object; None for an event sent without one (`auth_required`)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def as_dict(self) -> dict[str, Any]:
        payload = self.payload()
        return {"type": self.type} if payload is None else {"type": self.type, "payload": payload}

    def encode(self) -> str:
        """The event's JSON text, compact: what a socket receives."""
        return json.dumps(self.as_dict(), cls=DjangoJSONEncoder, separators=(",", ":"))

    def message_id(self) -> str | None:
        """The id of the message this event delivers, if it delivers one: a socket that has just
        replayed that message from the database drops this live copy (realtime.consumers)."""
        return None
