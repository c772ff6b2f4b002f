"""Starting and stopping the servers under test: chatapp and the two baselines.

Each runs as its own process on a loopback port from the bench range (18500-18599), with its own
PostgreSQL database (chatapp_bench*) and Redis database (5-7), and is always stopped by the harness.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _raise_fd_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Target:
    name: str
    port: int
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(12)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _wait_listening(target: Target, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.proc.poll() is not None:
            raise RuntimeError(f"{target.name} exited with {target.proc.returncode}; see {target.log_path}")
        try:
            with socket.create_connection(("127.0.0.1", target.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    target.stop()
    raise RuntimeError(f"{target.name} did not listen on {target.port} within {timeout:.0f}s; see {target.log_path}")


def chatapp_env(app_dir: Path, db_name: str, redis_db: int, prefix: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_BASE}/{db_name}",
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        CHANNEL_PREFIX=f"{prefix}ch",
        CACHE_PREFIX=f"{prefix}ca",
        SECRET_KEY="bench-secret-not-for-production-0123456789",
        DEBUG="false",
        TESTING="false",
        # Production settings, served over plain HTTP on loopback: no redirect to https.
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # The REST scenario measures the view, not the per-IP limiter (one IP sends everything).
        RATE_LIMIT_API="100000000/m",
        # Thousands of sockets from one address, which the per-address connection cap would refuse.
        HTTP_MAX_CONNECTIONS_PER_IP="0",
        # One address opens every socket of the fan-out and reconnect scenarios.
        WS_HANDSHAKES_PER_IP_PER_MINUTE="100000000",
        DJANGO_SETTINGS_MODULE="chatapp.settings",
        PYTHONPATH=str(app_dir),
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def ensure_database(db_name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db_name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db_name}"')


def drop_database(db_name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def flush_redis_db(redis_db: int) -> None:
    # Only the bench's own databases (5-7) are ever flushed.
    assert redis_db in (5, 6, 7), redis_db
    import redis

    redis.Redis.from_url(f"redis://127.0.0.1:6379/{redis_db}").flushdb()


def _chatapp_command(port: int) -> list[str]:
    """`manage.py serve` (daphne), or uvicorn for comparison with BENCH_CHATAPP_SERVER=uvicorn.

    uvicorn is measured, not supported: it lacks serve's graceful 1001 shutdown (it sends 1012).
    """
    if os.environ.get("BENCH_CHATAPP_SERVER", "serve") == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", "chatapp.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--ws", "websockets", "--loop", "uvloop", "--http", "httptools",
            "--ws-max-size", "65536", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    return [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)]


def _launch(name: str, port: int, log_path: Path, command: list[str], **popen) -> Target:
    """Starts one server process, its output in `log_path`, and waits until it listens."""
    target = Target(name, port, log_path=log_path)
    log = open(target.log_path, "ab")
    target.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_raise_fd_limit, **popen)
    _wait_listening(target)
    return target


def start_chatapp(port: int, env: dict, app_dir: Path, log_dir: Path) -> Target:
    return _launch("chatapp", port, log_dir / f"chatapp-{port}.log", _chatapp_command(port), cwd=app_dir, env=env)


def start_websockets(port: int, log_dir: Path) -> Target:
    command = [sys.executable, str(BENCH_DIR / "baselines" / "ws_broadcast.py"), "--port", str(port)]
    return _launch("websockets", port, log_dir / f"websockets-{port}.log", command)


def start_asgi_hello(port: int, log_dir: Path) -> Target:
    """daphne serving `bench/baselines/asgi_hello.py`: the HTTP server's own ceiling."""
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "bench.baselines.asgi_hello:app"]
    env = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    return _launch("asgi_hello", port, log_dir / f"asgi-hello-{port}.log", command, env=env)


def start_tutorial(port: int, redis_db: int, prefix: str, log_dir: Path) -> Target:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.baselines.tutorial.settings",
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        CHANNEL_PREFIX=f"{prefix}tut",
        PYTHONPATH=str(REPO_DIR),
    )
    command = [
        sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
        "bench.baselines.tutorial.asgi:application",
    ]  # fmt: skip
    return _launch("tutorial", port, log_dir / f"tutorial-{port}.log", command, cwd=REPO_DIR, env=env)
