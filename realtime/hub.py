"""This process's hub: one channel-layer channel for all of its sockets.

The usual Channels shape gives every socket its own channel, joins each one to its groups, and
lets every consumer pull its own copy of every event (a receive loop, tasks and a Redis pop per
recipient). Here the process joins each group once, with one channel, receives each event once,
and writes the already-encoded text to every local socket in the group. Groups are joined when
the first local socket needs them and left with the last one; the memberships are renewed
periodically so the layer's `group_expiry` never drops a long-lived subscription.

The hub also renews presence for this process's connections and sweeps users whose connections
expired (their process died).
"""

import asyncio
import logging
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from realtime.frames import text_frame
from realtime.presence import get_presence

logger = logging.getLogger(__name__)

# A room's message that arrives ahead of an earlier one (their announcements raced) waits this
# long for the earlier one; after that the gap is given up (that message comes late, or through
# `resume` if its announcement was lost).
SEQUENCE_GAP_WAIT_SECONDS = 0.25


class LiveSocket(Protocol):
    user_key: str
    connection_id: str

    async def deliver(self, message: dict, frame: bytes | None = None) -> None: ...

    async def events_dropped(self) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.members: dict[str, set[LiveSocket]] = {}
        self.sockets: set[LiveSocket] = set()
        self.reader: asyncio.Task | None = None
        self.maintenance: asyncio.Task | None = None
        # Per group: the next message sequence number due, and messages held until it comes.
        self.next_seq: dict[str, int] = {}
        self.held: dict[str, dict[int, dict]] = {}
        self.gap_timers: dict[str, asyncio.TimerHandle] = {}
        self.delivering = asyncio.Lock()

    async def _ensure_running(self) -> None:
        if self.channel is None:
            self.channel = await self.layer.new_channel(prefix="hub.")
            self.reader = asyncio.ensure_future(self._read())
            self.maintenance = asyncio.ensure_future(self._maintain())

    async def register(self, socket: LiveSocket) -> None:
        await self._ensure_running()
        self.sockets.add(socket)

    async def unregister(self, socket: LiveSocket) -> None:
        self.sockets.discard(socket)
        for group in [g for g, members in self.members.items() if socket in members]:
            await self.unsubscribe(group, socket)
        if not self.sockets:
            await self._stop()

    async def subscribe(self, group: str, socket: LiveSocket) -> None:
        await self._ensure_running()
        members = self.members.get(group)
        if members is None:
            members = self.members[group] = set()
            await self.layer.group_add(group, self.channel)
        members.add(socket)

    async def unsubscribe(self, group: str, socket: LiveSocket) -> None:
        members = self.members.get(group)
        if members is None:
            return
        members.discard(socket)
        if not members:
            del self.members[group]
            self._forget_order(group)
            if self.channel is not None:
                await self.layer.group_discard(group, self.channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except Exception as error:
                logger.warning("hub lost the channel layer", extra={"error": str(error)})
                await self._recover_from_layer_outage()
                continue
            try:
                await self._dispatch(message)
            except Exception as error:
                # One broken event must not stop delivery to everyone else in this process.
                logger.exception("hub dispatch failed", extra={"error": str(error)})

    async def _recover_from_layer_outage(self) -> None:
        """Waits for Redis, rejoins every group, then closes every local socket (4503).

        A restarted Redis has forgotten the group memberships, and events published during the
        outage never reached this process: only the database knows what was missed, so clients
        reconnect and `resume`.
        """
        delay = 0.2
        while True:
            await asyncio.sleep(delay)
            try:
                if hasattr(self.layer, "close_pools"):
                    # Pooled connections from before a Redis restart would each fail once more.
                    await self.layer.close_pools()
                for group in list(self.members):
                    await self.layer.group_add(group, self.channel)
                break
            except Exception as error:
                logger.warning("hub waiting for the channel layer", extra={"error": str(error)})
                delay = min(delay * 2, 5.0)
        logger.info("hub rejoined the channel layer", extra={"groups": len(self.members), "sockets": len(self.sockets)})
        for socket in list(self.sockets):
            await socket.events_dropped()

    async def _dispatch(self, message: dict) -> None:
        if message.get("type") == "events.dropped":
            # The process inbox overflowed (realtime.layers): every local socket may have missed
            # events, and each is closed so its client resumes.
            for socket in list(self.sockets):
                await socket.events_dropped()
            return
        group = message.get("group", "")
        if group not in self.members:
            return
        async with self.delivering:
            seq = message.get("seq")
            due = self.next_seq.get(group)
            if seq is None or due is None or seq <= due:
                await self._deliver(group, message)
                if seq is not None and (due is None or seq == due):
                    self.next_seq[group] = seq + 1
                    await self._deliver_held_in_turn(group)
                return
            # Ahead of its turn: an earlier message's announcement is still on its way.
            self.held.setdefault(group, {})[seq] = message
            if group not in self.gap_timers:
                self.gap_timers[group] = asyncio.get_running_loop().call_later(
                    SEQUENCE_GAP_WAIT_SECONDS, lambda: asyncio.ensure_future(self._give_up_gap(group))
                )

    async def _deliver(self, group: str, message: dict) -> None:
        members = list(self.members.get(group, ()))
        # Sockets served by `manage.py serve` take the same frame bytes; others get the text.
        frame = text_frame(message["text"]) if len(members) > 1 and "text" in message else None
        for socket in members:
            await socket.deliver(message, frame)

    async def _deliver_held_in_turn(self, group: str) -> None:
        held = self.held.get(group)
        while held and self.next_seq[group] in held:
            await self._deliver(group, held.pop(self.next_seq[group]))
            self.next_seq[group] += 1
        if not held:
            self._clear_gap(group)

    async def _give_up_gap(self, group: str) -> None:
        async with self.delivering:
            self.gap_timers.pop(group, None)
            held = self.held.pop(group, {})
            for seq in sorted(held):
                await self._deliver(group, held[seq])
                self.next_seq[group] = seq + 1

    def _clear_gap(self, group: str) -> None:
        self.held.pop(group, None)
        timer = self.gap_timers.pop(group, None)
        if timer is not None:
            timer.cancel()

    def _forget_order(self, group: str) -> None:
        self._clear_gap(group)
        self.next_seq.pop(group, None)

    async def _maintain(self) -> None:
        """Renew group memberships and this process's presence; sweep users of dead processes."""
        from realtime.services import presence_mark_offline

        presence = get_presence()
        period = min(settings.PRESENCE_REFRESH_SECONDS, max(1, settings.CHANNEL_GROUP_EXPIRY // 3))
        while True:
            await asyncio.sleep(period)
            try:
                for group in list(self.members):
                    await self.layer.group_add(group, self.channel)
                await presence.refresh([(s.user_key, s.connection_id) for s in list(self.sockets) if s.user_key])
                for user_id in await presence.sweep():
                    await database_sync_to_async(presence_mark_offline)(user_id=user_id)
            except Exception as error:
                # Redis or the database is away; the next round renews everything.
                logger.warning("hub maintenance failed", extra={"error": str(error)})

    async def _stop(self) -> None:
        for task in (self.reader, self.maintenance):
            if task is not None:
                task.cancel()
        for group in list(self.members):
            self._forget_order(group)
            await self.layer.group_discard(group, self.channel)
        self.members.clear()
        self.channel = self.reader = self.maintenance = None


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()
_shutting_down = False


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process; tests run a loop each)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub


def begin_shutdown() -> None:
    global _shutting_down
    _shutting_down = True


def is_shutting_down() -> bool:
    return _shutting_down
