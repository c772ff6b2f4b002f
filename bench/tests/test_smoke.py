"""The harness still runs: ~2 seconds of fan-out at a tiny size against chatapp and the websockets
baseline, a second of REST sends into rooms of listening sockets, and a second of REST history
with its two ceilings."""

import os

import pytest

from bench import run

pytestmark = pytest.mark.e2e


def test_harness_measures_chatapp_and_a_baseline(tmp_path):
    db = f"chatapp_bench_smoke_{os.getpid()}"
    results = run.main(
        [
            "--size", "tiny",
            "--scenarios", "fanout,rest_send,history",
            "--targets", "chatapp,websockets",
            "--fanout-rates", "5",
            "--rest-rates", "5",
            "--step-seconds", "1",
            "--drain", "1",
            "--http-seconds", "0.5",
            "--procs", "1",
            "--db", db,
            "--drop-db",
            "--redis-db", "7",
            "--keep-redis",  # other runs may share DB 7; every key of this run has its own prefix
            "--port-base", "18580",
            "--log-dir", str(tmp_path),
        ]
    )  # fmt: skip
    for target in ("chatapp", "websockets"):
        fanout = results["scenarios"]["fanout"][target]
        assert "error" not in fanout, fanout
        assert fanout["connect"]["connected"] == 20
        step = fanout["steps"][0]
        assert step["messages_sent"] == 5
        assert step["delivered"] == step["expected"] == 5 * 20
        assert step["lost"] == 0 and step["duplicates"] == 0
        assert step["p99_ms"] > 0
    rest_send = results["scenarios"]["rest_send"]["chatapp"]
    assert "error" not in rest_send, rest_send
    assert rest_send["connect"]["connected"] == 20  # 4 rooms of 5
    step = rest_send["steps"][0]
    assert step["messages_sent"] == 5 and step["http"]["statuses"] == {"201": 5}
    assert step["delivered"] == step["expected"] == 5 * 5
    assert step["lost"] == 0 and step["duplicates"] == 0
    assert "websockets" not in results["scenarios"]["rest_send"]  # the baselines have no REST API
    history = results["scenarios"]["history"]["chatapp"]
    assert "error" not in history, history
    assert history["requests"] > 0 and history["non_200"] == 0
    assert history["queries_per_request"] <= 4
    for ceiling in ("health", "asgi_hello"):
        assert history[ceiling]["requests"] > 0 and history[ceiling]["non_200"] == 0, history[ceiling]


def test_search_scenario_loads_queries_and_explains(tmp_path):
    db = f"chatapp_bench_search_smoke_{os.getpid()}"
    results = run.main(
        [
            "--size", "tiny",
            "--scenarios", "search",
            "--search-messages", "600",
            "--search-queries", "15",
            "--db", db,
            "--drop-db",
            "--redis-db", "7",
            "--keep-redis",
            "--port-base", "18590",
            "--log-dir", str(tmp_path),
        ]
    )  # fmt: skip
    search = results["scenarios"]["search"]["chatapp"]
    assert "error" not in search, search
    assert search["messages"] == 600 and search["member_rooms"] == 5
    assert search["queries"] == 15 and search["non_200"] == 0
    assert search["with_results"] > 0
    assert 0 < search["p50_ms"] <= search["p95_ms"] <= search["max_ms"]
    # Every kind of query was asked once, operators and all.
    assert {row["kind"] for row in search["rows"]} >= {"word", "phrase", "from:", "in:", "is:unread"}
    assert all(explained["plan"] for explained in search["explain"])
