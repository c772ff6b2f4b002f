"""What realtime.transport.http relies on in daphne and Twisted beyond their public API.

When an upgrade renames or drops one of these, this fails and names it, instead of the edge
silently no longer enforcing its deadlines, connection cap or body limits. (realtime.transport.http itself
is not imported: it imports daphne.server, which installs Twisted's reactor.)
"""

import importlib.util
from pathlib import Path

import pytest
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.ws_protocol import WebSocketFactory
from twisted.internet import task, tcp
from twisted.internet.testing import StringTransport
from twisted.web import http


@pytest.mark.parametrize(
    "name",
    [
        # Overridden: where a request's head ends, its body arrives and the request is done.
        "allHeadersReceived",
        "allContentReceived",
        "rawDataReceived",
        "requestDone",
        "connectionLost",
        # Read: the request line's target, the announced length, the queue, keep-alive.
        "requests",
        "length",
        "persistent",
        "setRawMode",
        "callLater",
    ],
)
def test_twisted_http_channel_has(name):
    assert hasattr(http.HTTPChannel, name) or name in http.HTTPChannel().__dict__


def test_twisted_http_channel_keeps_the_request_target_and_length_while_the_body_is_read():
    channel = http.HTTPChannel()
    channel.callLater = task.Clock().callLater
    channel.makeConnection(StringTransport())
    channel.dataReceived(b"POST /health?x=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\n")
    assert channel._path == b"/health?x=1"
    assert channel.length == 5


@pytest.mark.parametrize("name", ["gotLength", "handleContentChunk"])
def test_twisted_request_has(name):
    assert hasattr(WebRequest, name)


def test_twisted_tcp_connections_can_half_close():
    assert hasattr(tcp.Connection, "loseWriteConnection")


def test_daphne_builds_its_factories_in_run_by_assigning_these_attributes():
    source = Path(importlib.util.find_spec("daphne.server").origin).read_text()
    assert "self.http_factory = HTTPFactory(self)" in source
    assert "self.ws_factory = WebSocketFactory(" in source
    assert "ep.listen(self.http_factory)" in source


def test_daphne_factories_expose_what_the_edge_uses():
    assert HTTPFactory.buildProtocol
    assert "server_class" in WebSocketFactory.__init__.__code__.co_names
