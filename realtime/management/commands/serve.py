"""Serve HTTP and WebSocket with daphne, with chatapp's socket limits and a graceful shutdown.

Plain `daphne` cancels every consumer on SIGTERM, so clients see the TCP connection drop (1006)
instead of a close frame. Here SIGTERM/SIGINT stop accepting connections, close every socket
with 1001 (going away) so clients reconnect elsewhere and resume, then stop the reactor.
"""

import asyncio
import fcntl
import logging
import os
import signal
import struct
import termios
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger("chatapp.server")

SHUTDOWN_CLOSE_TIMEOUT_SECONDS = 5
# Then at most this long for consumers to finish their disconnect work (within daphne's 10 s).
SHUTDOWN_DRAIN_TIMEOUT_SECONDS = 2
SHUTDOWN_EXIT_WATCHDOG_SECONDS = 1.5


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
        from daphne.ws_protocol import WebSocketProtocol
        from twisted.internet import reactor, task

        from chatapp.asgi import application
        from chatapp.edge import EdgeServer
        from realtime import hub
        from realtime.consumers import MAX_FRAME_BYTES, WEBSOCKET_PROTOCOL_SCOPE_KEY

        class ChatServer(EdgeServer):
            def create_application(self, protocol, scope):
                # Lets the process hub write ready-made frames straight to this socket's
                # transport (broadcast.frames): one frame per event, not one per recipient.
                if isinstance(protocol, WebSocketProtocol):
                    scope[WEBSOCKET_PROTOCOL_SCOPE_KEY] = protocol
                return super().create_application(protocol, scope)

            def listen_success(self, listening_port) -> None:
                self.ports = [*getattr(self, "ports", []), listening_port]
                super().listen_success(listening_port)

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
            # Slow and oversize requests are cut off as they arrive (chatapp.edge).
            head_timeout=settings.HTTP_HEAD_TIMEOUT_SECONDS,
            body_timeout=settings.HTTP_BODY_TIMEOUT_SECONDS,
            max_connections_per_ip=settings.HTTP_MAX_CONNECTIONS_PER_IP,
        )
        stopping = False

        def open_websockets() -> list[WebSocketProtocol]:
            return [
                protocol
                for protocol in list(server.connections)
                if isinstance(protocol, WebSocketProtocol) and protocol.state != protocol.STATE_CLOSED
            ]

        def running_applications() -> list[asyncio.Future]:
            return [
                details["application_instance"]
                for details in list(server.connections.values())
                if "application_instance" in details and not details["application_instance"].done()
            ]

        async def shut_down() -> None:
            for listening_port in getattr(server, "ports", []):
                listening_port.stopListening()
            hub.begin_shutdown()
            sockets = open_websockets()
            try:
                # autobahn's public sendClose() only takes 1000 or 3000-4999; 1001 ("going away")
                # is the code that tells clients to reconnect elsewhere, so send the frame directly.
                for protocol in sockets:
                    if protocol.state == protocol.STATE_OPEN:
                        protocol.sendCloseFrame(code=1001, isReply=False)
                deadline = asyncio.get_running_loop().time() + SHUTDOWN_CLOSE_TIMEOUT_SECONDS
                while open_websockets() and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
                # A closed socket's consumer still runs its disconnect (presence, last_seen) in a
                # database thread whose on-commit publish needs this loop: stopping the reactor
                # under it left that thread, and so the process, waiting forever.
                deadline += SHUTDOWN_DRAIN_TIMEOUT_SECONDS
                while running_applications() and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
            finally:
                logger.info(
                    "shutdown: sockets closed", extra={"sockets": len(sockets), "left_open": len(open_websockets())}
                )
                reactor.stop()

        def on_signal(signum: int) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            logger.info("shutdown requested", extra={"signal": signal.Signals(signum).name})
            asyncio.ensure_future(shut_down())

        def buffered_bytes(protocol: WebSocketProtocol) -> int:
            # Twisted's TCP transport: what it could not write yet (FileDescriptor's buffers)...
            transport = protocol.transport
            pending = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
            return pending + getattr(transport, "_tempDataLen", 0) + kernel_unsent_bytes(transport)

        def kernel_unsent_bytes(transport) -> int:
            # ...plus what the kernel holds for the client. Frames go out with a direct send
            # (broadcast.frames), and Linux grows a socket's send buffer up to tcp_wmem's maximum
            # (4 MiB by default), so a client that stops reading first fills megabytes of kernel
            # memory while Twisted's buffer stays empty: counting only Twisted's, a socket with
            # 350 KB waiting was never cut off at a 64 KiB limit. SIOCOUTQ (= TIOCOUTQ) is the
            # socket's unacknowledged and unsent bytes.
            try:
                queued = fcntl.ioctl(transport.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
            except (OSError, ValueError, AttributeError):
                return 0  # closed meanwhile, or a platform without it: Twisted's buffer alone
            return struct.unpack("i", queued)[0]

        def cut_off_slow_readers() -> None:
            # Nothing slows a consumer whose client stopped reading: its frames go into the kernel's
            # send buffer, then into the transport's unbounded write buffer. Past the limit, drop
            # the connection (a close frame would only queue behind the backlog); the client
            # resumes when it reconnects.
            for protocol in open_websockets():
                buffered = buffered_bytes(protocol)
                if buffered > settings.WS_MAX_BUFFERED_BYTES:
                    logger.warning(
                        "websocket write buffer over limit: dropping the connection",
                        extra={"buffered_bytes": buffered, "limit": settings.WS_MAX_BUFFERED_BYTES},
                    )
                    protocol.transport.abortConnection()

        def on_reactor_running() -> None:
            # Fail over-size frames with a real close frame (1009), not a dropped connection.
            server.ws_factory.setProtocolOptions(failByDrop=False)
            task.LoopingCall(cut_off_slow_readers).start(1.0, now=False)
            loop = asyncio.get_event_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, on_signal, signum)
            logger.info("listening", extra={"host": host, "port": port})

        reactor.callWhenRunning(on_reactor_running)
        server.run()
        if stopping:
            # Should a worker thread still wait on the stopped loop, Python would join it forever at
            # exit. What such a thread was doing has committed (publishes run after commit), so a
            # watchdog ends the process if the normal exit has not within a moment.
            watchdog = threading.Timer(SHUTDOWN_EXIT_WATCHDOG_SECONDS, _exit_now)
            watchdog.daemon = True
            watchdog.start()
