"""The server's transport under daphne: this package is the one place that knows daphne's,
autobahn's and Twisted's internals — WebSockets here, the HTTP edge (request deadlines, the
per-address connection cap, bodies refused as they arrive) in `realtime.transport.http`.

What the hub, the consumers and `manage.py serve` need from a socket is here, behind small
functions: the socket's protocol handle (put in the scope by the server), whether it is open,
writing a shared pre-encoded frame, the bytes still buffered for it, closing it with 1001
(going away) and dropping it. The attributes relied on beyond the libraries' public APIs are
named in realtime/tests/test_transport_contract.py, which fails when an upgrade changes them;
requirements.txt pins the daphne, autobahn and Twisted versions it was checked against.

Importing this module does not install a Twisted reactor (daphne.ws_protocol does not), so the
consumers may import it under tests, where there is no daphne and `socket_of` returns None.
"""

import asyncio
import fcntl
import struct
import termios
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from daphne.ws_protocol import WebSocketProtocol

if TYPE_CHECKING:
    # daphne.server installs Twisted's asyncio reactor when imported: only `serve` imports it.
    from daphne.server import Server
else:
    Server = object

# Where the server puts a socket's daphne protocol in its ASGI scope.
PROTOCOL_SCOPE_KEY = "chatapp.websocket_protocol"

# Channels gives a consumer a channel (and a receive task reading it) from the layer named by its
# `channel_layer_alias`; `channels.layers.get_channel_layer` returns None for an alias that
# CHANNEL_LAYERS does not configure, and `AsyncConsumer.__call__` then runs the consumer with no
# channel. The process hub delivers group events to local sockets instead (realtime.hub).
NO_CHANNEL_LAYER = "none: the process hub delivers"


class ExposesWebSockets(Server):
    """Mixed into daphne's server: hands each WebSocket's protocol to its application in the scope, and
    keeping its listening ports so that shutdown can stop accepting connections."""

    def create_application(self, protocol, scope):
        # Lets the process hub write ready-made frames straight to this socket's transport:
        # one frame per event, not one per recipient.
        if isinstance(protocol, WebSocketProtocol):
            scope[PROTOCOL_SCOPE_KEY] = protocol
        return super().create_application(protocol, scope)

    def listen_success(self, port) -> None:
        self.listening_ports = [*getattr(self, "listening_ports", []), port]
        super().listen_success(port)


def socket_of(scope: Mapping[str, Any]) -> WebSocketProtocol | None:
    """This connection's daphne protocol, or None when not served by `ExposesWebSockets`."""
    return scope.get(PROTOCOL_SCOPE_KEY)


def is_open(protocol: WebSocketProtocol) -> bool:
    return protocol.state == protocol.STATE_OPEN


def write_frame(protocol: WebSocketProtocol, frame: bytes) -> None:
    """Writes a ready-made frame (broadcast.frames.text_frame) to an open socket, sending at once
    when its transport has nothing queued; a socket no longer open gets nothing.

    Twisted's `write` only queues and registers the socket with the reactor, so every recipient
    of an event costs a reactor round (add writer, poll, send, remove writer): two thirds of the
    fan-out profile. Like asyncio's transports, try the send first and queue only what did not go
    out; an error is left to Twisted's own write path, which notices the lost connection.
    Measured (docs/benchmarks.md, fan-out, 1,000 sockets): 0.031-0.040 CPU s per 1,000
    deliveries with `write` alone, 0.013-0.016 with this; sustained deliveries/s at p99 <= 100 ms
    from 2,000 to 40,000.
    """
    if not is_open(protocol):
        return
    transport = protocol.transport
    if not _twisted_buffered_bytes(transport) and not transport.disconnecting:
        sent = transport.writeSomeData(frame)
        if isinstance(sent, int):
            if sent == len(frame):
                return
            frame = frame[sent:]
    transport.write(frame)


def buffered_bytes(protocol: WebSocketProtocol) -> int:
    """Bytes written to this socket that its client has not received yet: Twisted's buffers
    plus the kernel's send queue."""
    transport = protocol.transport
    return _twisted_buffered_bytes(transport) + _kernel_unsent_bytes(transport)


def _twisted_buffered_bytes(transport) -> int:
    # FileDescriptor keeps what it could not write in `dataBuffer` (from `offset` on) and what
    # was written since its last attempt in `_tempDataBuffer`, `_tempDataLen` bytes long.
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen


def _kernel_unsent_bytes(transport) -> int:
    # Frames go out with a direct send (`write_frame`), and Linux grows a socket's send buffer up
    # to tcp_wmem's maximum (4 MiB by default), so a client that stops reading first fills
    # megabytes of kernel memory while Twisted's buffer stays empty: counting only Twisted's, a
    # socket with 350 KB waiting was never cut off at a 64 KiB limit. SIOCOUTQ (= TIOCOUTQ) is the
    # socket's unacknowledged and unsent bytes.
    try:
        queued = fcntl.ioctl(transport.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0  # closed meanwhile, or a platform without it: Twisted's buffer alone
    return struct.unpack("i", queued)[0]


def close_going_away(protocol: WebSocketProtocol) -> None:
    """Sends a close frame with 1001 (going away), which tells clients to reconnect elsewhere.

    autobahn's public `sendClose` only takes 1000 or 3000-4999, so the frame is sent directly.
    """
    if is_open(protocol):
        protocol.sendCloseFrame(code=1001, isReply=False)


def drop(protocol: WebSocketProtocol) -> None:
    """Drops the connection at once: a close frame would only queue behind a backlog."""
    protocol.transport.abortConnection()


def open_websockets(server: Server) -> list[WebSocketProtocol]:
    return [
        protocol
        for protocol in list(server.connections)
        if isinstance(protocol, WebSocketProtocol) and protocol.state != protocol.STATE_CLOSED
    ]


def running_applications(server: Server) -> list[asyncio.Future]:
    """The application instances (consumers) that have not finished yet."""
    return [
        details["application_instance"]
        for details in list(server.connections.values())
        if "application_instance" in details and not details["application_instance"].done()
    ]


def stop_listening(server: ExposesWebSockets) -> None:
    for port in getattr(server, "listening_ports", []):
        port.stopListening()


def fail_oversize_frames_with_close(server: Server) -> None:
    """Over-size frames get a real close frame (1009), not a dropped connection. Call once the
    reactor runs: daphne builds its WebSocket factory in `run`."""
    server.ws_factory.setProtocolOptions(failByDrop=False)
