"""Runs background jobs until SIGTERM/SIGINT (django-tasks-db's worker, plus housekeeping).

`manage.py serve` starts one of these beside the server unless JOBS_WORKER=false; run more (on any
host with the same DATABASE_URL) for more throughput: each attempt is claimed by one worker.
"""

import logging
import os
import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from jobs import housekeeping

logger = logging.getLogger("chatapp.jobs")

HOUSEKEEPING_SECONDS = 60


class Command(BaseCommand):
    help = "Runs background jobs (Web Push...) until SIGTERM. `manage.py serve` starts one by itself."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.JOBS_POLL_SECONDS,
            help="seconds between looks for new jobs while idle (default JOBS_POLL_SECONDS)",
        )
        parser.add_argument(
            "--parent-pid",
            type=int,
            default=None,
            help="stop (as on SIGTERM) once this process is gone: `serve` passes its own",
        )

    def handle(self, *args: object, interval: float, parent_pid: int | None, verbosity: int, **options: object) -> None:
        stop = threading.Event()
        keeper = threading.Thread(target=self._housekeeping, args=(stop,), name="jobs-housekeeping", daemon=True)
        keeper.start()
        if parent_pid is not None:
            watch = threading.Thread(target=self._exit_with, args=(parent_pid, stop), name="jobs-parent", daemon=True)
            watch.start()
        logger.info("jobs worker started", extra={"interval_seconds": interval})
        try:
            # Jobs run on this, the main thread, where the timer signal of a job's timeout reaches them.
            # At the default verbosity django-tasks logs two INFO lines per job (one job per message
            # sent); chatapp.jobs logs what matters (failures, retries); -v 2 brings them back.
            call_command(
                "db_worker",
                queue_name="default",
                interval=interval,
                reload=False,
                startup_delay=False,
                verbosity=0 if verbosity == 1 else verbosity,
            )
        finally:
            stop.set()
            logger.info("jobs worker stopped")

    def _exit_with(self, parent_pid: int, stop: threading.Event) -> None:
        # A server killed with SIGKILL cannot stop its worker: an orphan is adopted by another
        # process, so the parent id changes. The worker then stops as on SIGTERM.
        while not stop.wait(1):
            if os.getppid() != parent_pid:
                logger.warning("jobs worker: its server process is gone; stopping")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    def _housekeeping(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                recovered = housekeeping.requeue_abandoned()
                pruned = housekeeping.prune_finished()
                if recovered or pruned:
                    logger.info("jobs housekeeping", extra={"requeued": recovered, "pruned": pruned})
            except Exception as error:
                # The database may be away for a moment; the next round tries again.
                logger.warning("jobs housekeeping failed", extra={"error": str(error)})
            finally:
                close_old_connections()
            stop.wait(HOUSEKEEPING_SECONDS)
        connection.close()
