"""A minimal HTTP/1.1 keep-alive load client (asyncio streams), for the REST history scenario."""

from __future__ import annotations

import asyncio
import time


async def _client(port: int, request: bytes, stop_at: float, latencies: list[float], statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            writer.write(request)
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
            latencies.append((time.perf_counter() - started) * 1000)
            status = int(status_line.split()[1]) if status_line else 0
            statuses[status] = statuses.get(status, 0) + 1
            if close or not status_line:
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
