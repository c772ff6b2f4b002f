"""Which event loop an HTTP worker thread works for, so the async work it starts runs there.

The HTTP handler (chatapp.handlers) runs each request's sync code in a thread of its own pool.
asgiref's `async_to_sync` finds the server's loop only in threads that `sync_to_async` started; in
these it started a new event loop in a new thread on every call, and channels-redis built a new
Redis connection pool for each loop: one Redis connection per message sent over REST (50 posts,
50 connections; realtime/tests/test_rest_send.py). The in-memory channel layer of `make run`
works only within the server's loop. The publisher asks `serving_loop()` and hops there instead.
"""

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

_R = TypeVar("_R")
_local = threading.local()


def call_for_loop(loop: asyncio.AbstractEventLoop, function: Callable[..., _R], /, *args: object) -> _R:
    """Calls `function(*args)` in this worker thread, with `serving_loop()` answering `loop`."""
    _local.loop = loop
    try:
        return function(*args)
    finally:
        _local.loop = None


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop whose request this thread is handling, or None outside `call_for_loop`."""
    return getattr(_local, "loop", None)
