"""The Redis channel layer: a connection pool that queues instead of failing, inboxes that say
when they had to drop events, and ephemeral events that can never crowd out the others.

This module is the one adapter for channels-redis internals (`_group_key`, `connection`,
`consistent_hash`, `_map_channel_keys_to_connection`) and the in-memory layer's (`groups`,
`channels`, `_clean_expired`); realtime/tests/test_layers.py names them.
"""

import asyncio
import collections
import functools
import logging
import time

import redis.asyncio as aioredis
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from django.conf import settings

logger = logging.getLogger(__name__)

# Put in the process's inbox in place of the events it had to drop; the hub answers it by closing
# its sockets (4503), whose clients reconnect and `resume` what was lost from the database. With a
# "group", only that group's sockets lost an event.
EVENTS_DROPPED_TYPE = "events.dropped"
EVENTS_DROPPED = {"type": EVENTS_DROPPED_TYPE}
# A group message carrying this key is ephemeral (typing, a socket joining a room): losing it
# costs an indicator, never data, so it is the first thing an inbox turns away.
EPHEMERAL_KEY = "ephemeral"
# Ephemeral events enter an inbox only while it holds fewer than this share of its capacity: a
# hub that far behind gains nothing from typing indicators, and the rest of the inbox stays free
# for messages whatever the typing traffic.
EPHEMERAL_SHARE = 0.1
# While an inbox is full, at most one drop marker per group and this many seconds is queued.
DROP_MARKER_INTERVAL_SECONDS = 1

# channels-redis's group_send script, except that: an ephemeral event is admitted only below its
# share of the capacity and otherwise skipped quietly; any other event that finds the inbox full
# puts a drop marker for its group at the head of the inbox (past the capacity by at most one per
# group and interval) instead of vanishing with an INFO log line nobody acts on.
_GROUP_SEND_LUA = """
local n = #KEYS
local current_time = tonumber(ARGV[3 * n + 1])
local expiry = ARGV[3 * n + 2]
local ephemeral = ARGV[3 * n + 3] == '1'
local share = tonumber(ARGV[3 * n + 4])
local marker_flag = ARGV[3 * n + 5]
local marker_interval = ARGV[3 * n + 6]
local dropped, markers = 0, 0
for i = 1, n do
    local queued = redis.call('ZCOUNT', KEYS[i], '-inf', '+inf')
    local capacity = tonumber(ARGV[n + i])
    local limit = capacity
    if ephemeral then
        limit = math.max(1, math.floor(capacity * share))
    end
    if queued < limit then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    elseif not ephemeral then
        dropped = dropped + 1
        if redis.call('SET', KEYS[i] .. marker_flag, 1, 'NX', 'EX', marker_interval) then
            local head = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
            local score = current_time
            if head[2] then
                score = tonumber(head[2]) - 0.001
            end
            redis.call('ZADD', KEYS[i], score, ARGV[2 * n + i])
            redis.call('EXPIRE', KEYS[i], expiry)
            markers = markers + 1
        end
    end
end
return {dropped, markers}
"""


class ResumeSignallingQueue(asyncio.Queue):
    """An inbox in this process (the hub's), bounded by the layer's capacity.

    channels-redis drops the oldest event of a full inbox silently. Here a full inbox (its
    consumer stopped keeping up) is emptied and left with one EVENTS_DROPPED marker, so the loss is
    announced and memory stays bounded.
    """

    def put_nowait(self, item: dict) -> None:
        if self.full():
            while not self.empty():
                self.get_nowait()
            super().put_nowait(EVENTS_DROPPED)
        super().put_nowait(item)


class PooledRedisChannelLayer(RedisChannelLayer):
    """channels-redis with a bounded, blocking Redis connection pool and announced drops.

    redis-py's default pool raises "Too many connections" once 100 commands are in flight, which is
    exactly what a reconnect storm produces (1,000 sockets each subscribing to their groups at
    once), and the handshake then fails with HTTP 500. A blocking pool makes those callers wait
    for a connection instead.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.receive_buffer = collections.defaultdict(functools.partial(ResumeSignallingQueue, self.capacity))

    async def group_send(self, group: str, message: dict) -> None:
        """Sends to every channel of the group; an inbox that cannot take the event is told so.

        channels-redis skips a full inbox with an INFO log line, and its hub never learns that its
        sockets missed an event. Here the inbox gets a drop marker for the group instead (the hub
        closes that group's sockets with 4503 and their clients resume), and ephemeral events are
        held to a small share of the inbox so a typing flood cannot fill it.
        """
        assert self.require_valid_group_name(group), "Group name not valid"
        key = self._group_key(group)
        connection = self.connection(self.consistent_hash(group))
        now = time.time()
        await connection.zremrangebyscore(key, min=0, max=int(now) - self.group_expiry)
        channel_names = [name.decode("utf8") for name in await connection.zrange(key, 0, -1)]
        if not channel_names:
            return
        keys_by_connection, message_by_key, capacity_by_key = self._map_channel_keys_to_connection(
            channel_names, message
        )
        _, marker_by_key, _ = self._map_channel_keys_to_connection(
            channel_names, {"type": EVENTS_DROPPED_TYPE, "group": group}
        )
        ephemeral = "1" if message.get(EPHEMERAL_KEY) else "0"
        for index, channel_keys in keys_by_connection.items():
            inbox_connection = self.connection(index)
            pipe = inbox_connection.pipeline()
            for channel_key in channel_keys:
                pipe.zremrangebyscore(channel_key, min=0, max=int(now) - int(self.expiry))
            await pipe.execute()
            args = [
                *(message_by_key[channel_key] for channel_key in channel_keys),
                *(capacity_by_key[channel_key] for channel_key in channel_keys),
                *(marker_by_key[channel_key] for channel_key in channel_keys),
                now,
                self.expiry,
                ephemeral,
                EPHEMERAL_SHARE,
                f":dropped:{group}",
                DROP_MARKER_INTERVAL_SECONDS,
            ]
            dropped, markers = await inbox_connection.eval(_GROUP_SEND_LUA, len(channel_keys), *channel_keys, *args)
            if markers:
                # Once per group, inbox and interval: a flood of drops does not flood the log.
                logger.warning(
                    "a process inbox is full: its sockets in the group are told to resume",
                    extra={"group": group, "dropped": dropped, "event_type": message.get("event")},
                )

    def create_pool(self, index: int) -> aioredis.ConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        # redis-py 8 reads with a 5 s socket timeout by default: exactly channels-redis's BZPOPMIN
        # timeout, so every inbox idle for 5 s failed with "Timeout reading" and its socket closed
        # with 1011. Reads must outlast the blocking pop; a dead Redis is still noticed in seconds.
        host.setdefault("socket_timeout", self.brpop_timeout + 5)
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=settings.REDIS_POOL_SIZE, timeout=settings.REDIS_POOL_TIMEOUT_SECONDS, **host
        )


class SignallingInMemoryChannelLayer(InMemoryChannelLayer):
    """The embedded default's layer (one process, no Redis) with the Redis layer's two rules.

    Channels' in-memory layer skips a full inbox silently, as channels-redis does. Here ephemeral
    events are held to the same share of the inbox, and any other event that finds it full
    empties it and leaves a drop marker first (as ResumeSignallingQueue does), so every local
    socket resumes.
    """

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        ephemeral = bool(message.get(EPHEMERAL_KEY))
        for channel in list(self.groups.get(group, {})):
            inbox = self.channels.get(channel)
            queued = inbox.qsize() if inbox is not None else 0
            if ephemeral and queued >= max(1, int(self.get_capacity(channel) * EPHEMERAL_SHARE)):
                continue
            try:
                await self.send(channel, message)
            except ChannelFull:
                if ephemeral or inbox is None:
                    continue
                while not inbox.empty():
                    inbox.get_nowait()
                logger.warning(
                    "the process inbox is full: every local socket is told to resume", extra={"group": group}
                )
                await self.send(channel, EVENTS_DROPPED)
                await self.send(channel, message)
