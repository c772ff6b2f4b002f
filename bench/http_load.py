"""A minimal HTTP/1.1 keep-alive load client (asyncio streams), for the REST history and send scenarios."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one response; returns its status (0: connection closed) and whether the server closes."""
    status_line = await reader.readline()
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    await reader.readexactly(length)
    return (int(status_line.split()[1]) if status_line else 0), close or not status_line


async def _client(port: int, request: bytes, stop_at: float, latencies: list[float], statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            status, close = await _read_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def http_load(port: int, path: str, token: str, *, concurrency: int, duration: float) -> dict:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Connection: keep-alive\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.monotonic()
    stop_at = started + duration
    await asyncio.wait_for(
        asyncio.gather(*(_client(port, request, stop_at, latencies, statuses) for _ in range(concurrency))),
        duration + 30,
    )
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else float("nan")

    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "non_200": sum(n for status, n in statuses.items() if status != 200),
        "statuses": {str(k): v for k, v in statuses.items()},
    }


async def post_messages(
    port: int,
    senders: list[dict],
    *,
    step: int,
    start_at_ns: int,
    rate: float,
    duration: float,
    concurrency: int,
    content: str,
) -> dict:
    """The web client's send: `rate` posts/s in total for `duration` s over `concurrency` keep-alive
    connections; post k is due at start + k/rate and is made by member `senders[k % len(senders)]`
    (a token and the room it belongs to) into that room.

    Each post's `client_msg_id` carries the time it was due (CLOCK_MONOTONIC ns, as the WebSocket
    generator's ids do), so a delivery's latency includes any wait behind this client's earlier
    posts: a server that cannot keep up fails the p99, it does not just lower the rate.
    """
    total = int(duration * rate) if rate > 0 else 0
    interval_ns = int(1e9 / rate) if rate > 0 else 0
    sent: Counter = Counter()
    statuses: Counter = Counter()
    latencies: list[float] = []

    async def client(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for k in range(index, total, concurrency):
                due = start_at_ns + k * interval_ns
                wait = (due - time.monotonic_ns()) / 1e9
                if wait > 0:
                    await asyncio.sleep(wait)
                started = time.perf_counter()
                sender = senders[k % len(senders)]
                body = json.dumps({"content": content, "client_msg_id": f"{step}.{due}.r.{k}"}).encode()
                writer.write(
                    (
                        f"POST /api/v1/rooms/{sender['room_id']}/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        f"Authorization: Bearer {sender['token']}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
                    ).encode()
                    + body
                )
                status, close = await _read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] += 1
                if status == 201:
                    sent[sender["room_id"]] += 1
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(concurrency))), duration + 60)
    latencies.sort()
    return {
        "sent": dict(sent),
        "failures": sum(n for status, n in statuses.items() if status != 201),
        "statuses": {str(k): v for k, v in statuses.items()},
        "http_p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0,
    }
