"""What the worker process does besides running jobs: recover attempts a dead worker left behind,
and forget finished ones."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs import core
from jobs.tasks import run_job

# A RUNNING attempt is a dead worker's once it has run this much longer than its handler's timeout
# (which the worker enforces): the margin covers recording the outcome and clock skew between hosts.
ABANDONED_GRACE_SECONDS = 30


def requeue_abandoned(*, now: datetime | None = None) -> int:
    """Attempts still RUNNING long past their timeout, left by a worker that was killed: each is
    recorded as failed and tried again (or given up) by the job's retry rule. Returns how many."""
    now = now or timezone.now()
    found = 0
    running = DBTaskResult.objects.running().filter(
        task_path=run_job.module_path, started_at__lt=now - timedelta(seconds=ABANDONED_GRACE_SECONDS)
    )
    for row in running.only("id", "started_at", "args_kwargs"):
        job = row.args_kwargs["kwargs"]
        entry = core.registered(job["name"])
        timeout = entry.timeout if entry else core.longest_timeout()
        if row.started_at is None or row.started_at > now - timedelta(seconds=timeout + ABANDONED_GRACE_SECONDS):
            continue
        with transaction.atomic():
            # Only the sweep that flips it from RUNNING re-queues it (several workers may sweep).
            claimed = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="jobs.housekeeping.WorkerLost",
                traceback="The worker running this attempt stopped before it finished.",
            )
            if claimed and entry is not None:
                core.retry_or_give_up(entry, job["kwargs"], attempt=job["attempt"], error="the worker stopped")
        found += claimed
    return found


def prune_finished(*, now: datetime | None = None) -> int:
    """Deletes finished attempts older than JOBS_KEEP_FINISHED_HOURS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.JOBS_KEEP_FINISHED_HOURS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
