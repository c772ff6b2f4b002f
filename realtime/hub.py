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
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import RedisError

from broadcast.frames import text_frame
from broadcast.groups import room_id_of_group
from broadcast.layers import EVENTS_DROPPED_TYPE
from broadcast.publish import relay_message
from realtime.admission import EPHEMERAL_MIN_INTERVAL_SECONDS, EphemeralThrottle
from realtime.presence import get_presence
from realtime.selectors import room_messages_after
from realtime.stream import Gap, RoomStream

if TYPE_CHECKING:
    from rooms.selectors import RoomPosition

logger = logging.getLogger(__name__)

# A room's message that arrives ahead of an earlier one (their announcements raced) waits this
# long for the earlier one. After that the missing ones are read from the database: they are
# committed (a message is announced only after its commit, and the later one committed after
# them under the room's lock), while their announcements may be seconds late (a Redis client
# retrying a publish) or lost.
SEQUENCE_GAP_WAIT_SECONDS = 0.25
# A gap wider than this is not read back: the room's sockets are closed (4503) and resume instead.
GAP_FILL_MAX_MESSAGES = 500
# How long stopping waits for the hub's tasks to end once cancelled. The reader's cancellation can
# be lost (see `Hub._read`) and it then ends only with its blocking pop from Redis (up to 5 s); the
# last socket's disconnect must not wait that long (test clients give it 1 s), and a reader
# bound to its channel ends by itself.
STOP_WAIT_SECONDS = 0.5


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
        # The order of each group's messages, for as long as it has local members.
        self.streams: dict[str, RoomStream] = {}
        self.sockets: set[LiveSocket] = set()
        self.reader: asyncio.Task | None = None
        self.maintenance: asyncio.Task | None = None
        # Every task the hub starts, kept until it ends, cancelled and awaited by `_stop`.
        self.tasks: set[asyncio.Task] = set()
        self.delivering = asyncio.Lock()
        self._delivering_task: asyncio.Task | None = None
        self._after_delivery: list[Coroutine[Any, Any, None]] = []
        # Typing and join/leave announcements per user and room, shared by the user's sockets here.
        self.ephemeral = EphemeralThrottle(EPHEMERAL_MIN_INTERVAL_SECONDS)

    async def _ensure_running(self) -> None:
        if self.channel is None:
            self.channel = await self.layer.new_channel(prefix="hub.")
            self.reader = self._spawn(self._read(self.channel))
            self.maintenance = self._spawn(self._maintain(self.channel))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("hub task failed", exc_info=task.exception())

    @contextlib.asynccontextmanager
    async def _delivery(self) -> AsyncIterator[None]:
        """The delivery lock, noting which task holds it (see `_in_delivery`); the group joins
        and leaves asked for while it was held are made once it is released."""
        calls: list[Coroutine[Any, Any, None]] = []
        try:
            async with self.delivering:
                self._delivering_task = asyncio.current_task()
                try:
                    yield
                finally:
                    self._delivering_task = None
                    calls, self._after_delivery = self._after_delivery, []
        finally:
            for call in calls:
                await call

    async def register(self, socket: LiveSocket) -> None:
        await self._ensure_running()
        self.sockets.add(socket)

    async def unregister(self, socket: LiveSocket) -> None:
        self.sockets.discard(socket)
        for group in [g for g, members in self.members.items() if socket in members]:
            await self.unsubscribe(group, socket)
        if not self.sockets:
            await self._stop()

    async def subscribe(self, group: str, socket: LiveSocket, position: "RoomPosition | None" = None) -> None:
        """Adds a local socket to a group; the first one joins the group on the channel layer.

        `position` (a room's stream position, read before this call) lets a hub new to the room
        order its messages from there: one committed since then but announced after a later one
        is waited for (or read back) like any other gap. Without it the first message the hub
        sees sets the order.
        """
        await self._ensure_running()
        channel = self.channel
        members = self.members.get(group)
        if members is not None:
            members.add(socket)
            if position is not None:
                # A stream reset by a loss (its sockets are closing) starts again from here.
                last_id = str(position.last_message_id) if position.last_message_id else None
                self.streams[group].start_at(position.message_seq + 1, last_id)
            return
        self.members[group] = {socket}
        if position is None:
            self.streams[group] = RoomStream()
        else:
            last_id = str(position.last_message_id) if position.last_message_id else None
            self.streams[group] = RoomStream(next_seq=position.message_seq + 1, last_message_id=last_id)
        if channel is not None:
            await self._join(group, channel)

    async def unsubscribe(self, group: str, socket: LiveSocket) -> None:
        members = self.members.get(group)
        if members is None:
            return
        members.discard(socket)
        if not members:
            del self.members[group]
            self.streams.pop(group).reset()
            channel = self.channel
            if channel is not None:
                await self._leave(group, channel)

    def _in_delivery(self) -> bool:
        """Whether this task holds the delivery lock: a socket that was delivered `room_subscribe`
        (or `room_deleted`) joins (leaves) the room from inside the delivery. A Redis round trip
        there would stall the delivery of every room (a gap read back meanwhile too), so the join
        or leave is made right after the lock is released, before the next event is read."""
        return self._delivering_task is not None and self._delivering_task is asyncio.current_task()

    async def _join(self, group: str, channel: str) -> None:
        if not self._in_delivery():
            await self.layer.group_add(group, channel)
        else:
            self._after_delivery.append(self._join_after_delivery(group, channel))

    async def _join_after_delivery(self, group: str, channel: str) -> None:
        try:
            await self.layer.group_add(group, channel)
        except RedisError as error:
            # The group's sockets would hear nothing: they resume once Redis answers again.
            logger.warning("hub could not join a group", extra={"group": group, "error": str(error)})
            async with self._delivery():
                await self._drop_group(group, reason="the group could not be joined")
            return
        if self.channel != channel or group not in self.members:
            await self._leave_now(group, channel)  # the hub stopped, or the group emptied, meanwhile

    async def _leave(self, group: str, channel: str) -> None:
        if not self._in_delivery():
            await self._leave_now(group, channel)
        else:
            self._after_delivery.append(self._leave_now(group, channel))

    async def _leave_now(self, group: str, channel: str) -> None:
        try:
            await self.layer.group_discard(group, channel)
        except RedisError as error:
            # Redis is away: the membership lapses with the layer's group expiry, and
            # after an outage the hub rejoins only the groups it still has sockets for.
            logger.warning("hub could not leave a group", extra={"group": group, "error": str(error)})

    async def _read(self, channel: str) -> None:
        """Receives this hub's events on `channel` for as long as the hub uses that channel.

        `_stop` cancels the reader, but a cancellation can be lost: on Python 3.11,
        `asyncio.wait_for` (redis-py's socket timeouts) returns the result instead of raising
        when the awaited call finishes in the same loop turn as the cancel. A reader that survived
        its hub used to receive on `self.channel` (then None): every receive failed name
        validation, was taken for a Redis outage and "recovered" every 0.2 s, closing any socket
        that connected meanwhile. The reader is bound to its own channel and stops once the hub
        no longer uses it.
        """
        while self.channel == channel:
            try:
                message = await self.layer.receive(channel)
            except TypeError:
                # channels' layers raise TypeError for a channel name they refuse: a bug here, not
                # Redis going away. Rejoining groups and closing every socket would fix nothing.
                logger.exception("hub could not receive on its channel", extra={"channel": channel})
                await asyncio.sleep(0.2)  # a fault that repeats must not spin the loop
                continue
            except Exception as error:
                if self.channel != channel:
                    return  # the hub stopped while this receive was failing
                logger.warning("hub lost the channel layer", extra={"error": str(error)})
                await self._recover_from_layer_outage(channel)
                continue
            if self.channel != channel:
                return
            try:
                await self._dispatch(message)
            except Exception as error:
                # One broken event must not stop delivery to everyone else in this process.
                logger.exception("hub dispatch failed", extra={"error": str(error)})

    async def _recover_from_layer_outage(self, channel: str) -> None:
        """Waits for Redis, rejoins every group, then closes every local socket (4503).

        A restarted Redis has forgotten the group memberships, and events published during the
        outage never reached this process: only the database knows what was missed, so clients
        reconnect and `resume`.
        """
        delay = 0.2
        while True:
            await asyncio.sleep(delay)
            if self.channel != channel:
                return  # the hub stopped meanwhile: there is nothing to rejoin or close
            try:
                if hasattr(self.layer, "close_pools"):
                    # Pooled connections from before a Redis restart would each fail once more.
                    await self.layer.close_pools()
                for group in list(self.members):
                    await self.layer.group_add(group, channel)
                break
            except Exception as error:
                logger.warning("hub waiting for the channel layer", extra={"error": str(error)})
                delay = min(delay * 2, 5.0)
        if self.channel != channel:
            return  # stopped (and perhaps restarted on a new channel) while rejoining
        logger.info("hub rejoined the channel layer", extra={"groups": len(self.members), "sockets": len(self.sockets)})
        await self._events_lost()

    async def _events_lost(self) -> None:
        """Every local socket may have missed events: each is closed (4503) so its client resumes.

        What the hub expected of each room (the seq due, messages held for a gap) described the
        stream before the loss; the reconnected sockets catch up from the database, so it is
        forgotten rather than held against announcements that will never come.
        """
        for stream in self.streams.values():
            stream.reset()
        for socket in list(self.sockets):
            await socket.events_dropped()

    async def _dispatch(self, message: dict) -> None:
        if message.get("type") == EVENTS_DROPPED_TYPE:
            # An inbox overflowed (broadcast.layers): in Redis, an event of one group could not be
            # queued; in this process's receive buffer, any number of events.
            if message.get("group"):
                await self._drop_group(message["group"], reason="an event could not be queued")
            else:
                await self._events_lost()
            return
        group = message.get("group", "")
        stream = self.streams.get(group)
        if stream is None:
            return  # no local socket in the group (any more)
        async with self._delivery():
            seq = message.get("seq")
            if seq is None:
                await self._deliver(group, message)
                return
            decision = stream.accept(seq, message)
            for event in decision.events:
                await self._deliver(group, event)
        if decision.wait is not None:
            self._spawn(self._fill_gap(group, stream, decision.wait))

    async def _deliver(self, group: str, message: dict) -> None:
        members = list(self.members.get(group, ()))
        # Sockets served by `manage.py serve` take the same frame bytes; others get the text.
        frame = text_frame(message["text"]) if len(members) > 1 and "text" in message else None
        for socket in members:
            await socket.deliver(message, frame)

    async def _fill_gap(self, group: str, stream: RoomStream, wait: object) -> None:
        """Waits for a room's gap to close, else delivers what it misses from the database.

        The read runs outside `delivering`, so other rooms flow on meanwhile; this room's
        messages are held until it is done. If the gap cannot be read back (database down, the
        rows do not match what was announced), the room's local sockets are closed (4503) and
        their clients resume: later messages are never delivered before earlier ones.
        """
        await asyncio.sleep(SEQUENCE_GAP_WAIT_SECONDS)
        gap = stream.gap_to_fill(wait)
        if gap is None:
            return  # closed by its announcements, or the room's order was forgotten meanwhile
        try:
            rows = await self._read_gap(group, gap)
        except Exception as error:
            # Whatever failed (a database outage, a bug), the room must not stay held forever.
            logger.exception("hub could not read a gap back", extra={"group": group, "error": str(error)})
            rows = None
        async with self._delivery():
            missing = stream.missing_seqs(gap)
            fill = stream.gap_filled(gap, rows)
            if not fill.filled:
                await self._drop_group(group)
                return
            if fill.events:
                logger.info("hub filled a gap from the database", extra={"group": group, "seqs": missing})
            for event in fill.events:
                await self._deliver(group, event)
        if fill.wait is not None:
            self._spawn(self._fill_gap(group, stream, fill.wait))  # a new gap opened during the read

    async def _read_gap(self, group: str, gap: Gap) -> list[dict] | None:
        """Relay messages for the gap's seqs, read in commit order after the last one delivered."""
        room_id = room_id_of_group(group)
        if room_id is None or gap.count > GAP_FILL_MAX_MESSAGES:
            return None
        return await database_sync_to_async(_gap_relay_messages, thread_sensitive=False)(
            group=group, room_id=room_id, after_id=gap.after_id, first_seq=gap.due, count=gap.count
        )

    async def _drop_group(self, group: str, *, reason: str = "a gap in its messages") -> None:
        logger.warning("hub closes a group's sockets so their clients resume", extra={"group": group, "reason": reason})
        stream = self.streams.get(group)
        if stream is not None:
            stream.reset()
        for socket in list(self.members.get(group, ())):
            await socket.events_dropped()

    async def _maintain(self, channel: str) -> None:
        """Renew group memberships and this process's presence; sweep users of dead processes.

        Bound to its channel like `_read`, for the same reason (a lost cancellation)."""
        from realtime.services import presence_mark_offline

        presence = get_presence()
        period = min(settings.PRESENCE_REFRESH_SECONDS, max(1, settings.CHANNEL_GROUP_EXPIRY // 3))
        while True:
            await asyncio.sleep(period)
            if self.channel != channel:
                return
            try:
                for group in list(self.members):
                    await self.layer.group_add(group, channel)
                await presence.refresh([(s.user_key, s.connection_id) for s in list(self.sockets) if s.user_key])
                for user_id in await presence.sweep():
                    await database_sync_to_async(presence_mark_offline)(user_id=user_id)
            except Exception as error:
                # Redis or the database is away; the next round renews everything.
                logger.warning("hub maintenance failed", extra={"error": str(error)})

    async def _stop(self) -> None:
        """Leaves every group once the last local socket is gone.

        Sockets closing together (a deploy, Redis going away) each end in `unregister`, so this
        may be entered again while it waits on Redis: the state is taken and cleared first.
        """
        channel, groups = self.channel, list(self.members)
        if channel is None:
            return
        tasks = [task for task in self.tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        self.channel = self.reader = self.maintenance = None
        self.members.clear()
        for stream in self.streams.values():
            stream.reset()
        self.streams.clear()
        for group in groups:
            await self._leave_now(group, channel)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_WAIT_SECONDS)
            if pending:
                # A cancellation can be lost (see `_read`): such a reader goes on waiting in a
                # receive that, the channel having left every group, nothing would ever answer
                # (redis-py polls BRPOP again at each timeout). One message on the channel ends that
                # receive, and the reader, bound to the channel, returns.
                with contextlib.suppress(Exception):
                    await self.layer.send(channel, {"type": "hub.stopped"})
                _, pending = await asyncio.wait(pending, timeout=STOP_WAIT_SECONDS)
            if pending:
                logger.warning("hub tasks still running after it stopped", extra={"tasks": len(pending)})


# Runs in a worker thread.


def _gap_relay_messages(*, group: str, room_id: str, after_id: str | None, first_seq: int, count: int) -> list[dict]:
    return [
        relay_message(group, event, seq=first_seq + offset)
        for offset, event in enumerate(room_messages_after(room_id=room_id, after_id=after_id, count=count))
    ]


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
