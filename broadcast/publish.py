"""The one way to send a realtime event: after commit, to its groups, encoded to JSON once.

Each process's hub relays the ready text to its sockets, so a message for a thousand recipients is
serialized once, not a thousand times.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from broadcast.events import Event
from broadcast.layers import EPHEMERAL_KEY
from chatapp.loops import serving_loop

logger = logging.getLogger(__name__)

# Group-message type of relayed events (each process's hub receives them: realtime.hub).
RELAY_TYPE = "relay"


def relay_message(
    group: str,
    event: Event,
    *,
    text: str | None = None,
    skip_user: UUID | str | None = None,
    seq: int | None = None,
    ephemeral: bool = False,
) -> dict[str, Any]:
    """The group message the hubs relay: the event's JSON text, encoded once for everyone.

    It names its group because each process receives all its groups on one channel. Pass `text`
    (the event's `encode()`) when the same event goes to several groups, so it is encoded once.
    """
    message: dict[str, Any] = {"type": RELAY_TYPE, "group": group, "event": event.type, "text": text or event.encode()}
    if skip_user is not None:
        message["skip_user"] = str(skip_user)
    message_id = event.message_id()
    if message_id is not None:
        message["message_id"] = message_id  # lets a resumed socket drop repeats
    if seq is not None:
        message["seq"] = seq  # the room's commit order: hubs deliver by it (realtime.hub)
    if ephemeral:
        message[EPHEMERAL_KEY] = True  # the first an inbox turns away (broadcast.layers)
    return message


def _groups(to: Sequence[str]) -> list[str]:
    # A bare group name is a Sequence[str] too, of one-letter "groups": refuse it loudly.
    if isinstance(to, str):
        raise TypeError(f"`to` takes a list of groups, not the string {to!r}")
    return list(to)


def publish(event: Event, *, to: Sequence[str], seq: int | None = None, skip_user: UUID | str | None = None) -> None:
    """Sends `event` to the groups `to` once the current transaction commits (never on rollback).

    The event is encoded now, once, whatever the number of groups and sockets; the sends run on
    the server's event loop with the channel layer's one connection pool.
    `seq`: the event's place in its room's commit order, when it has one (new messages).
    `skip_user`: that user's sockets do not receive it (presence changes they caused).
    """
    groups = _groups(to)
    text = event.encode()
    transaction.on_commit(lambda: _send_now(groups, event, text=text, skip_user=skip_user, seq=seq))


async def publish_ephemeral(event: Event, *, to: Sequence[str], skip_user: UUID | str | None = None) -> None:
    """Sends now, from the event loop, an event with no database write behind it (typing, a
    socket joining or leaving a room): there is no transaction to wait for.

    It never takes a message's place in an inbox: broadcast.layers admits it only while the inbox
    is nearly empty.
    """
    text = event.encode()
    layer = get_channel_layer()
    for group in _groups(to):
        await layer.group_send(group, relay_message(group, event, text=text, skip_user=skip_user, ephemeral=True))


def _send_now(groups: list[str], event: Event, *, text: str, skip_user: UUID | str | None, seq: int | None) -> None:
    """Sends the encoded event to every group: one hop to the event loop for all of them."""
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
            "realtime publish failed", extra={"groups": groups, "event_type": event.type, "error": str(error)}
        )
