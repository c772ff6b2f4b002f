"""Who may open a WebSocket, and how often a socket's ephemeral events reach a room.

- Origin: a page served by this server may always open its WebSocket (the Origin's host:port is
  the request's Host, and that host is in ALLOWED_HOSTS, as Channels' AllowedHostsOriginValidator
  checks); ALLOWED_ORIGINS lists the *other* origins allowed.
- Handshakes per client address per minute (WS_HANDSHAKES_PER_IP_PER_MINUTE), counted in the
  Django cache like the REST rate limits, so every process shares them.
- Ephemeral events (typing, stop_typing, a socket joining or leaving a room) per user and room,
  whatever the number of sockets the user has in this process.
"""

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.http.request import split_domain_port, validate_host
from redis.exceptions import RedisError

from chatapp.net import client_ip_of

logger = logging.getLogger(__name__)

# One typing (and one stop_typing, user_joined, user_left) per user, room and second.
EPHEMERAL_MIN_INTERVAL_SECONDS = 1.0

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _with_port(netloc: str, scheme: str) -> str:
    """`host:port` in lower case, the scheme's default port written out."""
    netloc = netloc.lower()
    domain, port = split_domain_port(netloc)
    if port or not domain:
        return netloc
    return f"{netloc}:{_DEFAULT_PORTS.get(scheme, '')}"


def origin_refusal(scope: dict) -> str | None:
    """Why a handshake's Origin is refused, or None when it may connect.

    No Origin header: not a browser (browsers always send one on WebSocket handshakes), and no
    page's cookies or credentials ride along, so there is nothing for an origin check to protect.
    """
    origin = _header(scope, b"origin")
    if origin is None or origin in settings.ALLOWED_ORIGINS:
        return None
    parts = urlsplit(origin)
    host = _header(scope, b"host")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "the origin is not an http(s) origin"
    if host is None:
        return "the origin is not in ALLOWED_ORIGINS and the request has no Host header"
    # The page's scheme sets the default port of both: an https page on port 443 sends a Host
    # without a port and an Origin without one.
    if _with_port(parts.netloc, parts.scheme) != _with_port(host, parts.scheme):
        return "the origin is neither this server (Host) nor in ALLOWED_ORIGINS"
    domain, _ = split_domain_port(host.lower())
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return "the origin is this server's Host, but that host is not in ALLOWED_HOSTS"
    return None


def client_address(scope: dict) -> str:
    """The client's IP as the REST rate limits see it (behind TRUSTED_PROXIES: X-Forwarded-For)."""
    client = scope.get("client") or ("", 0)
    return client_ip_of(client[0] or "", _header(scope, b"x-forwarded-for") or "")


_unavailable_logged_at = float("-inf")


def _count_handshake(address: str, now: float) -> int:
    """This handshake's number in its address's minute; 0 when the cache (Redis) is unreachable.

    Failing open like the REST limiter does for the API: the handshake then goes on to meet the
    same outage in the hub and is closed with 4503, which tells the client to come back.
    """
    global _unavailable_logged_at
    key = f"ws-handshakes:{address}:{int(now // 60)}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key)
    except RedisError as error:
        if now - _unavailable_logged_at >= settings.RATE_LIMIT_LOG_SECONDS:
            _unavailable_logged_at = now
            logger.warning("websocket handshakes not counted: the cache is unavailable", extra={"error": str(error)})
        return 0


async def handshake_count(scope: dict, now: float | None = None) -> int:
    """Counts this handshake: how many its client address has made in the current minute."""
    # Not the shared sync thread: a handshake must not wait behind other sockets' database work.
    return await sync_to_async(_count_handshake, thread_sensitive=False)(
        client_address(scope), time.time() if now is None else now
    )


class EphemeralThrottle:
    """At most one announcement of each kind per user, room and interval, in this process.

    `stop_typing` is announced only after an announced `typing`, and does not reset the typing
    interval: alternating the two cannot announce more than one of each per interval.
    """

    # Entries older than the interval are forgotten once the table grows past this.
    PRUNE_AT = 10_000

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.last: dict[tuple[str, str, str], float] = {}
        self.typing: set[tuple[str, str]] = set()

    def allow(self, kind: str, user_id: str, room_id: str, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        if kind == "stop_typing":
            if (user_id, room_id) not in self.typing:
                return False
            self.typing.discard((user_id, room_id))
            return True
        key = (kind, user_id, room_id)
        if now - self.last.get(key, float("-inf")) < self.interval:
            return False
        if len(self.last) >= self.PRUNE_AT:
            self.last = {k: at for k, at in self.last.items() if now - at < self.interval}
            self.typing = {pair for pair in self.typing if ("typing", *pair) in self.last}
        self.last[key] = now
        if kind == "typing":
            self.typing.add((user_id, room_id))
        return True
