"""Failed logins counted per account, wherever they come from (the API and the admin's login).

The per-IP limit (RATE_LIMIT_AUTH) does not stop guessing one account's password from many
addresses; this does. Failures are counted in fixed windows in the shared cache, like the
per-IP limit, so every process sees the same count. Only failures count, and an account over
the limit is refused before its password is checked (a right password included), until the
window ends.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from accounts.models import User

logger = logging.getLogger(__name__)

TOO_MANY_FAILED_LOGINS = "Too many failed logins for this account. Try again later."


def login_account(*, user: User | None, identifier: str) -> str:
    """What failures are counted against: the account when it exists (so its username and its
    email share one count), else the name tried (so unknown names are limited alike)."""
    if user is not None:
        return f"user:{user.pk}"
    return "name:" + hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]


def _window(now: float) -> tuple[str, int]:
    """The current window's number and the whole seconds left in it."""
    period = settings.LOGIN_FAILURE_WINDOW_SECONDS
    number = int(now // period)
    return str(number), max(1, int((number + 1) * period - now))


def _key(account: str, window: str) -> str:
    return f"login-failures:{account}:{window}"


def login_failures_retry_after(*, account: str, now: float | None = None) -> int | None:
    """Seconds until `account` may try again; None while it is under the limit."""
    window, left = _window(time.time() if now is None else now)
    try:
        failures = cache.get(_key(account, window), 0)
    except RedisError as error:
        # Open: the per-address limit in front of both logins already fails closed when Redis
        # is away, so this is reached only if it went away in between.
        logger.warning("login failure count unavailable", extra={"error": str(error)})
        return None
    return left if failures >= settings.LOGIN_FAILURES_PER_ACCOUNT else None


def login_failure_record(*, account: str, now: float | None = None) -> None:
    window, left = _window(time.time() if now is None else now)
    key = _key(account, window)
    try:
        cache.add(key, 0, timeout=left + 1)
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=left + 1)  # the key expired between add and incr
    except RedisError as error:
        logger.warning("login failure not counted", extra={"error": str(error)})
