"""Background work: durable jobs, enqueued by name inside the caller's transaction.

    jobs.enqueue("push_message", message_id=str(message.id), recipients=[...])

    @jobs.handler("push_message", max_attempts=3, timeout=60)
    def push_message(*, message_id: str, recipients: list[dict]) -> None: ...

A job is a row written by django-tasks' database backend in the transaction that enqueues it: it
commits with the write that caused it and vanishes if that write rolls back, and it survives a
restart of every process. A worker process (`manage.py jobs_worker`, started by `manage.py serve`)
runs it after commit. Handlers live in an upper app's `jobs.py`, found when the apps load, so a lower
app triggers work it may not import, the way it publishes to a channel-layer group by name.

A leaf: it imports no app (import-linter, `.importlinter`, keeps it so).
"""

from jobs.core import JobTimeout, enqueue, handler

__all__ = ["JobTimeout", "enqueue", "handler"]
