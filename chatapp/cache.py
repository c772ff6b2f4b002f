"""Django's Redis cache backend, keeping its `redis.Redis` client objects instead of building one
per call.

Django's `RedisCacheClient` builds a new `redis.Redis` object for every cache call (the
connection pool is shared, the client object is not); the per-IP rate limiter makes two calls on
every API request, and building those clients cost 0.2 ms of a history request's 3.5 ms of server
CPU (docs/benchmarks.md). A `redis.Redis` object is safe to share between threads.

Django offers no option for the client class, so `ReusingRedisCache` sets the backend's `_class`,
the one private attribute used here; chatapp/tests/test_cache_contract.py names it should an
upgrade change it.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[bool, object] = {}

    def get_client(self, key=None, *, write: bool = False):
        # One client for writes and one for reads. chatapp's LOCATION names one Redis server, so
        # both use its pool; with read replicas listed, a process would keep reading from the one
        # Django picked for its first read.
        client = self._clients.get(write)
        if client is None:
            client = self._clients[write] = super().get_client(key, write=write)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
