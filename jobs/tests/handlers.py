"""Job handlers the jobs tests register (imported by them only)."""

import queue
import threading

import jobs

ran: "queue.Queue[tuple[str, dict]]" = queue.Queue()
failures_left: dict[str, int] = {}
release = threading.Event()


@jobs.handler("test_record", max_attempts=1)
def record(**kwargs: object) -> None:
    ran.put(("test_record", kwargs))


@jobs.handler("test_flaky", max_attempts=3, backoff_seconds=0)
def flaky(*, key: str) -> None:
    ran.put(("test_flaky", {"key": key}))
    if failures_left.get(key, 0) > 0:
        failures_left[key] -= 1
        raise RuntimeError(f"push service unavailable ({key})")


@jobs.handler("test_slow", max_attempts=2, timeout=0.2, backoff_seconds=0)
def slow() -> None:
    ran.put(("test_slow", {}))
    release.wait(5)


def drain() -> list[tuple[str, dict]]:
    items = []
    while not ran.empty():
        items.append(ran.get_nowait())
    return items
