"""This process's live sockets: presence refresh, the expiry sweep, and closing on shutdown."""

import asyncio
import logging
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from realtime.groups import room_group, user_group
from realtime.presence import PRESENCE_REFRESH_SECONDS, get_presence

logger = logging.getLogger(__name__)


class LiveSocket(Protocol):
    user_key: str
    channel_name: str
    subscribed_room_ids: set[str]

    async def close(self, code: int | None = None) -> None: ...


_sockets: "weakref.WeakSet[LiveSocket]" = weakref.WeakSet()
_maintenance_tasks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task]" = weakref.WeakKeyDictionary()


_shutting_down = False


def begin_shutdown() -> None:
    global _shutting_down
    _shutting_down = True


def is_shutting_down() -> bool:
    return _shutting_down


def register(socket: LiveSocket) -> None:
    _sockets.add(socket)
    loop = asyncio.get_running_loop()
    task = _maintenance_tasks.get(loop)
    if task is None or task.done():
        _maintenance_tasks[loop] = loop.create_task(_maintain_presence())


def unregister(socket: LiveSocket) -> None:
    _sockets.discard(socket)


def live_sockets() -> list[LiveSocket]:
    return list(_sockets)


async def _maintain_presence() -> None:
    """Every refresh period: renew this process's connections, then sweep expired users."""
    from realtime.services import presence_mark_offline

    presence = get_presence()
    while True:
        await asyncio.sleep(PRESENCE_REFRESH_SECONDS)
        try:
            await presence.refresh([(s.user_key, s.channel_name) for s in list(_sockets) if s.user_key])
            await _renew_group_memberships()
            for user_id in await presence.sweep():
                await database_sync_to_async(presence_mark_offline)(user_id=user_id)
        except Exception as error:
            # Redis or the database is away; entries will be renewed on the next round.
            logger.warning("presence maintenance failed", extra={"error": str(error)})


async def _renew_group_memberships() -> None:
    """channels-redis drops a group member `group_expiry` seconds after its group_add, even while
    its socket is open; re-adding on every refresh keeps long-lived sockets subscribed."""
    layer = get_channel_layer()
    for socket in list(_sockets):
        if not socket.user_key:
            continue
        await layer.group_add(user_group(socket.user_key), socket.channel_name)
        for room_id in list(socket.subscribed_room_ids):
            await layer.group_add(room_group(room_id), socket.channel_name)
            if room_id not in socket.subscribed_room_ids:  # left the room meanwhile: undo
                await layer.group_discard(room_group(room_id), socket.channel_name)
