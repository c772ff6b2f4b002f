"""The one way to send a realtime event: after commit, to a group, encoded to JSON once.

Each process's hub relays the ready text to its sockets, so a message for a thousand recipients is
serialized once, not a thousand times.
"""

import asyncio
import json
import logging
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from broadcast.layers import EPHEMERAL_KEY
from chatapp.loops import serving_loop

logger = logging.getLogger(__name__)

# Group-message type of relayed events (each process's hub receives them: realtime.hub).
RELAY_TYPE = "relay"


def encode_event(event: dict) -> str:
    return json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"))


def relay_message(
    group: str,
    event: dict,
    *,
    text: str | None = None,
    skip_user: UUID | str | None = None,
    seq: int | None = None,
    ephemeral: bool = False,
) -> dict:
    """The group message the hubs relay: the event's JSON text, encoded once for everyone.

    It names its group because each process receives all its groups on one channel. Pass `text`
    when the same event goes to several groups, so it is encoded once for all of them.
    """
    message = {"type": RELAY_TYPE, "group": group, "event": event["type"], "text": text or encode_event(event)}
    if skip_user is not None:
        message["skip_user"] = str(skip_user)
    if event["type"] == "new_message":
        message["message_id"] = str(event["payload"]["id"])  # lets a resumed socket drop repeats
    if seq is not None:
        message["seq"] = seq  # the room's commit order: hubs deliver by it (realtime.hub)
    if ephemeral:
        message[EPHEMERAL_KEY] = True  # the first an inbox turns away (broadcast.layers)
    return message


async def send_now_async(group: str, event: dict, *, skip_user: UUID | str | None = None) -> None:
    """For ephemeral events with no database write behind them (typing, join/leave of a socket).

    They never take a message's place in an inbox: broadcast.layers admits them only while the
    inbox is nearly empty.
    """
    await get_channel_layer().group_send(group, relay_message(group, event, skip_user=skip_user, ephemeral=True))


def send_now(groups: list[str], event: dict, *, skip_user: UUID | str | None = None, seq: int | None = None) -> None:
    """Sends `event` to every group now: encoded once, one hop to the event loop for all of them."""
    text = encode_event(event)
    layer = get_channel_layer()

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, relay_message(group, event, text=text, skip_user=skip_user, seq=seq))

    loop = serving_loop()
    try:
        if loop is not None:
            # An HTTP worker thread: the server's loop sends, with the channel layer's one pool
            # (chatapp.loops). `async_to_sync` here would start a loop, thread and pool per call.
            asyncio.run_coroutine_threadsafe(send_all(), loop).result()
        else:
            # A thread started by sync_to_async (a socket's send) hops to the server's loop; outside
            # a server (a management command) a loop of its own is all there is.
            async_to_sync(send_all)()
    except Exception as error:
        # The write this announces is already committed; hubs read a missed message back and
        # clients recover the rest with `resume` (Redis outages log this once per event).
        logger.warning(
            "realtime publish failed", extra={"groups": groups, "event_type": event["type"], "error": str(error)}
        )


def publish(group: str, event: dict, *, seq: int | None = None) -> None:
    """Sends `event` to `group` once the current transaction commits (never on rollback).

    `seq`: the event's place in its room's commit order, when it has one (new messages).
    """
    transaction.on_commit(lambda: send_now([group], event, seq=seq))


def publish_many(groups: list[str], event: dict, *, skip_user: UUID | str | None = None) -> None:
    """`publish` to several groups: encoded once, sent after commit."""
    transaction.on_commit(lambda: send_now(groups, event, skip_user=skip_user))
