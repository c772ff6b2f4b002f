"""Real HTTP(S) servers on loopback addresses for tests of outbound requests: each records what it
received, and whether a client hung up before its answer was all sent."""

import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Answer:
    status: int = 201
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow service)
    # The body in pieces of chunk_size bytes, chunk_interval seconds apart (a body trickling in).
    chunk_size: int = 64 * 1024
    chunk_interval: float = 0.0


class RecordingServer:
    """Answers every request with `answer(received)` and queues what it received."""

    def __init__(
        self,
        answer: Callable[[Received], Answer] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
    ):
        self.received: queue.Queue[Received] = queue.Queue()
        self.answer = answer or (lambda received: Answer())
        self.release = threading.Event()  # set at stop: a delayed answer stops waiting
        self.hung_up: queue.Queue[int] = queue.Queue()  # body bytes sent before a client hung up
        self.host = host
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                server.received.put(received)
                answer = server.answer(received)
                if answer.delay:
                    server.release.wait(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                sent = 0
                try:
                    while sent < len(answer.body) and not server.release.is_set():
                        if sent and answer.chunk_interval:
                            server.release.wait(answer.chunk_interval)
                        self.wfile.write(answer.body[sent : sent + answer.chunk_size])
                        self.wfile.flush()
                        sent += answer.chunk_size
                except OSError:  # the client hung up: what a capped or timed-out read does
                    server.hung_up.put(sent)
                    self.close_connection = True

            do_GET = do_POST = _handle  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def origin(self, scheme: str = "http", host: str | None = None) -> str:
        return f"{scheme}://{host or self.host}:{self.port}"

    def next(self, timeout: float = 10) -> Received:
        return self.received.get(timeout=timeout)

    def got_nothing(self) -> bool:
        return self.received.empty()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)
