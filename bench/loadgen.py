"""The load generator: worker processes that hold WebSocket connections, send and record deliveries.

Each worker is a process with its own event loop and a slice of the sockets; the parent drives the
workers through a pipe, one command at a time (connect, quiet, run, close). Send times travel inside
`client_msg_id` as CLOCK_MONOTONIC nanoseconds, which every process on the machine shares, so any
worker can time any delivery. Frames are not JSON-parsed on receipt (that alone would saturate a
generator core at 40,000 deliveries/s): the event type and `client_msg_id` are found by a regex.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import re
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets

_ID_RE = re.compile(r'"client_msg_id": ?"([^"]+)"')
_CONNECTED_MARK = "Connected to chat server"
CONTENT = "benchmark message " + "x" * 80  # ~100 characters, a typical chat line


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Sock:
    token: str
    room_id: str
    ws: object = None
    reader: asyncio.Task | None = None
    seen: set = field(default_factory=set)
    tried: int = -1  # the last connect round that attempted this socket


class Worker:
    def __init__(self, url: str, sockets: list[dict], index: int) -> None:
        self.url = url
        self.index = index
        self.socks = [Sock(token=s["token"], room_id=s["room_id"]) for s in sockets]
        self.step = -1
        self.latencies: list[int] = []
        self.unique = 0
        self.duplicates = 0
        self.other_frames = 0
        self.error_frames: Counter = Counter()
        self.last_frame_at = time.monotonic()
        self.frames_total = 0
        self.closed_unexpectedly = 0

    # --- connecting ----------------------------------------------------------------------------

    async def _open(self, sock: Sock, open_timeout: float) -> str | None:
        from websockets.asyncio.client import connect

        headers = {"Authorization": f"Bearer {sock.token}", "X-Bench-Rooms": sock.room_id}
        try:
            ws = await connect(
                self.url,
                additional_headers=headers,
                compression=None,
                open_timeout=open_timeout,
                ping_interval=None,
                close_timeout=2,
                max_queue=256,
            )
        except Exception as error:  # every failure is counted by kind, none is fatal
            status = getattr(getattr(error, "response", None), "status_code", None)
            return f"HTTP {status}" if status else type(error).__name__
        try:
            deadline = time.monotonic() + open_timeout
            while True:
                text = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
                if _CONNECTED_MARK in text:
                    break
                if '"error"' in text[:24]:
                    await ws.close()
                    return "auth error"
        except Exception as error:
            await ws.close()
            return f"not ready: {type(error).__name__}"
        sock.ws = ws
        sock.reader = asyncio.ensure_future(self._read(sock))
        return None

    async def connect(self, batch: int, open_timeout: float, limit: int | None = None, round_: int = 0) -> dict:
        started = time.monotonic()
        pending = [s for s in self.socks if s.ws is None and s.tried < round_][:limit]
        for s in pending:
            s.tried = round_
        size = batch or len(pending) or 1
        failures: Counter = Counter()
        for i in range(0, len(pending), size):
            results = await asyncio.gather(*(self._open(s, open_timeout) for s in pending[i : i + size]))
            failures.update(r for r in results if r is not None)
        connected = [s.room_id for s in self.socks if s.ws is not None]
        return {
            "total": len(self.socks),
            "attempted": len(pending),
            "seconds": time.monotonic() - started,
            "connected": len(connected),
            "failures": dict(failures),
            "rooms": dict(Counter(connected)),
        }

    # --- receiving -----------------------------------------------------------------------------

    async def _read(self, sock: Sock) -> None:
        now_ns = time.monotonic_ns
        try:
            async for text in sock.ws:
                self.frames_total += 1
                if "new_message" not in text[:28]:
                    self.other_frames += 1
                    if '"error"' in text[:24]:
                        self.error_frames[text[:120]] += 1
                    continue
                match = _ID_RE.search(text)
                if match is None:
                    self.other_frames += 1
                    continue
                msg_id = match.group(1)
                step, _, rest = msg_id.partition(".")
                if step != str(self.step):
                    self.other_frames += 1  # a straggler from an earlier step
                    continue
                sent_ns = int(rest.partition(".")[0])
                if msg_id in sock.seen:
                    self.duplicates += 1
                    continue
                sock.seen.add(msg_id)
                self.unique += 1
                self.latencies.append(now_ns() - sent_ns)
                self.last_frame_at = time.monotonic()
        except (websockets.WebSocketException, OSError):
            # The connection ended; unless we were closing it, that is counted just below.
            self.connection_errors = getattr(self, "connection_errors", 0) + 1
        if not getattr(self, "closing", False):
            self.closed_unexpectedly += 1

    async def quiet(self) -> dict:
        return {"idle_seconds": time.monotonic() - self.last_frame_at, "frames": self.frames_total}

    # --- sending -------------------------------------------------------------------------------

    async def run(self, step: int, start_at_ns: int, duration: float, rate: float, senders: int, drain: float) -> dict:
        self.step = step
        self.latencies, self.unique, self.duplicates = [], 0, 0
        self.other_frames, self.error_frames = 0, Counter()
        for s in self.socks:
            s.seen = set()
        live = [s for s in self.socks if s.ws is not None]
        sending = live[:senders]
        sent: Counter = Counter()
        lags: list[float] = []
        send_failures = 0
        total = int(duration * rate) if sending and rate > 0 else 0
        interval_ns = int(1e9 / rate) if rate > 0 else 0
        await asyncio.sleep(max(0, (start_at_ns - time.monotonic_ns()) / 1e9))
        for k in range(total):
            target = start_at_ns + k * interval_ns
            now = time.monotonic_ns()
            if target > now:
                await asyncio.sleep((target - now) / 1e9)
                now = time.monotonic_ns()
            lags.append((now - target) / 1e6)
            sock = sending[k % len(sending)]
            frame = {
                "type": "send_message",
                "payload": {
                    "room_id": sock.room_id,
                    "content": CONTENT,
                    "type": "text",
                    "client_msg_id": f"{step}.{now}.{self.index}.{k}",
                },
            }
            try:
                await sock.ws.send(json.dumps(frame, separators=(",", ":")))
                sent[sock.room_id] += 1
            except (websockets.WebSocketException, OSError):
                send_failures += 1
        # Listen to the end of the step even when others send (the REST send scenario posts over HTTP).
        await asyncio.sleep(max(0, (start_at_ns + int(duration * 1e9) - time.monotonic_ns()) / 1e9))
        # Drain: wait until deliveries stop arriving (or the drain limit).
        deadline = time.monotonic() + drain
        self.last_frame_at = time.monotonic()
        # Waiting for silence, which no event can signal; an Event set per frame would also cost the
        # reader's hot path that the latencies are measured on.
        while time.monotonic() < deadline and time.monotonic() - self.last_frame_at < 0.5:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        lags.sort()
        return {
            "sent": dict(sent),
            "send_failures": send_failures,
            "send_lag_p99_ms": lags[int(len(lags) * 0.99)] if lags else 0.0,
            "latencies_ns": self.latencies,
            "unique": self.unique,
            "duplicates": self.duplicates,
            "other_frames": self.other_frames,
            "errors": dict(self.error_frames.most_common(5)),
            "closed_unexpectedly": self.closed_unexpectedly,
        }

    async def close(self) -> dict:
        self.closing = True
        await asyncio.gather(*(s.ws.close() for s in self.socks if s.ws is not None), return_exceptions=True)
        for s in self.socks:
            if s.reader is not None:
                s.reader.cancel()
            s.ws = None
        return {"closed": True}


def _worker_main(conn, url: str, sockets: list[dict], index: int) -> None:
    raise_fd_limit()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def serve() -> None:
        worker = Worker(url, sockets, index)
        loop = asyncio.get_running_loop()
        while True:
            command, kwargs = await loop.run_in_executor(None, conn.recv)
            if command == "exit":
                conn.send({})
                return
            conn.send(await getattr(worker, command)(**kwargs))

    asyncio.run(serve())


class Generator:
    """The parent's handle on the worker processes; every call is bounded by `timeout`."""

    def __init__(self, url: str, sockets: list[dict], procs: int) -> None:
        ctx = mp.get_context("fork")
        self.procs = []
        self.conns = []
        procs = max(1, min(procs, len(sockets) or 1))
        for i in range(procs):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(child, url, sockets[i::procs], i), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.conns.append(parent)
        self.rooms_connected: Counter = Counter()

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def _all(self, command: str, wait: float, per_worker: list[dict] | None = None, **kwargs) -> list[dict]:
        for i, conn in enumerate(self.conns):
            conn.send((command, per_worker[i] if per_worker else kwargs))
        return self._answers(command, wait)

    def _answers(self, command: str, wait: float) -> list[dict]:
        results = []
        for conn in self.conns:
            if not conn.poll(wait):
                raise TimeoutError(f"generator worker did not answer {command!r} within {wait:.0f}s")
            results.append(conn.recv())
        return results

    def connect(self, batch: int, timeout: float = 60.0, settle_batches: bool = False, retries: int = 0) -> dict:
        """Opens every socket not yet open: in batches of `batch` (0: all at once).

        With `settle_batches`, each batch waits until the server's announcements of the previous one
        (presence) have stopped arriving; `retries` re-opens failed sockets that many more rounds.
        """
        started = time.monotonic()
        procs = len(self.conns)
        failures: Counter = Counter()
        first_round: dict = {}
        for round_ in range(retries + 1):
            if settle_batches and batch:
                per_worker = max(1, batch // procs)
                while True:
                    results = self._all(
                        "connect",
                        timeout * 2 + 60,
                        batch=per_worker,
                        open_timeout=timeout,
                        limit=per_worker,
                        round_=round_,
                    )
                    for r in results:
                        failures.update(r["failures"])
                    if not any(r["attempted"] for r in results):
                        break
                    self.wait_quiet(quiet_for=0.5, limit=120)
            else:
                results = self._all("connect", timeout * 4 + 60, batch=batch, open_timeout=timeout, round_=round_)
                for r in results:
                    failures.update(r["failures"])
            if round_ == 0:
                first_round = dict(failures)
            if all(r["connected"] == r["total"] for r in results):
                break
        self.rooms_connected = Counter()
        for r in results:
            self.rooms_connected.update(r["rooms"])
        return {
            "seconds": time.monotonic() - started,
            "connected": sum(r["connected"] for r in results),
            "failures": dict(failures),
            "first_round_failures": first_round,
        }

    def wait_quiet(self, quiet_for: float = 1.0, limit: float = 120.0) -> float:
        """Waits until no frame arrived for `quiet_for` seconds (presence announcements after a connect)."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if all(r["idle_seconds"] >= quiet_for for r in self._all("quiet", 30)):
                break
            time.sleep(0.25)
        return time.monotonic() - started

    def run(
        self,
        step: int,
        duration: float,
        rate: float,
        senders: int,
        drain: float = 5.0,
        poster: Callable[[int, int, float, float], dict] | None = None,
    ) -> dict:
        """Sends `rate` messages/s in total for `duration` s from `senders` sockets; returns the step's numbers.

        With `poster`, the sockets only listen: `poster(step, start_at_ns, rate, duration)` sends
        instead (over REST) and returns {"sent": {room_id: count}, "failures": n, ...}.
        """
        if poster is not None:
            senders = 0
        procs = len(self.conns)
        share = [senders // procs + (1 if i < senders % procs else 0) for i in range(procs)]
        start_at = time.monotonic_ns() + 200_000_000
        per_worker = [
            {
                "step": step,
                "start_at_ns": start_at,
                "duration": duration,
                "rate": rate * share[i] / max(1, senders),
                "senders": share[i],
                "drain": drain,
            }
            for i in range(procs)
        ]
        for conn, kwargs in zip(self.conns, per_worker, strict=True):
            conn.send(("run", kwargs))
        posted = poster(step, start_at, rate, duration) if poster is not None else {"sent": {}, "failures": 0}
        results = self._answers("run", duration + drain + 60)
        sent: Counter = Counter(posted["sent"])
        latencies: list[int] = []
        for r in results:
            sent.update(r["sent"])
            latencies.extend(r["latencies_ns"])
        expected = sum(count * self.rooms_connected[room] for room, count in sent.items())
        unique = sum(r["unique"] for r in results)
        latencies.sort()

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(len(latencies) * p))] / 1e6 if latencies else float("nan")

        errors: Counter = Counter()
        for r in results:
            errors.update(r["errors"])
        return {
            "rate": rate,
            "duration": duration,
            "messages_sent": sum(sent.values()),
            "expected": expected,
            "delivered": unique,
            "lost": max(0, expected - unique),
            "duplicates": sum(r["duplicates"] for r in results),
            "deliveries_per_s": unique / duration,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": latencies[-1] / 1e6 if latencies else float("nan"),
            "send_failures": sum(r["send_failures"] for r in results) + posted["failures"],
            "send_lag_p99_ms": max(r["send_lag_p99_ms"] for r in results),
            "errors": dict(errors),
            "closed_unexpectedly": sum(r["closed_unexpectedly"] for r in results),
            "sends_per_s": sum(sent.values()) / duration,
            **({"http": {k: v for k, v in posted.items() if k != "sent"}} if poster is not None else {}),
        }

    def close(self) -> None:
        try:
            self._all("close", 60)
            self._all("exit", 10)
        except (TimeoutError, OSError, EOFError):
            pass
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
