"""The Redis channel layer: a connection pool that queues instead of failing, and socket inboxes
that say when they had to drop events."""

import asyncio
import collections
import functools

import redis.asyncio as aioredis
from channels_redis.core import RedisChannelLayer
from django.conf import settings

# Put in the process's inbox in place of the events it had to drop; the hub answers it by closing
# its sockets (4503), whose clients reconnect and `resume` what was lost from the database.
EVENTS_DROPPED = {"type": "events.dropped"}


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
