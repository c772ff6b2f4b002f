"""Setup and bookkeeping shared by the fault tests."""

import asyncio
import json
import os
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from realtime.tests.live_servers import ROOT

REPORT_DIR = Path(os.environ.get("CHAOS_REPORT_DIR", ROOT / "var" / "chaos"))


def register_users(server, count: int) -> list[str]:
    """`count` new users (unique names), registered over REST in parallel; their tokens."""
    prefix = uuid.uuid4().hex[:6]

    def register(index: int) -> str:
        name = f"c{prefix}{index}"
        status, body = server.post(
            "/api/v1/auth/register", {"username": name, "email": f"{name}@example.com", "password": "secret123"}
        )
        assert status == 201, body
        return body["token"]

    # Two at a time: each registration hashes a password on a 2-core machine, and eight at once
    # took past the client's 10 s timeout whenever other work loaded it.
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(register, range(count)))


def shared_room(server, tokens: list[str]) -> str:
    status, room = server.post("/api/v1/rooms", {"name": f"chaos {uuid.uuid4().hex[:6]}", "type": "public"}, tokens[0])
    assert status == 201, room
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda t: server.post(f"/api/v1/rooms/{room['id']}/join", {}, t)[0], tokens[1:]))
    assert set(statuses) <= {200}, statuses
    return room["id"]


def stored_message_ids(database_url: str, room_id: str) -> list[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT id FROM messaging_message WHERE room_id = %s ORDER BY created_at, id", (room_id,)
        ).fetchall()
    return [str(row[0]) for row in rows]


def get_json(url: str, timeout: float = 10) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


async def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


def report(name: str, figures: dict) -> None:
    """Prints the figures and keeps them in var/chaos/<name>.json for docs/reliability.md."""
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / f"{name}.json").write_text(json.dumps(figures, indent=1))
    print(f"\n{name}: {json.dumps(figures)}")
