"""The real django-tasks-db worker loop for tests, on the test database."""

import threading
import time

from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker


def make_worker(*, batch: bool = False, interval: float = 0.02) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"test-{time.monotonic_ns()}",
        excluded_queue_names=[],
    )


class WorkerThread:
    """`manage.py jobs_worker`'s loop in a thread (signals and job timeouts need the main thread)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.worker = make_worker(interval=interval)
        self.thread = threading.Thread(target=self._run, name="test-jobs-worker", daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        finally:
            connection.close()

    def start(self) -> "WorkerThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.worker.running = False
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the jobs worker did not stop"


def wait_until(condition, *, timeout: float = 10, what: str = "condition"):
    """Polls `condition()` until it is truthy (another thread or process makes it so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout} s")
