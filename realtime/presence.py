"""Connection counting for presence, shared by every server process through Redis.

Each user has a sorted set of their open connections scored by an expiry time. A process
refreshes its own connections every PRESENCE_REFRESH_SECONDS; a process that dies stops
refreshing, its entries expire after PRESENCE_TTL_SECONDS, and the sweep (run by whichever process
holds the sweep lock) announces those users offline. Without REDIS_URL (the single-process
embedded default) the same rules run on an in-process dictionary.
"""

import asyncio
import time
import weakref
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from django.conf import settings

# A connection not refreshed for PRESENCE_TTL_SECONDS is gone (its process died); processes refresh
# theirs every PRESENCE_REFRESH_SECONDS. Read from settings at import (tests shorten them).
PRESENCE_TTL_SECONDS = settings.PRESENCE_TTL_SECONDS
PRESENCE_REFRESH_SECONDS = settings.PRESENCE_REFRESH_SECONDS
_KEY_PREFIX = "chatapp:presence"
_ONLINE_USERS_KEY = f"{_KEY_PREFIX}:users"
_SWEEP_LOCK_KEY = f"{_KEY_PREFIX}:sweep-lock"


def _user_key(user_id: str) -> str:
    return f"{_KEY_PREFIX}:user:{user_id}"


@dataclass(frozen=True)
class Transition:
    """What a connect/disconnect did to the user's presence."""

    changed: bool  # True: first connection opened, or last connection closed
    connections: int = 0  # the user's live connections after the change, on every process


class RedisPresence:
    def __init__(self, url: str) -> None:
        self._url = url
        # One client (and pool) per event loop: redis.asyncio connections belong to a loop.
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            pool = aioredis.BlockingConnectionPool.from_url(
                self._url,
                max_connections=settings.REDIS_POOL_SIZE,
                timeout=settings.REDIS_POOL_TIMEOUT_SECONDS,
                health_check_interval=30,
            )
            client = aioredis.Redis(connection_pool=pool)
            self._clients[loop] = client
        return client

    async def connect(self, user_id: str, connection_id: str) -> Transition:
        now = time.time()
        key = _user_key(user_id)
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {connection_id: now + PRESENCE_TTL_SECONDS})
            pipe.zcard(key)
            pipe.sadd(_ONLINE_USERS_KEY, user_id)
            pipe.expire(key, PRESENCE_TTL_SECONDS * 2)
            _, _, count, _, _ = await pipe.execute()
        return Transition(changed=count == 1, connections=count)

    async def disconnect(self, user_id: str, connection_id: str) -> Transition:
        now = time.time()
        key = _user_key(user_id)
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.zrem(key, connection_id)
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zcard(key)
            removed, _, count = await pipe.execute()
        if removed and count == 0:
            await self._client().srem(_ONLINE_USERS_KEY, user_id)
            return Transition(changed=True)
        return Transition(changed=False)

    async def refresh(self, connections: list[tuple[str, str]]) -> None:
        if not connections:
            return
        expiry = time.time() + PRESENCE_TTL_SECONDS
        # Adds, not just updates: after a Redis restart the entries of live connections are gone.
        async with self._client().pipeline(transaction=False) as pipe:
            for user_id, connection_id in connections:
                pipe.zadd(_user_key(user_id), {connection_id: expiry})
                pipe.expire(_user_key(user_id), PRESENCE_TTL_SECONDS * 2)
                pipe.sadd(_ONLINE_USERS_KEY, user_id)
            await pipe.execute()

    async def sweep(self) -> list[str]:
        """Users whose every connection expired (their process died): now offline."""
        client = self._client()
        if not await client.set(_SWEEP_LOCK_KEY, "1", nx=True, px=max(1, PRESENCE_REFRESH_SECONDS * 1000 - 100)):
            return []  # another process is sweeping
        now = time.time()
        gone = []
        for raw in await client.smembers(_ONLINE_USERS_KEY):
            user_id = raw.decode() if isinstance(raw, bytes) else raw
            key = _user_key(user_id)
            async with client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zcard(key)
                _, count = await pipe.execute()
            if count == 0 and await client.srem(_ONLINE_USERS_KEY, user_id):
                gone.append(user_id)
        return gone


class LocalPresence:
    """The same rules for one process (embedded default, no Redis)."""

    def __init__(self) -> None:
        self._connections: dict[str, dict[str, float]] = {}

    async def connect(self, user_id: str, connection_id: str) -> Transition:
        live = self._live(user_id)
        live[connection_id] = time.time() + PRESENCE_TTL_SECONDS
        return Transition(changed=len(live) == 1, connections=len(live))

    async def disconnect(self, user_id: str, connection_id: str) -> Transition:
        live = self._live(user_id)
        removed = live.pop(connection_id, None) is not None
        if removed and not live:
            self._connections.pop(user_id, None)
            return Transition(changed=True)
        return Transition(changed=False)

    async def refresh(self, connections: list[tuple[str, str]]) -> None:
        expiry = time.time() + PRESENCE_TTL_SECONDS
        for user_id, connection_id in connections:
            if connection_id in self._connections.get(user_id, {}):
                self._connections[user_id][connection_id] = expiry

    async def sweep(self) -> list[str]:
        gone = [user_id for user_id in list(self._connections) if not self._live(user_id)]
        for user_id in gone:
            self._connections.pop(user_id, None)
        return gone

    def _live(self, user_id: str) -> dict[str, float]:
        now = time.time()
        live = self._connections.setdefault(user_id, {})
        for connection_id in [c for c, expiry in live.items() if expiry <= now]:
            del live[connection_id]
        return live


_presence: RedisPresence | LocalPresence | None = None


def get_presence() -> RedisPresence | LocalPresence:
    global _presence
    if _presence is None:
        _presence = RedisPresence(settings.REDIS_URL) if settings.REDIS_URL else LocalPresence()
    return _presence


_sync_client: redis.Redis | None = None


def users_with_live_connections(user_ids: list[str]) -> set[str]:
    """Of `user_ids`, those with at least one unexpired connection on any process (Redis only).

    For code outside the server's event loop (the jobs worker): a plain client, one round trip.
    """
    global _sync_client
    if not user_ids:
        return set()
    if _sync_client is None:
        _sync_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    now = time.time()
    with _sync_client.pipeline(transaction=False) as pipe:
        for user_id in user_ids:
            pipe.zcount(_user_key(user_id), f"({now}", "+inf")
        counts = pipe.execute()
    return {user_id for user_id, count in zip(user_ids, counts, strict=True) if count}
