"""The Redis channel layer, with a connection pool that queues instead of failing."""

import redis.asyncio as aioredis
from channels_redis.core import RedisChannelLayer
from django.conf import settings


class PooledRedisChannelLayer(RedisChannelLayer):
    """channels-redis with a bounded, blocking Redis connection pool.

    redis-py's default pool raises "Too many connections" once 100 commands are in flight, which is
    exactly what a reconnect storm produces (1,000 sockets each subscribing to their groups at
    once), and the handshake then fails with HTTP 500. A blocking pool makes those callers wait
    for a connection instead.
    """

    def create_pool(self, index: int) -> aioredis.ConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=settings.REDIS_POOL_SIZE, timeout=settings.REDIS_POOL_TIMEOUT_SECONDS, **host
        )
