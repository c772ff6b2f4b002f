"""`make newman`: runs docs/chatapp.postman_collection.json against a fresh live server.

Creates (once) and migrates `<DATABASE_URL's name>_newman`, starts `manage.py serve` on a free
port with its own cache prefix (so the rate-limit counters of an earlier run do not leak into
this one), runs newman from the repository root (the upload sample is a path relative to it) and
stops the server. newman comes from PATH, else it is installed under var/newman/ with npm.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
COLLECTION = ROOT / "docs" / "chatapp.postman_collection.json"
NEWMAN_VERSION = "6.2.1"


def newman_binary() -> str:
    found = shutil.which("newman")
    if found:
        return found
    local = ROOT / "var" / "newman" / "node_modules" / ".bin" / "newman"
    if not local.exists():
        local.parents[2].mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(local.parents[2]),
                f"newman@{NEWMAN_VERSION}",
            ],
            check=True,
        )
    return str(local)


def database_url() -> str:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/chatapp"
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'chatapp'}_newman"
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    newman = newman_binary()
    port = int(os.environ.get("NEWMAN_PORT") or free_port())
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "CACHE_PREFIX": f"newman-{uuid.uuid4().hex[:12]}",
        "CHANNEL_PREFIX": f"newman-{uuid.uuid4().hex[:12]}",
        # One run makes about 140 API calls in a few seconds, past the default 120 a minute per address;
        # the collection tests the login limit (RATE_LIMIT_AUTH), which stays as configured.
        "RATE_LIMIT_API": os.environ.get("RATE_LIMIT_API") or "600/m",
        "DEBUG": "true",
        "VAR_DIR": str(ROOT / "var" / "newman"),
        "ALLOWED_ORIGINS": "http://localhost:8080",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    log_path = ROOT / "var" / "newman" / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base_url + "/health", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print(log_path.read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.2)
        command = [newman, "run", str(COLLECTION.relative_to(ROOT)), "--env-var", f"base_url={base_url}", *sys.argv[1:]]
        return subprocess.run(command, cwd=ROOT).returncode
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
