"""Handlers by name, enqueueing inside the caller's transaction, and running with bounded retries."""

import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger("chatapp.jobs")

# A failed attempt is tried again after backoff_seconds, then 4x that, 16x... capped here.
MAX_BACKOFF_SECONDS = 3600


class JobTimeout(Exception):
    """A handler ran past its `timeout` (counts as a failed attempt)."""


@dataclass(frozen=True)
class Handler:
    name: str
    func: Callable[..., object]
    max_attempts: int
    timeout: float
    backoff_seconds: float

    def delay_after(self, attempt: int) -> float:
        return min(self.backoff_seconds * 4 ** (attempt - 1), MAX_BACKOFF_SECONDS)


_handlers: dict[str, Handler] = {}


def handler(
    name: str, *, max_attempts: int = 3, timeout: float = 60, backoff_seconds: float = 10
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Registers `func(**kwargs)` as the handler of jobs named `name`.

    A handler that raises is tried again, `max_attempts` times in all, after growing delays; a run
    longer than `timeout` seconds is stopped with JobTimeout (in the worker process, whose jobs run
    on its main thread) and counts as a failure.
    """
    if max_attempts < 1 or timeout <= 0 or backoff_seconds < 0:
        raise ImproperlyConfigured(f"job handler {name!r}: max_attempts >= 1, timeout > 0, backoff_seconds >= 0")

    def register(func: Callable[..., object]) -> Callable[..., object]:
        existing = _handlers.get(name)
        # The same function imported again (a reloaded module) replaces itself; another one is a mistake.
        if existing is not None and _path(existing.func) != _path(func):
            raise ImproperlyConfigured(f"two handlers for job {name!r}: {existing.func} and {func}")
        _handlers[name] = Handler(name, func, max_attempts, float(timeout), float(backoff_seconds))
        return func

    return register


def _path(func: Callable[..., object]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def registered(name: str) -> Handler | None:
    return _handlers.get(name)


def longest_timeout() -> float:
    return max((entry.timeout for entry in _handlers.values()), default=60.0)


def enqueue(name: str, **kwargs: Any) -> None:
    """Queues the job `name(**kwargs)`: a row in the current transaction, run after it commits.

    Rolled back with the caller's transaction; outside one it is committed at once. `kwargs` must
    be JSON (strings, numbers, booleans, None, lists, dicts): pass ids as strings.
    """
    if name not in _handlers:
        raise LookupError(f"no job handler is registered as {name!r}")
    try:
        json.dumps(kwargs, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"job {name!r}: arguments must be JSON ({error})") from None
    _enqueue(name, kwargs, attempt=1)


def _enqueue(name: str, kwargs: dict[str, Any], *, attempt: int, delay: float = 0) -> None:
    from jobs.tasks import run_job  # the task's backend is ready only once the apps are

    task = run_job.using(run_after=timezone.now() + timedelta(seconds=delay)) if delay else run_job
    task.enqueue(name=name, kwargs=kwargs, attempt=attempt)


def retry_or_give_up(entry: Handler, kwargs: dict[str, Any], *, attempt: int, error: BaseException | str) -> None:
    """After a failed attempt: queue the next one after its delay, or log that the job is dropped."""
    context = {"job": entry.name, "attempt": attempt, "max_attempts": entry.max_attempts, "error": str(error)}
    if attempt < entry.max_attempts:
        delay = entry.delay_after(attempt)
        _enqueue(entry.name, kwargs, attempt=attempt + 1, delay=delay)
        logger.warning("job failed; trying again", extra={**context, "retry_in_seconds": delay})
    else:
        logger.error("job failed; giving up", extra=context)


def run(*, name: str, kwargs: dict[str, Any], attempt: int) -> None:
    """Runs one attempt of a job (the worker calls this through jobs.tasks.run_job).

    A failure queues the next attempt first and is then raised again, so the worker records this
    attempt as FAILED with its traceback; nothing reaches whoever enqueued the job.
    """
    entry = _handlers.get(name)
    if entry is None:
        # Queued by a release that had this handler; nothing here can run it.
        logger.error("job has no handler; dropped", extra={"job": name})
        return
    try:
        with _time_limit(entry.timeout):
            entry.func(**kwargs)
    except Exception as error:
        retry_or_give_up(entry, kwargs, attempt=attempt, error=error)
        raise


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raises JobTimeout in the handler after `seconds`, where a timer signal can reach it.

    Signals are delivered to the main thread only: the worker process (jobs_worker) runs jobs
    there. A worker running in another thread (the tests' worker) runs them unbounded.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise JobTimeout(f"ran past its {seconds:g} s limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
