"""`make run`'s one command: `serve` on the embedded defaults (SQLite, no Redis) starts the jobs
worker, whose jobs then run, and stops it when it stops."""

import json
import re
import sqlite3
import urllib.request

import pytest

from jobs.tests.worker import wait_until
from realtime.tests.live_servers import register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_serve_runs_the_jobs_worker_on_sqlite_and_stops_it(servers, push_service, tmp_path):
    server = servers(embedded=True, JOBS_WORKER="true", PUSH_ENDPOINT_ALLOWLIST=push_service.origin)
    database = sqlite3.connect(tmp_path / f"var-{server.port}" / "chatapp.sqlite3")
    with urllib.request.urlopen(server.http + "/api/v1/push/key", timeout=5) as answer:
        assert len(json.loads(answer.read())["public_key"]) == 87  # DEBUG: a pair generated into var/
    phone_token = register(server, "alice")
    status, body = server.post("/api/v1/auth/login", {"username": "alice", "password": "secret123"})
    laptop_token = body["token"]
    phone, laptop = push_service.browser(), push_service.browser()
    assert server.post("/api/v1/push/subscriptions", phone.subscription_json(), phone_token)[0] == 201
    assert server.post("/api/v1/push/subscriptions", laptop.subscription_json(), laptop_token)[0] == 201

    # Logging the phone out queues a job; the worker `serve` started drops the phone's subscription.
    assert server.post("/api/v1/auth/logout", {}, phone_token)[0] == 200

    def endpoints() -> list[str]:
        return [row[0] for row in database.execute("SELECT endpoint FROM notifications_pushsubscription")]

    wait_until(lambda: endpoints() == [laptop.endpoint], timeout=30, what="the phone's subscription dropped")
    database.close()
    worker_pid = int(re.search(r'"jobs worker process started", "pid": (\d+)', server.log()).group(1))
    assert server.terminate() == 0
    with pytest.raises(ProcessLookupError):
        __import__("os").kill(worker_pid, 0)
    assert "jobs worker stopped" in server.log()
