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
from typing import TYPE_CHECKING, Protocol

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
        # Per room group: the next message sequence number due, and messages held until it comes.
        # Every seq from `first_seq` up to `next_seq` has been delivered, live or read back from
        # the database, and `last_message_id` is the id of the one just before `next_seq` (where
        # a database read of a gap starts).
        self.next_seq: dict[str, int] = {}
        self.first_seq: dict[str, int] = {}
        self.last_message_id: dict[str, str | None] = {}
        self.held: dict[str, dict[int, dict]] = {}
        self.gap_timers: dict[str, asyncio.TimerHandle] = {}
        # Groups whose gap is being read from the database (the value tells one read from the next).
        self.filling: dict[str, object] = {}
        self.delivering = asyncio.Lock()
        # Typing and join/leave announcements per user and room, shared by the user's sockets here.
        self.ephemeral = EphemeralThrottle(EPHEMERAL_MIN_INTERVAL_SECONDS)

    async def _ensure_running(self) -> None:
        if self.channel is None:
            self.channel = await self.layer.new_channel(prefix="hub.")
            self.reader = asyncio.ensure_future(self._read(self.channel))
            self.maintenance = asyncio.ensure_future(self._maintain(self.channel))

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
        members = self.members.get(group)
        if members is None:
            members = self.members[group] = set()
            if position is not None and group not in self.next_seq:
                self.next_seq[group] = self.first_seq[group] = position.message_seq + 1
                self.last_message_id[group] = str(position.last_message_id) if position.last_message_id else None
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
            channel = self.channel
            if channel is not None:
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
        for group in {*self.next_seq, *self.held, *self.filling}:
            self._forget_order(group)
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
        if group not in self.members:
            return
        async with self.delivering:
            seq = message.get("seq")
            if seq is None:
                await self._deliver(group, message)
                return
            due = self.next_seq.get(group)
            if due is None:
                # The first message of the room this hub sees sets where its order starts.
                self.first_seq[group] = seq
                await self._deliver_in_turn(group, seq, message)
                return
            if seq < due:
                if seq >= self.first_seq[group]:
                    return  # delivered already, live or read back to fill a gap: a late announcement
                # Committed before the first message this hub delivered in the room, announced
                # after it: no earlier state to place it by. A socket that resumed since has it in
                # its replay and drops this copy (realtime.consumers).
                await self._deliver(group, message)
                return
            if seq == due and group not in self.filling:
                await self._deliver_in_turn(group, seq, message)
                await self._deliver_held_in_turn(group)
                return
            # Ahead of its turn: an earlier message's announcement is still on its way.
            self.held.setdefault(group, {})[seq] = message
            if group not in self.gap_timers and group not in self.filling:
                self._start_gap_timer(group)

    async def _deliver(self, group: str, message: dict) -> None:
        members = list(self.members.get(group, ()))
        # Sockets served by `manage.py serve` take the same frame bytes; others get the text.
        frame = text_frame(message["text"]) if len(members) > 1 and "text" in message else None
        for socket in members:
            await socket.deliver(message, frame)

    async def _deliver_in_turn(self, group: str, seq: int, message: dict) -> None:
        await self._deliver(group, message)
        self.next_seq[group] = seq + 1
        self.last_message_id[group] = message.get("message_id")

    async def _deliver_held_in_turn(self, group: str) -> None:
        held = self.held.get(group)
        while held and self.next_seq[group] in held:
            seq = self.next_seq[group]
            await self._deliver_in_turn(group, seq, held.pop(seq))
        if not held:
            self._clear_gap(group)

    def _start_gap_timer(self, group: str) -> None:
        self.gap_timers[group] = asyncio.get_running_loop().call_later(
            SEQUENCE_GAP_WAIT_SECONDS, lambda: asyncio.ensure_future(self._fill_gap(group))
        )

    async def _fill_gap(self, group: str) -> None:
        """Delivers the messages a room's gap is missing, read from the database, then the held ones.

        The read runs outside `delivering`, so other rooms flow on meanwhile; this room's
        messages are held until it is done. If the gap cannot be read back (database down, the
        rows do not match what was announced), the room's local sockets are closed (4503) and
        their clients resume: later messages are never delivered before earlier ones.
        """
        self.gap_timers.pop(group, None)
        held = self.held.get(group)
        if not held or group not in self.members:
            return
        due, last = self.next_seq[group], max(held)
        attempt = self.filling[group] = object()
        try:
            missing = await self._read_gap(group, due=due, last=last)
        except Exception as error:
            # Whatever failed (a database outage, a bug), the room must not stay held forever.
            logger.exception("hub could not read a gap back", extra={"group": group, "error": str(error)})
            missing = None
        async with self.delivering:
            if self.filling.get(group) is not attempt:
                return  # the room's order was forgotten meanwhile (sockets gone, events lost)
            del self.filling[group]
            held = self.held.get(group, {})
            if missing is None or not _matches(missing, held, due=due, last=last):
                await self._drop_group(group)
                return
            late = [seq for seq in range(due, last + 1) if seq not in held]
            logger.info("hub filled a gap from the database", extra={"group": group, "seqs": late})
            for offset, message in enumerate(missing):
                seq = due + offset
                # A held announcement is the one other processes delivered: prefer it.
                await self._deliver_in_turn(group, seq, held.pop(seq, message))
            await self._deliver_held_in_turn(group)
            if self.held.get(group):
                self._start_gap_timer(group)  # a new gap opened while this one was read

    async def _read_gap(self, group: str, *, due: int, last: int) -> list[dict] | None:
        """Relay messages for seqs `due`..`last`, read in commit order after the last one delivered."""
        room_id, after_id, count = room_id_of_group(group), self.last_message_id.get(group), last - due + 1
        if room_id is None or count > GAP_FILL_MAX_MESSAGES:
            return None
        return await database_sync_to_async(_gap_relay_messages, thread_sensitive=False)(
            group=group, room_id=room_id, after_id=after_id, first_seq=due, count=count
        )

    async def _drop_group(self, group: str, *, reason: str = "a gap in its messages") -> None:
        logger.warning("hub closes a group's sockets so their clients resume", extra={"group": group, "reason": reason})
        self._forget_order(group)
        for socket in list(self.members.get(group, ())):
            await socket.events_dropped()

    def _clear_gap(self, group: str) -> None:
        self.held.pop(group, None)
        timer = self.gap_timers.pop(group, None)
        if timer is not None:
            timer.cancel()

    def _forget_order(self, group: str) -> None:
        self._clear_gap(group)
        self.next_seq.pop(group, None)
        self.first_seq.pop(group, None)
        self.last_message_id.pop(group, None)
        self.filling.pop(group, None)

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
        for task in (self.reader, self.maintenance):
            if task is not None:
                task.cancel()
        self.channel = self.reader = self.maintenance = None
        self.members.clear()
        for group in groups:
            self._forget_order(group)
        for group in groups:
            try:
                await self.layer.group_discard(group, channel)
            except RedisError as error:
                logger.warning("hub could not leave a group", extra={"group": group, "error": str(error)})


def _matches(missing: list[dict], held: dict[int, dict], *, due: int, last: int) -> bool:
    """Whether the rows read back are the gap: one per seq, agreeing with every held announcement."""
    if len(missing) != last - due + 1:
        return False  # fewer rows than seqs: a message gone since, or created_at out of seq order
    return all(held[seq].get("message_id") == missing[seq - due]["message_id"] for seq in held if seq <= last)


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
