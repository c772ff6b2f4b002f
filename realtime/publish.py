"""The one way to send a realtime event: after commit, to a group, encoded to JSON once.

Consumers relay the ready text to their sockets, so a message for a thousand recipients is
serialized once, not a thousand times.
"""

import json
import logging
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from realtime.groups import user_group

logger = logging.getLogger(__name__)

# Group-message type that consumers handle with their `relay` method.
RELAY_TYPE = "relay"


def encode_event(event: dict) -> str:
    return json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"))


def send_now(group: str, event: dict) -> None:
    """Sends immediately. Only for callers outside a transaction (consumers, commands)."""
    message = {"type": RELAY_TYPE, "event": event["type"], "text": encode_event(event)}
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except Exception as error:
        # The write this announces is already committed; clients recover it with `resume`.
        logger.exception(
            "realtime publish failed", extra={"group": group, "event_type": event["type"], "error": str(error)}
        )


def publish(group: str, event: dict) -> None:
    """Sends `event` to `group` once the current transaction commits (never on rollback)."""
    transaction.on_commit(lambda: send_now(group, event))


def publish_many(groups: list[str], event: dict) -> None:
    def send() -> None:
        for group in groups:
            send_now(group, event)

    transaction.on_commit(send)


def publish_to_user_contacts(user_id: UUID, event: dict) -> None:
    """Sends `event` to the user's own sockets (rooms they share are added by the rooms app)."""
    publish(user_group(user_id), event)
