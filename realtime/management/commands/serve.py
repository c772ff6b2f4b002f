"""Serve HTTP and WebSocket with daphne, with chatapp's socket limits and a graceful shutdown,
and (unless JOBS_WORKER=false) the background-jobs worker beside it as a child process.

Plain `daphne` cancels every consumer on SIGTERM, so clients see the TCP connection drop (1006)
instead of a close frame. Here SIGTERM/SIGINT stop accepting connections, close every socket
with 1001 (going away) so clients reconnect elsewhere and resume, then stop the reactor.
"""

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger("chatapp.server")

SHUTDOWN_CLOSE_TIMEOUT_SECONDS = 5
# Then at most this long for consumers to finish their disconnect work (within daphne's 10 s).
SHUTDOWN_DRAIN_TIMEOUT_SECONDS = 2
SHUTDOWN_EXIT_WATCHDOG_SECONDS = 1.5
# The jobs worker finishes the job it is running on SIGTERM (a push waits at most its 5 s timeout).
WORKER_STOP_TIMEOUT_SECONDS = 7
# A worker that exits on its own is started again, at most this often.
WORKER_RESTART_SECONDS = 5


class JobsWorker:
    """`manage.py jobs_worker` as a child process: started with the server, restarted if it dies,
    stopped with it. The child also exits by itself should this process die without stopping it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.stopping = False

    def start(self) -> None:
        command = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "jobs_worker",
            "--parent-pid",
            str(os.getpid()),
        ]
        self.process = subprocess.Popen(command)
        self.started_at = time.monotonic()
        logger.info("jobs worker process started", extra={"pid": self.process.pid})

    def check(self) -> None:
        if self.stopping or self.process is None or self.process.poll() is None:
            return
        if time.monotonic() - self.started_at >= WORKER_RESTART_SECONDS:
            logger.warning("jobs worker process exited; starting another", extra={"code": self.process.returncode})
            self.start()

    def begin_stop(self) -> None:
        self.stopping = True
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def finish_stop(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=WORKER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("jobs worker process did not stop; killing it", extra={"pid": self.process.pid})
            self.process.kill()
            self.process.wait()


def _exit_now() -> None:
    logger.warning("shutdown: a worker thread did not finish; exiting without it")
    logging.shutdown()
    os._exit(0)


class Command(BaseCommand):
    help = "Runs the ASGI server (daphne). SIGTERM closes sockets with 1001 and exits within 10 s."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="0.0.0.0")
        parser.add_argument("--port", type=int, default=settings.PORT)

    def handle(self, *args, host: str, port: int, **options) -> None:
        import daphne.server  # noqa: F401 - installs Twisted's asyncio reactor: import first
        from twisted.internet import reactor, task

        from chatapp.asgi import application
        from realtime import hub, transport
        from realtime.consumers import MAX_FRAME_BYTES
        from realtime.transport.http import EdgeServer

        class ChatServer(transport.ExposesWebSockets, EdgeServer):
            pass

        server = ChatServer(
            application=application,
            endpoints=[f"tcp:port={port}:interface={host}"],
            signal_handlers=False,
            ping_interval=settings.WS_PING_INTERVAL_SECONDS,
            ping_timeout=settings.WS_PING_TIMEOUT_SECONDS,
            websocket_max_message_size=MAX_FRAME_BYTES,
            websocket_max_frame_size=MAX_FRAME_BYTES,
            application_close_timeout=10,
            verbosity=0,
            # Slow and oversize requests are cut off as they arrive (realtime.transport.http).
            head_timeout=settings.HTTP_HEAD_TIMEOUT_SECONDS,
            body_timeout=settings.HTTP_BODY_TIMEOUT_SECONDS,
            max_connections_per_ip=settings.HTTP_MAX_CONNECTIONS_PER_IP,
        )
        stopping = False
        # Background jobs (push notifications...) need a worker: one command runs both.
        worker = JobsWorker() if settings.JOBS_WORKER else None

        async def shut_down() -> None:
            transport.stop_listening(server)
            hub.begin_shutdown()
            sockets = transport.open_websockets(server)
            try:
                for protocol in sockets:
                    transport.close_going_away(protocol)
                deadline = asyncio.get_running_loop().time() + SHUTDOWN_CLOSE_TIMEOUT_SECONDS
                while transport.open_websockets(server) and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
                # A closed socket's consumer still runs its disconnect (presence, last_seen) in a
                # database thread whose on-commit publish needs this loop: stopping the reactor
                # under it left that thread, and so the process, waiting forever.
                deadline += SHUTDOWN_DRAIN_TIMEOUT_SECONDS
                while transport.running_applications(server) and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
            finally:
                logger.info(
                    "shutdown: sockets closed",
                    extra={"sockets": len(sockets), "left_open": len(transport.open_websockets(server))},
                )
                reactor.stop()

        def on_signal(signum: int) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            logger.info("shutdown requested", extra={"signal": signal.Signals(signum).name})
            if worker is not None:
                worker.begin_stop()  # it finishes its job while the sockets close
            asyncio.ensure_future(shut_down())

        def cut_off_slow_readers() -> None:
            # Nothing slows a consumer whose client stopped reading: its frames go into the kernel's
            # send buffer, then into the transport's unbounded write buffer. Past the limit, drop
            # the connection (a close frame would only queue behind the backlog); the client
            # resumes when it reconnects.
            for protocol in transport.open_websockets(server):
                buffered = transport.buffered_bytes(protocol)
                if buffered > settings.WS_MAX_BUFFERED_BYTES:
                    logger.warning(
                        "websocket write buffer over limit: dropping the connection",
                        extra={"buffered_bytes": buffered, "limit": settings.WS_MAX_BUFFERED_BYTES},
                    )
                    transport.drop(protocol)

        def on_reactor_running() -> None:
            transport.fail_oversize_frames_with_close(server)
            task.LoopingCall(cut_off_slow_readers).start(1.0, now=False)
            if worker is not None:
                worker.start()
                task.LoopingCall(worker.check).start(1.0, now=False)
            loop = asyncio.get_event_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, on_signal, signum)
            logger.info("listening", extra={"host": host, "port": port})

        reactor.callWhenRunning(on_reactor_running)
        try:
            server.run()
        finally:
            if worker is not None:
                worker.begin_stop()
                worker.finish_stop()
        if stopping:
            # Should a worker thread still wait on the stopped loop, Python would join it forever at
            # exit. What such a thread was doing has committed (publishes run after commit), so a
            # watchdog ends the process if the normal exit has not within a moment.
            watchdog = threading.Timer(SHUTDOWN_EXIT_WATCHDOG_SECONDS, _exit_now)
            watchdog.daemon = True
            watchdog.start()
