import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

import jobs
from jobs import housekeeping
from jobs.tests import handlers
from jobs.tests.worker import WorkerThread, make_worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_handlers():
    handlers.drain()
    handlers.failures_left.clear()
    handlers.release.clear()
    yield
    handlers.release.set()


@pytest.fixture
def worker():
    running = WorkerThread().start()
    yield running
    running.stop()


def _next_run(timeout: float = 10) -> tuple[str, dict]:
    return handlers.ran.get(timeout=timeout)


def _settled() -> bool:
    """No attempt waiting or running."""
    return not DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists()


def test_worker_runs_a_committed_job_with_its_arguments(worker):
    with transaction.atomic():
        jobs.enqueue("test_record", message_id="m1", recipients=[{"user_id": "u1", "mentioned": True}])

    assert _next_run() == ("test_record", {"message_id": "m1", "recipients": [{"user_id": "u1", "mentioned": True}]})


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue("test_record", which="rolled back")
        raise RuntimeError("the write failed")
    jobs.enqueue("test_record", which="after")

    # Jobs run in the order they were queued: once the later one ran, the earlier one would have.
    assert _next_run() == ("test_record", {"which": "after"})
    assert handlers.drain() == []
    assert DBTaskResult.objects.count() == 1


def test_enqueue_refuses_an_unknown_name_and_arguments_that_are_not_json():
    with pytest.raises(LookupError, match="no job handler is registered as 'nope'"):
        jobs.enqueue("nope")
    with pytest.raises(TypeError, match="arguments must be JSON"):
        jobs.enqueue("test_record", when=timezone.now())
    assert DBTaskResult.objects.count() == 0


def test_a_job_waits_durably_for_a_worker_to_start():
    jobs.enqueue("test_record", which="queued while no worker ran")
    first = WorkerThread().start()
    assert _next_run() == ("test_record", {"which": "queued while no worker ran"})
    first.stop()

    jobs.enqueue("test_record", which="queued between workers")
    second = WorkerThread().start()
    try:
        assert _next_run() == ("test_record", {"which": "queued between workers"})
    finally:
        second.stop()


def test_a_failing_job_is_tried_again_and_then_succeeds(worker):
    handlers.failures_left["a"] = 1
    jobs.enqueue("test_flaky", key="a")

    assert [_next_run(), _next_run()] == [("test_flaky", {"key": "a"})] * 2
    wait_until(_settled, what="no attempt left")
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == [TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]


def test_a_job_that_keeps_failing_stops_after_max_attempts(worker, caplog):
    handlers.failures_left["b"] = 99
    with caplog.at_level(logging.WARNING, logger="chatapp.jobs"):
        jobs.enqueue("test_flaky", key="b")
        assert [_next_run()[0] for _ in range(3)] == ["test_flaky"] * 3
        wait_until(_settled, what="no attempt left")

    assert handlers.drain() == []
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3
    messages = [(record.getMessage(), getattr(record, "attempt", None)) for record in caplog.records]
    assert ("job failed; trying again", 1) in messages
    assert ("job failed; trying again", 2) in messages
    assert ("job failed; giving up", 3) in messages


def test_a_job_running_past_its_timeout_is_stopped_and_counts_as_a_failure(caplog):
    jobs.enqueue("test_slow")
    # The worker process runs jobs on its main thread, where the timeout's timer signal lands: so here.
    with caplog.at_level(logging.WARNING, logger="chatapp.jobs"):
        make_worker(batch=True).run()

    assert [name for name, _ in handlers.drain()] == ["test_slow", "test_slow"]
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    assert failed.count() == 2
    assert all(row.exception_class_path == "jobs.core.JobTimeout" for row in failed)
    assert any(record.getMessage() == "job failed; giving up" for record in caplog.records)


def test_an_attempt_a_dead_worker_left_running_is_tried_again(worker):
    worker.stop()
    jobs.enqueue("test_flaky", key="c")
    row = DBTaskResult.objects.get()
    row.claim("worker-that-was-killed")  # what a worker does before running it; then it died
    assert housekeeping.requeue_abandoned() == 0  # it could still be running

    later = timezone.now() + timedelta(seconds=60 + housekeeping.ABANDONED_GRACE_SECONDS + 1)
    assert housekeeping.requeue_abandoned(now=later) == 1
    assert housekeeping.requeue_abandoned(now=later) == 0
    restarted = WorkerThread().start()
    try:
        assert _next_run() == ("test_flaky", {"key": "c"})
    finally:
        restarted.stop()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED


def test_finished_attempts_are_pruned_after_the_keep_time(worker, settings):
    settings.JOBS_KEEP_FINISHED_HOURS = 1
    jobs.enqueue("test_record", which="old")
    _next_run()
    wait_until(_settled, what="the job finished")
    assert housekeeping.prune_finished() == 0
    assert housekeeping.prune_finished(now=timezone.now() + timedelta(hours=1, seconds=1)) == 1
    assert DBTaskResult.objects.count() == 0
