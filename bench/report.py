"""Turns a run's results into the ratio table (terminal and docs/benchmarks.md)."""

from __future__ import annotations

import re
from pathlib import Path

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"
SEARCH_START = "<!-- bench:search:start -->"
SEARCH_END = "<!-- bench:search:end -->"
_ROOM_IDS = re.compile(r"'\{[0-9a-f,-]{200,}\}'")


def _get(results: dict, scenario: str, target: str) -> dict | None:
    value = results["scenarios"].get(scenario, {}).get(target)
    return None if value is None or "error" in value else value


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b:
        return "–"
    return f"{a / b:.2f}×"


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value >= 100:
        return f"{value:,.0f}{unit}"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value:,}{unit}"


def summary_rows(results: dict) -> list[list[str]]:
    """[measure, chatapp, websockets, tutorial, chatapp/websockets, chatapp/tutorial, target]."""
    rows = []
    for scenario, label, target in (
        ("fanout", "fan-out: sustained deliveries/s (p99 ≤ 100 ms, no loss)", "≥ 10× tutorial, ≥ 0.30× websockets"),
        ("rooms", "many small rooms: sustained deliveries/s", "≥ 10× tutorial"),
    ):
        if scenario not in results["scenarios"]:
            continue
        values = {}
        for t in ("chatapp", "websockets", "tutorial"):
            r = _get(results, scenario, t)
            values[t] = r["sustained_deliveries_per_s"] if r else None
        rows.append(
            [
                label,
                *(_fmt(values[t]) for t in ("chatapp", "websockets", "tutorial")),
                _ratio(values["chatapp"], values["websockets"]),
                _ratio(values["chatapp"], values["tutorial"]),
                target,
            ]
        )
        cpu = {}
        for t in ("chatapp", "websockets", "tutorial"):
            r = _get(results, scenario, t)
            best = r.get("best") if r else None
            cpu[t] = best["server_cpu_per_1k"] if best else None
        rows.append(
            [
                f"{scenario}: server CPU s per 1,000 deliveries (at the best step)",
                *(_fmt(cpu[t]) for t in ("chatapp", "websockets", "tutorial")),
                _ratio(cpu["chatapp"], cpu["websockets"]),
                _ratio(cpu["chatapp"], cpu["tutorial"]),
                "",
            ]
        )
    rest = _get(results, "rest_send", "chatapp")
    if rest:
        best = rest.get("best") or {}
        ws_send = _get(results, "rooms", "chatapp")
        rows.append(
            [
                f"REST send: sustained sends/s ({rest['concurrency']} clients posting into rooms of"
                f" {rest['room_size']}; p99 ≤ 100 ms, no loss)",
                _fmt(rest["sustained_sends_per_s"]),
                "",
                "",
                "",
                "",
                "",
            ]
        )
        if ws_send and "sustained_sends_per_s" in ws_send:
            rows.append(
                [
                    "beside it, WebSocket send (many small rooms): sustained sends/s",
                    _fmt(ws_send["sustained_sends_per_s"]),
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        rows.append(
            [
                "REST send: deliveries/s, HTTP p99 ms, server CPU s per 1,000 deliveries (at the best step)",
                f"{_fmt(rest['sustained_deliveries_per_s'])}, {_fmt(best.get('http', {}).get('http_p99_ms'))},"
                f" {_fmt(best.get('server_cpu_per_1k'))}"
                if best
                else "–",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    if "idle" in results["scenarios"]:
        v = {t: (_get(results, "idle", t) or {}).get("rss_per_socket") for t in ("chatapp", "websockets", "tutorial")}
        kib = {t: (x / 1024 if x is not None else None) for t, x in v.items()}
        n = {t: (_get(results, "idle", t) or {}).get("connect", {}).get("connected") for t in v}
        rows.append(
            [
                f"idle: RSS KiB per socket ({n['chatapp']} sockets)",
                *(_fmt(kib[t]) for t in ("chatapp", "websockets", "tutorial")),
                _ratio(kib["chatapp"], kib["websockets"]),
                _ratio(kib["chatapp"], kib["tutorial"]),
                "< 40 KiB",
            ]
        )
    if "storm" in results["scenarios"]:
        r = {t: _get(results, "storm", t) for t in ("chatapp", "websockets", "tutorial")}
        n = (r["chatapp"] or {}).get("connect", {})
        rows.append(
            [
                f"reconnect storm: failed connections (of {n.get('connected', 0) + (r['chatapp'] or {}).get('failed', 0)} at once)",
                *(_fmt(x["failed"]) if x else "–" for x in r.values()),
                "",
                "",
                "0",
            ]
        )
        rows.append(
            [
                "reconnect storm: seconds until all connected",
                *(_fmt(x["connect"]["seconds"]) if x else "–" for x in r.values()),
                "",
                "",
                "",
            ]
        )
    if "history" in results["scenarios"]:
        h = _get(results, "history", "chatapp")
        if h:
            rows.append(
                [
                    f"history: requests/s (50 per page, concurrency {h['concurrency']})",
                    _fmt(h["requests_per_s"]),
                    "",
                    "",
                    "",
                    "",
                    "≥ 1,000",
                ]
            )
            rows.append(["history: p50 / p99 ms", f"{h['p50_ms']:.1f} / {h['p99_ms']:.1f}", "", "", "", "", ""])
            rows.append(["history: SQL queries per request", _fmt(h["queries_per_request"]), "", "", "", "", "≤ 4"])
            rows.append(
                ["history: server CPU ms per request", _fmt(h["server_cpu_per_request_ms"]), "", "", "", "", ""]
            )
            for key, label in (
                ("health", "ceiling: `/health` on the same server (no auth, no query), requests/s"),
                ("asgi_hello", "ceiling: daphne serving a bare ASGI app (no Django), requests/s"),
            ):
                if key in h:
                    ceiling = h[key]
                    rows.append(
                        [
                            label,
                            f"{_fmt(ceiling['requests_per_s'])} ({ceiling['server_cpu_per_request_ms']:.2f} ms CPU each)",
                            "",
                            "",
                            "",
                            "",
                            "",
                        ]
                    )
    search = _get(results, "search", "chatapp")
    if search:
        rows.append(
            [
                f"search: p95 / p99 ms ({search['queries']} queries over {search['messages']:,} messages, one at a time)",
                f"{search['p95_ms']:.1f} / {search['p99_ms']:.1f}",
                "",
                "",
                "",
                "",
                "≤ 100 / ≤ 250",
            ]
        )
    return rows


HEADER = ["measure", "chatapp", "websockets", "tutorial", "chatapp / websockets", "chatapp / tutorial", "target"]


def render_summary(results: dict) -> str:
    rows = [HEADER, *summary_rows(results)]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(HEADER))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(results: dict) -> str:
    meta = results["meta"]
    parts = [
        f"Run {meta['date']} on {meta['cpu']}, {meta['memory']}, Python {meta['python']}, Linux {meta['kernel']};"
        f" load average before the run {meta['load_before']}. Generator: {meta['procs']} worker processes on the"
        f" same machine; {meta['step_seconds']:g} s per rate step.",
        "",
        f"Command: `{meta['command']}`",
        "",
        _md_table(HEADER, summary_rows(results)),
    ]
    for scenario in ("fanout", "rooms", "rest_send"):
        by_target = results["scenarios"].get(scenario)
        if not by_target:
            continue
        parts += ["", f"### {scenario}: every rate step", ""]
        rows = []
        for target, r in by_target.items():
            if "error" in r:
                rows.append([target, "error", r["error"][:80], "", "", "", "", "", "", ""])
                continue
            for s in r["steps"]:
                rows.append(
                    [
                        target,
                        _fmt(s["rate"]),
                        _fmt(s["deliveries_per_s"]),
                        f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} / {s['max_ms']:.0f}",
                        str(s["lost"]),
                        str(s["duplicates"]),
                        f"{s['server_cpu_per_1k']:.3f}",
                        f"{s['db_cpu_per_1k']:.3f}",
                        f"{s['gen_cpu_s']:.1f}",
                        "ok" if s["ok"] else "**fail**",
                    ]
                )
        parts.append(
            _md_table(
                [
                    "target",
                    "msg/s",
                    "deliveries/s",
                    "p50 / p99 / max ms",
                    "lost",
                    "dup",
                    "server CPU s/1k",
                    "PostgreSQL CPU s/1k",
                    "generator CPU s",
                    "",
                ],
                rows,
            )
        )
        connects = [
            f"{t}: {r['connect']['connected']} sockets in {r['connect']['seconds']:.1f} s (batches of 100),"
            f" quiet after {r['settle_seconds']:.1f} s more"
            for t, r in by_target.items()
            if "error" not in r
        ]
        parts += ["", "Connecting: " + "; ".join(connects) + "."]
    return "\n".join(parts) + "\n"


def render_search_markdown(results: dict) -> str:
    """The search scenario's section: latency, by kind of query, the slowest, and a query plan."""
    meta, r = results["meta"], results["scenarios"]["search"]["chatapp"]
    parts = [
        f"Run {meta['date']} on {meta['cpu']}, {meta['memory']}, Python {meta['python']};"
        f" load average before the run {meta['load_before']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
    ]
    if "error" in r:
        return "\n".join([*parts, f"The scenario failed: `{r['error'][:300]}`"]) + "\n"
    gin = ", ".join(f"`{e['q']}`: {'yes' if e['gin_used'] else 'no'}" for e in r["explain"])
    parts.append(
        _md_table(
            ["measure", "value", "target"],
            [
                [
                    "messages / rooms / rooms the searcher is in",
                    f"{r['messages']:,} / {r['rooms']:,} / {r['member_rooms']}",
                    "",
                ],
                ["queries (one at a time, HTTP keep-alive, after 10 unrecorded)", str(r["queries"]), ""],
                [
                    "p50 / p95 / p99 / max ms",
                    f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} / {r['p99_ms']:.1f} / {r['max_ms']:.1f}",
                    "p95 ≤ 100, p99 ≤ 250",
                ],
                [
                    "p95 ms: free text only / with operators",
                    f"{r['plain_p95_ms']:.1f} / {r['operators_p95_ms']:.1f}",
                    "",
                ],
                ["queries with results / non-200 answers", f"{r['with_results']} / {r['non_200']}", "– / 0"],
                ["EXPLAIN reads the GIN index (message_search_idx)", gin, "yes for the first two"],
                ["verdict", "ok" if r["ok"] else "**fail**", ""],
            ],
        )
    )
    kinds: dict[str, list[float]] = {}
    for row in r["rows"]:
        kinds.setdefault(row["kind"], []).append(row["ms"])
    kind_rows = []
    for kind, times in kinds.items():
        times.sort()
        example = next(row["q"] for row in r["rows"] if row["kind"] == kind)
        kind_rows.append([kind, f"`{example}`", str(len(times)), f"{times[len(times) // 2]:.1f}", f"{times[-1]:.1f}"])
    parts += [
        "",
        "By kind of query (median and slowest):",
        "",
        _md_table(["kind", "example", "n", "median ms", "max ms"], kind_rows),
    ]
    slowest = sorted(r["rows"], key=lambda row: row["ms"], reverse=True)[:5]
    parts += [
        "",
        "Slowest queries: " + "; ".join(f"`{row['q']}` ({row['sort']}) {row['ms']:.1f} ms" for row in slowest) + ".",
    ]
    for explained in (r["explain"][0], r["explain"][-1]):
        parts += [
            "",
            f"The plan of `{explained['q']}` (EXPLAIN ANALYZE of the query search.selectors sends):",
            "",
            "```",
        ]
        parts += [_ROOM_IDS.sub("'{...the searcher's room ids...}'", line) for line in explained["plan"]]
        parts += ["```"]
    return "\n".join(parts) + "\n"


def write_doc(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Replaces a generated section of docs/benchmarks.md, keeping the hand-written text around it."""
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{start}\n{section}{end}{tail}")
