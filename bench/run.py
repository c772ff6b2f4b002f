"""Runs the benchmark scenarios against chatapp and the two baselines, in one run, and reports ratios.

    python -m bench.run                                # everything, full size (~15 min)
    python -m bench.run --scenarios fanout --targets chatapp,tutorial --step-seconds 3
    python -m bench.run --size tiny --step-seconds 1   # what the smoke test does

Every scenario is bounded (fixed rate steps, fixed durations, timeouts) and stops by itself.
Results go to var/bench/results-<date>.json and, with --write-doc, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import servers
from bench.loadgen import Generator, cpu_seconds, raise_fd_limit, rss_bytes
from bench.report import SEARCH_END, SEARCH_START, render_markdown, render_search_markdown, render_summary, write_doc

_SEARCH_SIZES = {
    # search: M messages in R rooms, the searcher a member of K of them, Q queries one at a time.
    "full": {"search_messages": 1_000_000, "search_rooms": 1000, "search_member_rooms": 50, "search_queries": 200},
    "medium": {"search_messages": 200_000, "search_rooms": 200, "search_member_rooms": 20, "search_queries": 100},
    "tiny": {"search_messages": 3000, "search_rooms": 20, "search_member_rooms": 5, "search_queries": 30},
}
SIZES = {
    # fanout: 1 room x N sockets; rooms: R rooms x K sockets; idle: N sockets in rooms of 10.
    "full": {"fanout": 1000, "fanout_senders": 10, "rooms": 100, "room_size": 10, "idle": 5000, "storm": 1000}
    | _SEARCH_SIZES["full"],
    "medium": {"fanout": 300, "fanout_senders": 10, "rooms": 30, "room_size": 10, "idle": 1000, "storm": 300}
    | _SEARCH_SIZES["medium"],
    "tiny": {"fanout": 20, "fanout_senders": 2, "rooms": 4, "room_size": 5, "idle": 20, "storm": 20}
    | _SEARCH_SIZES["tiny"],
}
FANOUT_RATES = [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192]  # messages/s into the room
ROOMS_RATES = [10, 20, 30, 50, 100, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200, 4800]  # messages/s over all rooms
REST_RATES = [10, 20, 30, 50, 100, 150, 200, 300, 400, 600, 800]  # posts/s over all rooms
P99_LIMIT_MS = 100.0
SEARCH_P95_LIMIT_MS, SEARCH_P99_LIMIT_MS = 100.0, 250.0
TARGETS = ("chatapp", "websockets", "tutorial")
SCENARIOS = ("fanout", "rooms", "rest_send", "idle", "storm", "history", "search")
CHATAPP_ONLY = {"history", "rest_send", "search"}  # REST: the baselines have no HTTP API


def log(*parts: object) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}]", *parts, flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.size = dict(SIZES[args.size])
        for key in self.size:
            value = getattr(args, key, None)
            if value:
                self.size[key] = value
        self.app_dir = Path(args.app_dir).resolve()
        self.log_dir = Path(args.log_dir).resolve()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = f"b{secrets.token_hex(3)}"
        self.env = servers.chatapp_env(self.app_dir, args.db, args.redis_db, self.prefix)
        self.next_port = args.port_base
        self.data: dict = {}
        self.results: dict = {"scenarios": {}}

    def port(self) -> int:
        """The next free port of the bench range (18500-18599)."""
        for _ in range(100):
            port = self.next_port
            self.next_port = self.next_port + 1 if self.next_port < 18599 else 18500
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
        raise RuntimeError("no free port in 18500-18599")

    # --- setup ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        started = time.monotonic()
        servers.ensure_database(self.args.db)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=self.app_dir,
            env=self.env,
            check=True,
            timeout=300,
        )
        log(f"database {self.args.db} migrated in {time.monotonic() - started:.1f}s")
        s = self.size
        populations = {}
        wanted = set(self.args.scenarios)
        if wanted & {"fanout", "storm", "history"}:
            populations["fanout"] = {"rooms": 1, "room_size": max(s["fanout"], s["storm"])}
        if wanted & {"rooms", "rest_send"}:
            populations["rooms"] = {"rooms": s["rooms"], "room_size": s["room_size"]}
        if "idle" in wanted:
            populations["idle"] = {"rooms": max(1, s["idle"] // 10), "room_size": min(10, s["idle"])}
        spec = {"tag": secrets.token_hex(3), "populations": populations}
        if "history" in wanted:
            spec["history"] = {"population": "fanout", "messages": 200}
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, str(servers.BENCH_DIR / "seed.py")],
            cwd=self.app_dir,
            env=self.env,
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if out.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{out.stderr[-3000:]}")
        self.data = json.loads(out.stdout)
        users = sum(len(p["sockets"]) for p in self.data.values())
        log(f"seeded {users} users in {time.monotonic() - started:.1f}s")
        if "search" in wanted:
            self.data["search"] = self._load_search()

    def _load_search(self) -> dict:
        s = self.size
        spec = {"messages": s["search_messages"], "rooms": s["search_rooms"], "member_rooms": s["search_member_rooms"]}
        log(f"search: loading {spec['messages']:,} messages into {spec['rooms']} rooms (kept for later runs)")
        out = subprocess.run(
            [sys.executable, str(servers.BENCH_DIR / "search_data.py"), "load", json.dumps(spec)],
            cwd=self.app_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if out.returncode != 0:
            raise RuntimeError(f"search load failed:\n{out.stderr[-3000:]}")
        data = json.loads(out.stdout.strip().splitlines()[-1])
        how = "reused" if data["reused"] else "loaded"
        log(f"search: {data['messages']:,} messages {how} in {data['load_seconds']:.1f}s")
        return data

    def start(self, name: str) -> servers.Target:
        if name == "chatapp":
            if not self.args.keep_redis:
                servers.flush_redis_db(self.args.redis_db)
            return servers.start_chatapp(self.port(), self.env, self.app_dir, self.log_dir)
        if name == "websockets":
            return servers.start_websockets(self.port(), self.log_dir)
        if name == "tutorial":
            if not self.args.keep_redis:
                servers.flush_redis_db(self.args.tutorial_redis_db)
            return servers.start_tutorial(self.port(), self.args.tutorial_redis_db, self.prefix, self.log_dir)
        raise ValueError(name)

    def db_backend_pids(self) -> list[int]:
        import psycopg

        with psycopg.connect(f"{servers.PG_BASE}/postgres", autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
                " AND pid <> pg_backend_pid()",
                (self.args.db,),
            ).fetchall()
        return [row[0] for row in rows]

    def cpu_snapshot(self, target: servers.Target, gen: Generator | None) -> dict:
        snap = {"server": cpu_seconds(target.pid), "db": {}, "gen": 0.0}
        if target.name == "chatapp":
            for pid in self.db_backend_pids():
                try:
                    snap["db"][pid] = cpu_seconds(pid)
                except OSError:
                    pass
        if gen is not None:
            snap["gen"] = sum(cpu_seconds(pid) for pid in gen.pids())
        return snap

    @staticmethod
    def cpu_delta(before: dict, after: dict) -> dict:
        db = sum(after["db"][pid] - before["db"].get(pid, 0.0) for pid in after["db"])
        return {"server": after["server"] - before["server"], "db": db, "gen": after["gen"] - before["gen"]}

    # --- scenarios -----------------------------------------------------------------------------

    def _stepping(
        self, name: str, target_name: str, sockets: list[dict], senders: int, rates: list[float], poster_for=None
    ) -> dict:
        """`poster_for(target)`: a sender to use instead of the sockets (Generator.run's `poster`)."""
        target = self.start(target_name)
        poster = poster_for(target) if poster_for else None
        gen = Generator(target.url, sockets, self.args.procs)
        try:
            conn = gen.connect(batch=100, timeout=60)
            log(
                f"{name}/{target_name}: {conn['connected']}/{len(sockets)} connected in {conn['seconds']:.1f}s"
                f" {conn['failures'] or ''}"
            )
            quiet = gen.wait_quiet(limit=180)
            result = {"connect": conn, "settle_seconds": quiet, "steps": [], "rss_bytes": rss_bytes(target.pid)}
            # A short unrecorded warm-up, then the steps; a failing step is retried once, since other
            # work on this shared machine can spoil one step (both tries are kept in the results).
            gen.run(0, min(2.0, self.args.step_seconds), rates[0], senders, drain=self.args.drain, poster=poster)
            step = 1
            for rate in rates:
                for attempt in (1, 2):
                    row = self._step(target, gen, step, rate, senders, poster)
                    row["attempt"] = attempt
                    step += 1
                    result["steps"].append(row)
                    self._log_step(name, target_name, row)
                    if row["ok"]:
                        break
                if not row["ok"]:
                    break
            if self.args.profile and target_name == "chatapp":
                passing = [r["rate"] for r in result["steps"] if r["ok"]]
                result["profile"] = self._profile(target, gen, step, max(passing or rates[:1]), senders, name)
            passing = [r for r in result["steps"] if r["ok"]]
            best = max(passing, key=lambda r: r["deliveries_per_s"]) if passing else None
            result["sustained_deliveries_per_s"] = best["deliveries_per_s"] if best else 0.0
            result["sustained_rate"] = best["rate"] if best else 0.0
            result["sustained_sends_per_s"] = best["sends_per_s"] if best else 0.0
            result["best"] = best
            return result
        finally:
            gen.close()
            target.stop()

    def _step(self, target: servers.Target, gen: Generator, step: int, rate: float, senders: int, poster=None) -> dict:
        before = self.cpu_snapshot(target, gen)
        row = gen.run(step, self.args.step_seconds, rate, senders, drain=self.args.drain, poster=poster)
        cpu = self.cpu_delta(before, self.cpu_snapshot(target, gen))
        delivered = max(1, row["delivered"])
        row["server_cpu_s"] = cpu["server"]
        row["server_cpu_per_1k"] = cpu["server"] * 1000 / delivered
        row["db_cpu_per_1k"] = cpu["db"] * 1000 / delivered
        row["gen_cpu_s"] = cpu["gen"]
        row["rss_bytes"] = rss_bytes(target.pid)
        row["loadavg_1m"] = os.getloadavg()[0]
        row["ok"] = (
            row["lost"] == 0
            and row["duplicates"] == 0
            and row["send_failures"] == 0
            and row["p99_ms"] <= P99_LIMIT_MS
            and row["delivered"] > 0
        )
        return row

    @staticmethod
    def _log_step(name: str, target_name: str, row: dict) -> None:
        log(
            f"{name}/{target_name} {row['rate']:>6} msg/s: {row['deliveries_per_s']:>8.0f} deliveries/s"
            f" p50 {row['p50_ms']:.1f} p99 {row['p99_ms']:.1f} max {row['max_ms']:.1f} ms"
            f" lost {row['lost']} dup {row['duplicates']} cpu/1k {row['server_cpu_per_1k']:.3f}s"
            f" gen cpu {row['gen_cpu_s']:.1f}s load {row['loadavg_1m']:.1f} {'ok' if row['ok'] else 'FAIL'}"
            + (f" errors {row['errors']}" if row["errors"] else "")
        )

    def _profile(self, target: servers.Target, gen: Generator, step: int, rate: float, senders: int, name: str) -> dict:
        """One more step at `rate` with py-spy sampling the server; raw stacks go to the log dir."""
        out = self.log_dir / f"profile-{name}-{target.name}.txt"
        seconds = max(5, int(self.args.step_seconds * 2))
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(target.pid),
                "--duration",
                str(seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        row = gen.run(step, seconds - 1, rate, senders, drain=self.args.drain)
        spy.wait(60)
        log(
            f"{name}/{target.name}: profiled {seconds}s at {rate} msg/s ({row['deliveries_per_s']:.0f} deliveries/s)"
            f" -> {out}"
        )
        return {"rate": rate, "seconds": seconds, "raw": str(out), "deliveries_per_s": row["deliveries_per_s"]}

    def scenario_fanout(self, target_name: str) -> dict:
        sockets = self.data["fanout"]["sockets"][: self.size["fanout"]]
        return self._stepping("fanout", target_name, sockets, self.size["fanout_senders"], self.args.fanout_rates)

    def scenario_rooms(self, target_name: str) -> dict:
        sockets = self.data["rooms"]["sockets"]
        # Every socket sends (round-robin) so no one socket exceeds chatapp's 20 frames/s limit.
        return self._stepping("rooms", target_name, sockets, len(sockets), self.args.rooms_rates)

    def scenario_rest_send(self, target_name: str) -> dict:
        """The web client's send path: POST /rooms/<id>/messages, delivered to the rooms' sockets."""
        from bench.http_load import post_messages
        from bench.loadgen import CONTENT

        sockets = self.data["rooms"]["sockets"]

        def poster_for(target: servers.Target):
            def poster(step: int, start_at_ns: int, rate: float, duration: float) -> dict:
                # Every member posts in turn, as in `rooms`, so no one user meets a per-user limit.
                return _run_apart(
                    post_messages(
                        target.port,
                        sockets,
                        step=step,
                        start_at_ns=start_at_ns,
                        rate=rate,
                        duration=duration,
                        concurrency=self.args.http_concurrency,
                        content=CONTENT,
                    )
                )

            return poster

        result = self._stepping("rest_send", target_name, sockets, 0, self.args.rest_rates, poster_for)
        result.update(concurrency=self.args.http_concurrency, room_size=self.size["room_size"])
        return result

    def scenario_idle(self, target_name: str) -> dict:
        sockets = self.data["idle"]["sockets"][: self.size["idle"]]
        target = self.start(target_name)
        time.sleep(1.0)
        rss_before = rss_bytes(target.pid)
        gen = Generator(target.url, sockets, self.args.procs)
        try:
            conn = gen.connect(batch=200, timeout=60)
            settle = gen.wait_quiet(limit=180)
            time.sleep(1.0)
            rss_after = rss_bytes(target.pid)
            per_socket = (rss_after - rss_before) / max(1, conn["connected"])
            log(
                f"idle/{target_name}: {conn['connected']}/{len(sockets)} in {conn['seconds']:.1f}s,"
                f" RSS {rss_before / 2**20:.0f} -> {rss_after / 2**20:.0f} MiB, {per_socket / 1024:.1f} KiB/socket"
                f" {conn['failures'] or ''}"
            )
            return {
                "connect": conn,
                "settle_seconds": settle,
                "rss_before": rss_before,
                "rss_after": rss_after,
                "rss_per_socket": per_socket,
            }
        finally:
            gen.close()
            target.stop()

    def scenario_storm(self, target_name: str) -> dict:
        sockets = self.data["fanout"]["sockets"][: self.size["storm"]]
        target = self.start(target_name)
        gen = Generator(target.url, sockets, self.args.procs)
        try:
            before = self.cpu_snapshot(target, gen)
            conn = gen.connect(batch=0, timeout=30)  # all at once
            cpu = self.cpu_delta(before, self.cpu_snapshot(target, gen))
            settle = gen.wait_quiet(limit=180)
            failed = len(sockets) - conn["connected"]
            log(
                f"storm/{target_name}: {conn['connected']}/{len(sockets)} connected in {conn['seconds']:.1f}s,"
                f" {failed} failed {conn['failures'] or ''}; settled after {settle:.1f}s more"
            )
            return {"connect": conn, "failed": failed, "settle_seconds": settle, "server_cpu_s": cpu["server"]}
        finally:
            gen.close()
            target.stop()

    def scenario_history(self, target_name: str) -> dict:
        from bench.http_load import http_load

        population = self.data["fanout"]
        room_id = population["rooms"][0]
        token = population["sockets"][0]["token"]
        path = f"/api/v1/rooms/{room_id}/messages?limit=50"
        queries = subprocess.run(
            [sys.executable, str(servers.BENCH_DIR / "querycount.py"), path, token],
            cwd=self.app_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if queries.returncode != 0:
            raise RuntimeError(f"query count failed:\n{queries.stderr[-3000:]}")
        counted = json.loads(queries.stdout.strip().splitlines()[-1])  # the app logs to stdout too
        target = self.start(target_name)
        try:
            _run_apart(http_load(target.port, path, token, concurrency=self.args.http_concurrency, duration=1.0))
            before = self.cpu_snapshot(target, None)
            load = _run_apart(
                http_load(
                    target.port, path, token, concurrency=self.args.http_concurrency, duration=self.args.http_seconds
                )
            )
            cpu = self.cpu_delta(before, self.cpu_snapshot(target, None))
            load.update(counted)
            load["server_cpu_per_request_ms"] = cpu["server"] * 1000 / max(1, load["requests"])
            load["db_cpu_per_request_ms"] = cpu["db"] * 1000 / max(1, load["requests"])
            log(
                f"history/{target_name}: {load['requests_per_s']:.0f} req/s p50 {load['p50_ms']:.1f}"
                f" p99 {load['p99_ms']:.1f} ms, {load['non_200']} non-200, {counted['queries_per_request']}"
                f" queries/request, server cpu {load['server_cpu_per_request_ms']:.2f} ms/request"
            )
            # The ceilings of this server process: the cheapest Django response (no auth, no query,
            # the same middleware), then daphne with no Django at all.
            load["health"] = self._http_rate(target, "/health", token)
        finally:
            target.stop()
        bare = servers.start_asgi_hello(self.port(), self.log_dir)
        try:
            load["asgi_hello"] = self._http_rate(bare, "/", token)
        finally:
            bare.stop()
        log(
            f"history/{target_name}: ceilings: /health {load['health']['requests_per_s']:.0f} req/s,"
            f" bare ASGI app under daphne {load['asgi_hello']['requests_per_s']:.0f} req/s"
        )
        return load

    def scenario_search(self, target_name: str) -> dict:
        """Queries one at a time (concurrency 1), each timed from request to the whole response."""
        import http.client
        import urllib.parse

        from bench.search_data import queries

        data = self.data["search"]
        planned = queries(self.size["search_queries"], rooms=data["rooms"], senders=data["senders"])
        headers = {"Authorization": f"Bearer {data['token']}"}
        # A selective query must be answered from the GIN index; for a word in one message in six
        # the planner rightly walks the newest messages instead (both plans are reported).
        explained = [
            self._explain_search(q, data["user_id"])
            for q in ("kubernetes jalapeno", '"certificate failover"', "deploy")
        ]
        target = self.start(target_name)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)

            def get(item: dict) -> tuple[float, int, dict]:
                path = "/api/v1/search?" + urllib.parse.urlencode({"q": item["q"], "sort": item["sort"]})
                started = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                return elapsed, response.status, json.loads(body) if response.status == 200 else {}

            for item in planned[:10]:  # warm-up: connections, caches; not recorded
                get(item)
            rows = []
            for item in planned:
                ms, status, body = get(item)
                rows.append({**item, "ms": ms, "status": status, "results": len(body.get("data", []))})
            conn.close()
        finally:
            target.stop()
        times = sorted(row["ms"] for row in rows)
        result = {
            "queries": len(rows),
            "non_200": sum(row["status"] != 200 for row in rows),
            "with_results": sum(row["results"] > 0 for row in rows),
            "p50_ms": _percentile(times, 50),
            "p95_ms": _percentile(times, 95),
            "p99_ms": _percentile(times, 99),
            "max_ms": times[-1] if times else 0.0,
            "messages": data["messages"],
            "rooms": self.size["search_rooms"],
            "member_rooms": len(data["rooms"]),
            "explain": explained,
            "rows": rows,
        }
        for label, subset in (
            ("plain", [r for r in rows if not r["operators"]]),
            ("operators", [r for r in rows if r["operators"]]),
        ):
            ms = sorted(r["ms"] for r in subset)
            result[f"{label}_p95_ms"] = _percentile(ms, 95)
        result["ok"] = (
            result["non_200"] == 0
            and result["p95_ms"] <= SEARCH_P95_LIMIT_MS
            and result["p99_ms"] <= SEARCH_P99_LIMIT_MS
            and all(e["gin_used"] for e in explained[:2])
        )
        log(
            f"search/{target_name}: {len(rows)} queries over {data['messages']:,} messages: p50 {result['p50_ms']:.1f}"
            f" p95 {result['p95_ms']:.1f} p99 {result['p99_ms']:.1f} max {result['max_ms']:.1f} ms,"
            f" {result['non_200']} non-200, GIN index used: {[(e['q'], e['gin_used']) for e in explained]}"
            f" {'ok' if result['ok'] else 'FAIL'}"
        )
        return result

    def _explain_search(self, q: str, user_id: str) -> dict:
        out = subprocess.run(
            [sys.executable, str(servers.BENCH_DIR / "search_data.py"), "explain", q, user_id],
            cwd=self.app_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise RuntimeError(f"search explain failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def _http_rate(self, target: servers.Target, path: str, token: str) -> dict:
        from bench.http_load import http_load

        before = self.cpu_snapshot(target, None)
        load = _run_apart(
            http_load(target.port, path, token, concurrency=self.args.http_concurrency, duration=self.args.http_seconds)
        )
        load["server_cpu_per_request_ms"] = (
            self.cpu_delta(before, self.cpu_snapshot(target, None))["server"] * 1000 / max(1, load["requests"])
        )
        return load

    def run(self) -> dict:
        raise_fd_limit()
        self.results["meta"] = machine_description(self.args)
        self.prepare()
        for scenario in self.args.scenarios:
            targets = ["chatapp"] if scenario in CHATAPP_ONLY else self.args.targets
            self.results["scenarios"][scenario] = {}
            for target_name in targets:
                try:
                    result = getattr(self, f"scenario_{scenario}")(target_name)
                except Exception as error:  # one broken target must not lose the others' numbers
                    log(f"{scenario}/{target_name} FAILED: {error!r}")
                    result = {"error": repr(error)}
                self.results["scenarios"][scenario][target_name] = result
        return self.results


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


def _run_apart(coroutine):
    """`asyncio.run` in a thread of its own: the caller may already be inside an event loop (pytest)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def machine_description(args: argparse.Namespace) -> dict:
    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"
    )
    mem_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} cores, {model}",
        "memory": f"{mem_kib / 2**20:.0f} GiB",
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "command": "python -m bench.run " + " ".join(sys.argv[1:]),
        "size": args.size,
        "procs": args.procs,
        "step_seconds": args.step_seconds,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    csv = lambda value: [x for x in value.split(",") if x]  # noqa: E731
    nums = lambda value: [float(x) for x in value.split(",") if x]  # noqa: E731
    p.add_argument("--scenarios", type=csv, default=list(SCENARIOS))
    p.add_argument("--targets", type=csv, default=list(TARGETS))
    p.add_argument("--size", choices=sorted(SIZES), default=os.environ.get("BENCH_SIZE", "full"))
    for key in SIZES["full"]:
        p.add_argument(f"--{key.replace('_', '-')}", dest=key, type=int, default=None)
    p.add_argument("--fanout-rates", type=nums, default=FANOUT_RATES)
    p.add_argument("--rooms-rates", type=nums, default=ROOMS_RATES)
    p.add_argument("--rest-rates", type=nums, default=REST_RATES)
    p.add_argument("--step-seconds", type=float, default=5.0)
    p.add_argument("--drain", type=float, default=5.0, help="max seconds to wait for stragglers after a step")
    p.add_argument("--procs", type=int, default=2, help="generator worker processes")
    p.add_argument("--http-concurrency", type=int, default=16, help="HTTP clients (history, rest_send)")
    p.add_argument("--http-seconds", type=float, default=5.0)
    p.add_argument("--port-base", type=int, default=18500)
    p.add_argument("--db", default="chatapp_bench")
    p.add_argument("--redis-db", type=int, default=5, choices=[5, 7])
    p.add_argument("--tutorial-redis-db", type=int, default=6, choices=[6, 7])
    p.add_argument("--profile", action="store_true", help="py-spy the chatapp server for one extra step")
    p.add_argument("--keep-redis", action="store_true", help="do not flush the bench Redis DBs between servers")
    p.add_argument("--drop-db", action="store_true", help="drop the bench database at the end")
    p.add_argument("--app-dir", default=str(servers.REPO_DIR), help="the chatapp checkout to run")
    p.add_argument("--log-dir", default=str(servers.REPO_DIR / "var" / "bench"))
    p.add_argument("--json", default=None, help="where to write the raw results (default var/bench/)")
    p.add_argument("--write-doc", action="store_true", help="write the results into docs/benchmarks.md")
    args = p.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS) or set(args.targets) - set(TARGETS)
    if unknown:
        p.error(f"unknown scenario/target: {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    try:
        results = Bench(args).run()
    finally:
        if args.drop_db:
            servers.drop_database(args.db)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = Path(args.json) if args.json else Path(args.log_dir) / f"results-{stamp}.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1, default=str))
    print()
    print(render_summary(results))
    print(f"\nraw results: {json_path}")
    if args.write_doc:
        # Each generated section is rewritten only by a run that measured it.
        doc = servers.REPO_DIR / "docs" / "benchmarks.md"
        if set(results["scenarios"]) - {"search"}:
            write_doc(doc, render_markdown(results))
        if "search" in results["scenarios"]:
            write_doc(doc, render_search_markdown(results), SEARCH_START, SEARCH_END)
        print("written: docs/benchmarks.md")
    return results


if __name__ == "__main__":
    main()
