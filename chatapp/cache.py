"""Django's Redis cache backend, keeping one client object per connection pool.

Django's `RedisCacheClient` builds a new `redis.Redis` object for every cache call (the
connection pool is shared, the client object is not); the per-IP rate limiter makes two calls on
every API request, and building those clients was a tenth of a history request's CPU
(docs/benchmarks.md). A `redis.Redis` object is safe to share between threads.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write: bool = False):
        # Private attributes of Django's client that the stubs leave out (they exist in Django 5.2).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
