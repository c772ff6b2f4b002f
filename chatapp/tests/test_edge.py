"""The HTTP edge against a live `manage.py serve`: slow heads and bodies cut off, connections per
address capped, oversize bodies refused while they arrive (realtime.transport.http).

Clients here speak raw HTTP over sockets, since the point is what the server does with bytes
before a whole request exists. Other client addresses come from 127.0.0.0/8 (all of it is
loopback on Linux), so one test can be an attacker and a bystander at once.
"""

import json
import os
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect as ws_connect

from accounts.tokens import token_issue
from realtime.tests.live_servers import LiveServer, start_server
from uploads.tests.samples import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

ATTACKER = "127.0.0.2"
MB = 1024 * 1024


def open_socket(server: LiveServer, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=(source, 0))


def trickle(sock: socket.socket, head: bytes, line: bytes, seconds: float) -> tuple[float, bytes]:
    """Sends `head`, then `line` every 0.2 s: how long until the server closed, and what it said."""
    started = time.monotonic()
    sock.sendall(head)
    sock.settimeout(0.2)
    answer = b""
    while time.monotonic() - started < seconds:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            try:
                sock.sendall(line)
            except OSError:
                break
            continue
        except OSError:
            break
        if not chunk:
            break
        answer += chunk
    return time.monotonic() - started, answer


def temp_file_bytes(server: LiveServer, tmp_dir: Path) -> int:
    """Bytes in the temporary files the server holds open (they are unlinked: only /proc shows them)."""
    total = 0
    fd_dir = Path(f"/proc/{server.process.pid}/fd")
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(fd_dir / fd).startswith(str(tmp_dir)):
                total += os.stat(fd_dir / fd).st_size
        except OSError:
            continue  # closed meanwhile
    return total


def push_body(
    server: LiveServer, tmp_dir: Path, head: bytes, chunk: bytes, *, seconds: float = 5
) -> tuple[int, bytes, int, float]:
    """Sends `head`, then `chunk` over and over until the server stops the body or time is up.

    Returns the bytes the client got to send (socket buffers included), the server's answer, the
    most the server held in temporary files meanwhile, and the seconds it took.
    """
    sock = open_socket(server)
    started = time.monotonic()
    sock.sendall(head)
    sock.setblocking(False)
    sent, answer, spooled, pending = 0, b"", 0, b""
    while time.monotonic() - started < seconds:
        spooled = max(spooled, temp_file_bytes(server, tmp_dir))
        pending = pending or chunk  # whole chunks only: a chunked body must stay well-formed
        try:
            written = sock.send(pending)
            sent, pending = sent + written, pending[written:]
        except BlockingIOError:
            time.sleep(0.005)
        except OSError:
            break  # the server closed the connection
        try:
            answer += sock.recv(4096)
        except (BlockingIOError, OSError):
            pass
    sock.settimeout(2)
    try:
        while part := sock.recv(4096):
            answer += part
    except OSError:
        pass
    sock.close()
    return sent, answer, spooled, time.monotonic() - started


def status_and_error(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body or b"{}")


@pytest.fixture
def server_tmp(tmp_path) -> Path:
    path = tmp_path / "server-tmp"
    path.mkdir()
    return path


@pytest.fixture
def edge_server(tmp_path, server_tmp):
    started = []

    def start(**env: str) -> LiveServer:
        server = start_server(tmp_path, TMPDIR=str(server_tmp), **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.terminate()


class TestSlowClients:
    def test_heads_and_bodies_trickling_in_are_answered_408_and_closed_at_their_deadline(self, edge_server):
        server = edge_server(HTTP_HEAD_TIMEOUT_SECONDS="2", HTTP_BODY_TIMEOUT_SECONDS="2")
        heads = {
            "http head": (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n"),
            "websocket handshake": (
                b"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
                b"X-Slow: 1\r\n",
            ),
            "body": (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n", b"{"),
        }
        results = {}

        def run(name: str) -> None:
            with open_socket(server) as sock:
                results[name] = trickle(sock, *heads[name], seconds=10)

        threads = [threading.Thread(target=run, args=(name,)) for name in heads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name, (seconds, answer) in results.items():
            assert 1.5 < seconds < 6, (name, seconds)
            status, body = status_and_error(answer)
            assert status == 408, (name, answer)
            assert "in time" in body["error"]

    def test_an_idle_connection_is_closed_at_the_head_deadline(self, edge_server):
        server = edge_server(HTTP_HEAD_TIMEOUT_SECONDS="2")
        with open_socket(server) as sock:
            seconds, answer = trickle(sock, b"", b"", seconds=10)
        assert 1.5 < seconds < 6
        assert answer == b""

    def test_the_head_deadline_restarts_with_each_request_on_a_kept_alive_connection(self, edge_server):
        server = edge_server(HTTP_HEAD_TIMEOUT_SECONDS="2")
        started = time.monotonic()
        with open_socket(server) as sock:
            # 4 requests whose heads each take 1 s to arrive: the connection outlives one deadline.
            for _ in range(4):
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                sock.settimeout(0.2)
                for _ in range(5):
                    with pytest.raises(TimeoutError):
                        sock.recv(4096)  # no answer, and no close, while the head is incomplete
                    sock.sendall(b"X-Slow: 1\r\n")
                sock.settimeout(5)
                sock.sendall(b"\r\n")
                answer = sock.recv(4096)
                assert answer.startswith(b"HTTP/1.1 200"), answer
        assert time.monotonic() - started > 3

    def test_connections_over_the_per_address_cap_get_503_while_health_answers_others(self, edge_server):
        server = edge_server(HTTP_MAX_CONNECTIONS_PER_IP="4")
        held = [open_socket(server, ATTACKER) for _ in range(3)]
        for sock in held:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # a head that never ends
        with ws_connect(server.ws, sock=open_socket(server, ATTACKER), open_timeout=5):
            with open_socket(server, ATTACKER) as over_cap:
                answer = over_cap.recv(4096)  # answered as soon as accepted, before any request
            status, body = status_and_error(answer)
            assert status == 503
            assert body == {"error": "Too many connections from this address"}
            assert b"Retry-After: 5" in answer

            with urllib.request.urlopen(server.http + "/health", timeout=5) as response:
                assert response.status == 200  # from 127.0.0.1, while 127.0.0.2 is at its cap

        # The closed WebSocket no longer counts: its place is free for a new connection.
        deadline = time.monotonic() + 5
        while True:
            with open_socket(server, ATTACKER) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                answer = sock.recv(4096)
            if status_and_error(answer)[0] == 200 or time.monotonic() > deadline:
                break
        assert status_and_error(answer)[0] == 200
        for sock in held:
            sock.close()


class TestBodyLimits:
    def test_a_300_mb_body_announced_to_health_is_refused_before_it_is_read(self, edge_server, server_tmp):
        server = edge_server()
        head = b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n\r\n"
        sent, answer, spooled, seconds = push_body(server, server_tmp, head, b"x" * 65536)
        assert status_and_error(answer) == (413, {"error": "Request body too large"})
        assert spooled == 0
        assert sent < 32 * MB  # what the kernel buffers, not 300 MB
        assert seconds < 3

    def test_a_chunked_upload_without_a_token_is_refused_once_past_the_upload_limit(self, edge_server, server_tmp):
        server = edge_server()
        head = (
            b"POST /api/v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
        )
        chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
        sent, answer, spooled, seconds = push_body(server, server_tmp, head, chunk)
        assert status_and_error(answer) == (413, {"error": "File too large. Maximum size is 4 MB"})
        assert spooled <= 4 * MB + 64 * 1024
        assert sent < 32 * MB
        assert seconds < 3

    def test_a_chunked_json_body_past_64_kb_is_refused_without_a_temporary_file(self, edge_server, server_tmp):
        server = edge_server()
        head = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"1000\r\n" + b" " * 4096 + b"\r\n"
        sent, answer, spooled, _ = push_body(server, server_tmp, head, chunk)
        assert status_and_error(answer) == (413, {"error": "Request body too large"})
        assert spooled == 0

    def test_a_200_mb_multipart_body_to_login_is_refused_unread(self, edge_server, server_tmp):
        server = edge_server()
        head = (
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200000000\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
        )
        sent, answer, spooled, _ = push_body(server, server_tmp, head, b"x" * 65536)
        assert status_and_error(answer) == (415, {"error": "Unsupported content type"})
        assert spooled == 0
        assert sent < 32 * MB

    def test_an_authenticated_60_mb_upload_is_refused_before_it_is_read_whole(self, edge_server, server_tmp, user):
        server = edge_server()
        head = (
            b"POST /api/v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 62914560\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            b"Authorization: Bearer " + token_issue(user).encode() + b"\r\n\r\n"
        )
        sent, answer, spooled, seconds = push_body(server, server_tmp, head, b"x" * 65536)
        assert status_and_error(answer) == (413, {"error": "File too large. Maximum size is 4 MB"})
        assert spooled == 0
        assert sent < 32 * MB
        assert seconds < 3

    def test_uploads_and_json_within_their_limits_still_work(self, edge_server, user):
        server = edge_server()
        token = token_issue(user)
        status, answer = server.upload(token, "pic.png", image_bytes("PNG", (400, 300)), timeout=10)
        assert (status, answer["file_name"]) == (201, "pic.png")

        # A JSON body near the limit (a long message's worth of escaped text) is read and parsed.
        status, answer = server.post("/api/v1/auth/login", {"email": "alice@example.com", "password": "x" * 60000})
        assert status == 400
        assert "error" in answer
