"""Real `manage.py serve` processes for end-to-end tests, on the test database and real Redis."""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    def __init__(self, port: int, process: subprocess.Popen, log_path: Path) -> None:
        self.port, self.process, self.log_path = port, process, log_path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    def post(self, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.http + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def upload(self, token: str, name: str, content: bytes, timeout: float = 60) -> tuple[int, dict]:
        """POST /api/v1/upload as a browser's multipart form would send `content` as `name`."""
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            self.http + "/api/v1/upload",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def terminate(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def register(server: LiveServer, username: str) -> str:
    """A new account on a live server; its token."""
    status, body = server.post(
        "/api/v1/auth/register", {"username": username, "email": f"{username}@example.com", "password": "secret123"}
    )
    assert status == 201, body
    return body["token"]


def start_server(tmp_path: Path, *, embedded: bool = False, **extra_env: str) -> LiveServer:
    """Starts a server process on the current test database; waits until /health answers.

    `embedded`: the first-run default instead — no DATABASE_URL or REDIS_URL (a migrated SQLite
    file under a fresh VAR_DIR, the in-memory channel layer), DEBUG=true, as `make run` starts.
    """
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SECRET": settings.JWT_SECRET,
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
        "VAR_DIR": str(tmp_path / f"var-{port}"),
        # Many quick logins from one address in these tests; limits have their own tests.
        "RATE_LIMIT_AUTH": "1000/m",
        "RATE_LIMIT_API": "10000/m",
        # Storms of hundreds of sockets from 127.0.0.1; the cap has its own tests (chatapp/tests/test_edge.py).
        "HTTP_MAX_CONNECTIONS_PER_IP": "0",
        # Hundreds of sockets from one address, up to 20 per user with reconnects on top; the
        # WebSocket admission limits have their own tests (realtime/tests/test_admission.py).
        "WS_HANDSHAKES_PER_IP_PER_MINUTE": "100000",
        "WS_MAX_SOCKETS_PER_USER": "1000",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1
        # No jobs worker beside each server unless a test asks for one (JOBS_WORKER="true").
        "JOBS_WORKER": "false",
        **extra_env,
    }
    if embedded:
        for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET"):
            env.pop(name, None)
        env.update(DEBUG="true")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
        )
    log_path = tmp_path / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(port, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.http + "/health", timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server did not answer /health within 30 s:\n{server.log()}")


def open_non_reading_socket(port: int, token: str) -> socket.socket:
    """A WebSocket that completes the handshake and then never reads again (tiny receive buffer)."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    assert b"101" in raw.recv(1024)
    return raw
