"""What realtime.transport relies on in daphne, autobahn, Twisted and Channels beyond their public
APIs, checked against the versions pinned in requirements.txt.

When an upgrade renames or drops one of these, a test here fails and names it, instead of shared
frames silently no longer reaching sockets, slow readers no longer being cut off or shutdown no
longer closing sockets with 1001. (daphne.server is read, not imported: importing it installs
Twisted's asyncio reactor in the test process.)
"""

import importlib.util
import inspect
import re
import socket
from importlib.metadata import version
from pathlib import Path

import pytest
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from channels.consumer import AsyncConsumer
from channels.layers import get_channel_layer
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import tcp
from twisted.internet.testing import StringTransport

from broadcast.frames import text_frame
from realtime import transport
from realtime.consumers import ChatConsumer

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: chat.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize("distribution", ["daphne", "Twisted", "autobahn"])
def test_installed_version_is_the_pinned_one_this_contract_was_checked_against(distribution):
    pinned = re.search(rf"^{distribution}==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pinned, f"requirements.txt pins no version of {distribution}"
    assert version(distribution) == pinned[1], (
        f"{distribution} {version(distribution)} is installed, realtime.transport was checked against "
        f"{pinned[1]}: run this file, then update the pin"
    )


class FakeReactor:
    """Records Twisted's write registrations: a write that went out at once registers nothing."""

    def __init__(self) -> None:
        self.writers: set = set()

    def addWriter(self, writer) -> None:  # noqa: N802 - IReactorFDSet names
        self.writers.add(writer)

    def removeWriter(self, writer) -> None:  # noqa: N802 - IReactorFDSet names
        self.writers.discard(writer)

    def addReader(self, reader) -> None:  # noqa: N802 - IReactorFDSet names
        pass

    def removeReader(self, reader) -> None:  # noqa: N802 - IReactorFDSet names
        pass


@pytest.fixture
def tcp_pair():
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server_side, _ = listener.accept()
    listener.close()
    reactor = FakeReactor()
    connection = tcp.Connection(server_side, protocol=None, reactor=reactor)
    connection.connected = 1
    client.settimeout(5)
    yield connection, client, reactor
    client.close()
    server_side.close()


@pytest.fixture
def open_socket(tcp_pair):
    """An autobahn server protocol past its handshake, on a real TCP connection."""
    factory = WebSocketServerFactory()
    factory.protocol = WebSocketServerProtocol
    # No timers: they would install Twisted's default reactor in the test process.
    factory.setProtocolOptions(openHandshakeTimeout=0, closeHandshakeTimeout=0, autoPingInterval=0)
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    protocol.dataReceived(HANDSHAKE)
    assert protocol.state == protocol.STATE_OPEN, "autobahn no longer opens on this handshake"
    connection, client, reactor = tcp_pair
    protocol.transport = connection
    return protocol, client, reactor


@pytest.mark.parametrize(
    "name", ["dataBuffer", "offset", "_tempDataLen", "writeSomeData", "disconnecting", "abortConnection", "fileno"]
)
def test_twisted_tcp_connection_has(tcp_pair, name):
    connection, _, _ = tcp_pair
    assert hasattr(connection, name), f"twisted.internet.tcp.Connection.{name} is gone: realtime.transport uses it"


def test_twisted_tcp_connection_buffers_are_counted_by_these_attributes(tcp_pair):
    connection, _, _ = tcp_pair
    connection.write(b"abc")
    assert len(connection.dataBuffer) - connection.offset + connection._tempDataLen == 3, (
        "Twisted no longer keeps unwritten bytes in dataBuffer[offset:] + _tempDataLen"
    )


@pytest.mark.parametrize("name", ["state", "STATE_OPEN", "STATE_CLOSED", "sendCloseFrame", "transport"])
def test_autobahn_protocol_has(open_socket, name):
    protocol, _, _ = open_socket
    assert hasattr(protocol, name), f"autobahn WebSocketServerProtocol.{name} is gone: realtime.transport uses it"


def test_daphne_websocket_protocol_is_autobahns_server_protocol():
    assert issubclass(WebSocketProtocol, WebSocketServerProtocol)


def test_autobahn_send_close_frame_takes_code_and_is_reply():
    parameters = inspect.signature(WebSocketServerProtocol.sendCloseFrame).parameters
    assert {"code", "isReply"} <= set(parameters), "autobahn sendCloseFrame(code=, isReply=) changed"


def test_a_shared_frame_goes_out_at_once_without_a_reactor_round(open_socket):
    protocol, client, reactor = open_socket
    frame = text_frame('{"event": "new_message"}')
    transport.write_frame(protocol, frame)
    assert not reactor.writers, "write_frame waited for the reactor although nothing was queued"
    assert client.recv(len(frame)) == frame


def test_a_shared_frame_queues_behind_what_twisted_still_holds(open_socket):
    protocol, client, reactor = open_socket
    protocol.transport.write(b"first")  # queued: Twisted writes it on its next reactor round
    frame = text_frame("second")
    transport.write_frame(protocol, frame)
    assert transport.buffered_bytes(protocol) == len(b"first") + len(frame)
    protocol.transport.doWrite()
    received = b""
    while len(received) < len(b"first") + len(frame):
        received += client.recv(4096)
    assert received == b"first" + frame


def test_buffered_bytes_counts_what_the_kernel_holds_for_a_client_that_stopped_reading(open_socket):
    protocol, _, _ = open_socket
    frame = text_frame("x" * 60_000)
    for _ in range(200):  # 12 MB: more than loopback's send and receive buffers hold
        transport.write_frame(protocol, frame)
    connection = protocol.transport
    in_twisted = len(connection.dataBuffer) - connection.offset + connection._tempDataLen
    assert transport.buffered_bytes(protocol) > in_twisted > 0, "SIOCOUTQ no longer counts the kernel's queue"


def test_close_going_away_sends_1001_and_later_frames_are_not_written(open_socket):
    protocol, client, _ = open_socket
    transport.close_going_away(protocol)
    protocol.transport.doWrite()  # autobahn writes the close frame with Twisted's `write`
    assert client.recv(16) == b"\x88\x02\x03\xe9"  # FIN + close, 2 bytes: 1001
    assert not transport.is_open(protocol)
    transport.write_frame(protocol, text_frame("late"))
    client.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.recv(16)


def _daphne_server_source() -> str:
    return Path(importlib.util.find_spec("daphne.server").origin).read_text()


@pytest.mark.parametrize(
    "line",
    [
        # ExposesWebSockets overrides these two.
        "def create_application(self, protocol, scope):",
        "def listen_success(self, port):",
        # open_websockets and running_applications read this dict.
        "self.connections = {}",
        'self.connections[protocol]["application_instance"] = asyncio.ensure_future(',
        # fail_oversize_frames_with_close sets options on this factory.
        "self.ws_factory = WebSocketFactory(",
    ],
)
def test_daphne_server_still_has(line):
    assert line in _daphne_server_source(), f"daphne.server.Server no longer has `{line}`: realtime.transport uses it"


def test_channels_runs_a_consumer_whose_alias_names_no_layer_without_a_channel():
    assert get_channel_layer(ChatConsumer.channel_layer_alias) is None
    assert "if self.channel_layer is not None:" in inspect.getsource(AsyncConsumer.__call__), (
        "channels' AsyncConsumer.__call__ no longer skips the channel when the layer is None"
    )
