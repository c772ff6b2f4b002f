"""PostgreSQL restarted under REST load: 503 JSON fast during the outage, normal answers soon after."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.chaos.helpers import get_json, register_users, report, shared_room

pytestmark = pytest.mark.chaos

WORKERS = 8


def timed_request(url: str, token: str, body: dict | None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError as error:
        status, raw = f"no answer: {error}", b""
    try:
        is_json = isinstance(json.loads(raw), dict)
    except ValueError:
        is_json = False
    return {"started": started, "seconds": time.monotonic() - started, "status": status, "json": is_json}


def test_postgres_restart_answers_503_then_recovers_without_a_server_restart(chaos_servers, private_postgres):
    server = chaos_servers()
    tokens = register_users(server, WORKERS)
    room_id = shared_room(server, tokens)
    results: list[dict] = []
    stop = threading.Event()

    def worker(index: int) -> None:
        count = 0
        while not stop.is_set():
            count += 1
            if count % 2:
                url, body = f"{server.http}/api/v1/rooms/{room_id}/messages", {"content": f"w{index} #{count}"}
            else:
                url, body = f"{server.http}/api/v1/rooms/me", None
            results.append(timed_request(url, tokens[index], body))
            time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        down_requested = time.monotonic()
        private_postgres.stop("fast")
        down_at = time.monotonic()
        ready_down = get_json(server.http + "/health/ready")
        time.sleep(3)
        start_requested = time.monotonic()
        private_postgres.start()  # pg_ctl -w: returns once PostgreSQL accepts connections
        up_at = time.monotonic()
        time.sleep(4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)

    # PostgreSQL accepts connections somewhere between start_requested and up_at (pg_ctl polls).
    during = [r for r in results if down_at <= r["started"] and r["started"] + r["seconds"] <= start_requested]
    after = [r for r in results if r["started"] >= up_at]
    first_ok_after = min((r["started"] + r["seconds"] for r in after if r["status"] in (200, 201)), default=None)
    late = [r for r in results if r["started"] >= start_requested + 2]
    figures = {
        "requests": len(results),
        "requests_during_outage": len(during),
        "statuses_during_outage": sorted({str(r["status"]) for r in during}),
        "max_seconds_during_outage": round(max((r["seconds"] for r in during), default=0), 3),
        "server_errors_500": sum(1 for r in results if r["status"] == 500),
        "non_json_answers": sum(1 for r in results if not r["json"]),
        "ready_while_down": ready_down,
        "stop_took_seconds": round(down_at - down_requested, 2),
        "outage_seconds": round(start_requested - down_at, 2),
        "postgres_start_seconds": round(up_at - start_requested, 2),
        "first_success_seconds_after_postgres_accepts": round(first_ok_after - up_at, 3) if first_ok_after else None,
        "requests_started_2s_after_recovery": len(late),
        "failures_started_2s_after_recovery": sum(1 for r in late if r["status"] not in (200, 201)),
        "server_alive": server.process.poll() is None,
    }
    report("postgres_restart", figures)
    assert figures["server_alive"]
    assert during and figures["statuses_during_outage"] == ["503"], figures
    assert figures["max_seconds_during_outage"] <= 5, figures
    assert figures["server_errors_500"] == 0 and figures["non_json_answers"] == 0, figures
    assert ready_down[0] == 503 and ready_down[1]["checks"]["database"] == "unavailable", figures
    assert first_ok_after is not None and first_ok_after - up_at <= 2, figures
    assert late and figures["failures_started_2s_after_recovery"] == 0, figures
