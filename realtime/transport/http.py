"""The HTTP edge under daphne: deadlines for a request's head and body, a cap on open connections
per client address, and request bodies refused while they arrive.

daphne (4.2) hands a request to the application only once Twisted has read all of it (a body of
100 KB or more into a temporary file, a chunked one always). Nothing bounds that reading: daphne's
`http_timeout` starts counting when the whole request is in, its `websocket_handshake_timeout`
when the whole upgrade request is, and Twisted's idle timeout restarts with every byte, so a
client trickling one header line every few seconds holds its connection, and a file descriptor,
for as long as it likes. These limits therefore live in Twisted's HTTP channel, the one place
that sees the bytes as they arrive.

With the WebSocket side in `realtime.transport`, this is where daphne's and Twisted's HTTP
internals are touched; the attributes it relies on are named in
realtime/tests/test_http_transport_contract.py, which fails when an upgrade changes them. Import it after `daphne.server`, which installs Twisted's asyncio reactor.
"""

import json
import logging
from collections.abc import Callable
from io import BytesIO
from typing import TypedDict

from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet.interfaces import IDelayedCall, ITCPTransport
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.web import http

from chatapp import request_limits
from chatapp.net import is_trusted_proxy

logger = logging.getLogger("chatapp.server")

# After refusing a body, keep reading (and dropping) what the client already had in flight for a
# moment, so it can read the answer instead of having it cut off by a connection reset.
LINGER_SECONDS = 2
LINGER_BYTES = 256 * 1024


def json_response(status: int, reason: str, error: str, *headers: str) -> bytes:
    body = json.dumps({"error": error}).encode()
    head = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *headers,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


TOO_MANY_CONNECTIONS = json_response(
    503, "Service Unavailable", "Too many connections from this address", "Retry-After: 5"
)
HEAD_TIMEOUT = json_response(408, "Request Timeout", "Request headers not received in time")
BODY_TIMEOUT = json_response(408, "Request Timeout", "Request body not received in time")


class ConnectionCounter:
    """Open connections per client address, HTTP and WebSocket alike, counted from accept to close."""

    def __init__(self, per_ip: int) -> None:
        self.per_ip = per_ip
        self.open: dict[str, int] = {}
        # The TCP transport outlives the protocol: a WebSocket upgrade hands it to another one.
        self.hosts: dict[object, str] = {}
        self.refusing: set[str] = set()

    def allows(self, host: str) -> bool:
        if not self.per_ip or self.open.get(host, 0) < self.per_ip or is_trusted_proxy(host):
            self.refusing.discard(host)
            return True
        if host not in self.refusing:
            # Once per episode, not per refused connection: an attack must not flood the log.
            self.refusing.add(host)
            logger.warning("connections refused: per-address cap reached", extra={"ip": host, "cap": self.per_ip})
        return False

    def opened(self, transport: object, host: str) -> None:
        self.hosts[transport] = host
        self.open[host] = self.open.get(host, 0) + 1

    def closed(self, transport: object) -> None:
        host = self.hosts.pop(transport, None)
        if host is None:
            return
        left = self.open[host] - 1
        if left:
            self.open[host] = left
        else:
            del self.open[host]


class RefusedConnection(Protocol):
    """Answers 503 at once and closes: a connection over its address's cap costs nothing more."""

    # Set by makeConnection before any callback runs: a TCP (or UNIX) socket's transport.
    transport: ITCPTransport

    def connectionMade(self) -> None:
        self.transport.write(TOO_MANY_CONNECTIONS)
        self.transport.loseConnection()


class EdgeWebRequest(WebRequest):
    """daphne's request, counting its body as it arrives (a chunked body announces no length)."""

    body_limit = request_limits.MAX_BODY_BYTES
    path_for_limits = ""
    received = 0

    def gotLength(self, length: int | None) -> None:
        # Twisted spools a body that announces no length (chunked) to a temporary file; one whose
        # limit is this small stays in memory.
        if length is None and self.body_limit <= request_limits.MAX_BODY_BYTES:
            self.content = BytesIO()
        else:
            super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.channel.refused:
            return
        self.received += len(data)
        if self.received > self.body_limit:
            self.channel.refuse(request_limits.too_large(self.path_for_limits))
            return
        super().handleContentChunk(data)


class EdgeHTTPChannel(http.HTTPChannel):
    """Twisted's HTTP/1.1 channel with a deadline for each request's head and body.

    Used directly rather than behind Twisted's HTTP/2-negotiating wrapper: HTTP/2 is only chosen
    through TLS, which this server does not terminate.
    """

    # Set by makeConnection before any callback runs: a TCP (or UNIX) socket's transport.
    transport: ITCPTransport
    refused = False
    _deadline: IDelayedCall | None = None
    _discarded = 0

    def connectionMade(self) -> None:
        super().connectionMade()
        self.factory.connections.opened(self.transport, self.factory.peer_host(self.transport.getPeer()))
        self._start_deadline(self.factory.head_timeout, self._head_too_slow)

    def _start_deadline(self, seconds: float, action: Callable[[], None]) -> None:
        self._cancel_deadline()
        self._deadline = self.callLater(seconds, action)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _head_too_slow(self) -> None:
        self._deadline = None
        # Mid-request (a request line came): tell the client why. Idle between requests: just close.
        if self.requests:
            self.transport.write(HEAD_TIMEOUT)
        self.transport.loseConnection()

    def _body_too_slow(self) -> None:
        self._deadline = None
        self.transport.write(BODY_TIMEOUT)
        self.transport.loseConnection()

    def allHeadersReceived(self) -> None:
        self._cancel_deadline()
        request = self.requests[-1]
        path = request_limits.request_path(self._path)
        content_type = (request.requestHeaders.getRawHeaders(b"content-type") or [b""])[0]
        refusal = request_limits.refusal_for_head(
            path=path, content_type=content_type.decode("latin-1"), content_length=self.length
        )
        if refusal is not None:
            request.content = BytesIO()
            self.refuse(refusal)
            return
        request.path_for_limits, request.body_limit = path, request_limits.body_limit(path)
        super().allHeadersReceived()
        if self.length != 0:
            self._start_deadline(self.factory.body_timeout, self._body_too_slow)

    def allContentReceived(self) -> None:
        if self.refused:
            return
        self._cancel_deadline()
        super().allContentReceived()

    def requestDone(self, request: http.Request) -> None:
        # Armed before the next request's buffered bytes are replayed, which may complete its head.
        if self.persistent and not self.refused:
            self._start_deadline(self.factory.head_timeout, self._head_too_slow)
        super().requestDone(request)

    def refuse(self, refusal: request_limits.Refusal) -> None:
        """Answers `refusal` without reading the rest of the body, then closes the connection."""
        self.refused = True
        self._cancel_deadline()
        self.setTimeout(None)
        self.transport.write(json_response(refusal.status, refusal.reason, refusal.error))
        self.transport.loseWriteConnection()
        self._deadline = self.callLater(LINGER_SECONDS, self.transport.abortConnection)
        self.setRawMode()
        logger.info(
            "request refused before its body was read",
            extra={
                "path": request_limits.request_path(getattr(self, "_path", b"")),
                "status": refusal.status,
                "error": refusal.error,
                "content_length": self.length,
            },
        )

    def rawDataReceived(self, data: bytes) -> None:
        if self.refused:
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self.transport.abortConnection()
            return
        super().rawDataReceived(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._cancel_deadline()
        self.factory.connections.closed(self.transport)
        super().connectionLost(reason)


class EdgeHTTPFactory(HTTPFactory):
    """daphne's HTTP factory, building the channels above and refusing addresses over their cap."""

    protocol = EdgeHTTPChannel

    def __init__(self, server, *, head_timeout: float, body_timeout: float, connections: ConnectionCounter) -> None:
        super().__init__(server)
        self.head_timeout, self.body_timeout, self.connections = head_timeout, body_timeout, connections

    @staticmethod
    def peer_host(address) -> str:
        # A UNIX socket has no host: all its clients share one count.
        return str(getattr(address, "host", "unix"))

    def buildProtocol(self, addr):
        if not self.connections.allows(self.peer_host(addr)):
            return RefusedConnection()
        channel = super().buildProtocol(addr)
        channel.requestFactory = EdgeWebRequest
        return channel


class EdgeWebSocketProtocol(WebSocketProtocol):
    """daphne's WebSocket protocol; the connection it took over from HTTP still counts until closed."""

    def connectionLost(self, reason) -> None:
        self.factory.server_class.http_factory.connections.closed(self.transport)
        super().connectionLost(reason)


class _EdgeOptions(TypedDict):
    head_timeout: float
    body_timeout: float
    connections: ConnectionCounter


class EdgeServer(Server):
    """daphne's server, made to build the factories above: `Server.run()` creates its factories
    and starts listening in one go, so they are swapped as it assigns them."""

    def __init__(self, *, head_timeout: float, body_timeout: float, max_connections_per_ip: int, **options) -> None:
        super().__init__(**options)
        self.edge_options: _EdgeOptions = {
            "head_timeout": head_timeout,
            "body_timeout": body_timeout,
            "connections": ConnectionCounter(max_connections_per_ip),
        }

    @property
    def http_factory(self) -> EdgeHTTPFactory:
        return self._http_factory

    @http_factory.setter
    def http_factory(self, daphne_factory: HTTPFactory) -> None:
        self._http_factory = EdgeHTTPFactory(self, **self.edge_options)

    @property
    def ws_factory(self):
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory) -> None:
        factory.protocol = EdgeWebSocketProtocol
        self._ws_factory = factory
