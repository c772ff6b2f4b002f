"""Hypothesis-generated WebSocket frames against a real `manage.py serve` process.

Random JSON, wrong types, unknown events, huge strings, deep nesting and binary frames go to
WS_FUZZ_SOCKETS authenticated sockets in parallel (1,000 frames in `make test`, 10,000 in
`make fuzz`), plus a share to sockets that never authenticated. After every frame the client
sends a marker frame whose answer is unique (a `send_message` without a room, whose error echoes
the marker's `client_msg_id`) and reads up to it (a socket handles its frames in order), so it
knows what answered that frame:

- a frame the protocol cannot read must get its `error` ("Invalid message format", "Unknown event
  type", "Binary frames are not supported") on a socket that stays open;
- a frame over 64 KiB must get close code 1009; an unauthenticated socket error + 4401;
- a well-formed known event may get anything (an error naming the problem, an echo) but must not
  close the socket; "Slow down" counts as an answer.

Afterwards the server log has no traceback and no ERROR line, and two fresh sockets still chat.
"""

import asyncio
import json
import os
import signal
import subprocess
import time

import pytest
import websockets
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from realtime.tests.live_servers import register, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WS_FUZZ_FRAMES = int(os.environ.get("WS_FUZZ_FRAMES", "1000"))
WS_FUZZ_SOCKETS = int(os.environ.get("WS_FUZZ_SOCKETS", "20"))
MAX_FRAME_BYTES = 64 * 1024
# Below the server's 20 frames/s per socket (fuzz frame + marker each count).
SEND_INTERVAL = 1 / 15
KNOWN_EVENTS = ["auth", "join_room", "leave_room", "send_message", "typing", "stop_typing", "ping", "resume"]
PAYLOAD_FIELDS = [
    "room_id",
    "content",
    "type",
    "reply_to_id",
    "file_url",
    "file_name",
    "file_size",
    "client_msg_id",
    "rooms",
    "token",
]
ROOM = "$ROOM"  # replaced by a real room id when sent

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.just(ROOM)
    | st.uuids().map(str)
)
json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
payload = st.dictionaries(st.sampled_from(PAYLOAD_FIELDS) | st.text(max_size=8), json_value, max_size=6)
event_type = st.sampled_from(KNOWN_EVENTS) | st.text(max_size=20) | json_value
structured = st.builds(lambda t, p: json.dumps({"type": t, "payload": p}), event_type, payload | json_value)
huge = st.integers(min_value=1_000, max_value=80_000).map(
    lambda n: json.dumps({"type": "send_message", "payload": {"room_id": ROOM, "content": "x" * n, "type": "text"}})
)
deep = st.integers(min_value=1, max_value=40_000).map(lambda depth: "[" * depth + "]" * depth)
deep_object = st.integers(min_value=1, max_value=20_000).map(
    lambda depth: '{"type": "ping", "payload": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
)
frame = st.one_of(
    structured,
    structured,
    json_value.map(json.dumps),
    st.text(max_size=200),
    huge,
    deep,
    deep_object,
    st.binary(max_size=200),
)


def expected_answer(raw: str | bytes) -> str:
    """What the protocol promises for this frame: 'close:1009', 'error:<text>' or 'any'."""
    if isinstance(raw, bytes):
        return "close:1009" if len(raw) > MAX_FRAME_BYTES else "error:Binary frames are not supported"
    if len(raw.encode()) > MAX_FRAME_BYTES:
        return "close:1009"
    try:
        decoded = json.loads(raw)
    except RecursionError:
        # Too deep for this process; the server's stack depth differs, so it may decode it.
        return "deep"
    except ValueError:
        return "error:Invalid message format"
    if not isinstance(decoded, dict) or not isinstance(decoded.get("type"), str):
        return "error:Invalid message format"
    if decoded.get("payload") is not None and not isinstance(decoded["payload"], dict):
        return "error:Invalid message format"
    if decoded["type"] not in KNOWN_EVENTS:
        return "error:Unknown event type"
    return "any"


class FuzzSocket:
    def __init__(self, server, token: str) -> None:
        self.server, self.token, self.socket, self.last_send, self.markers = server, token, None, 0.0, 0

    async def open(self) -> None:
        self.socket = await websockets.connect(
            self.server.ws, additional_headers={"Authorization": f"Bearer {self.token}"}, max_size=None
        )
        greeting = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        assert greeting["type"] == "user_online", greeting

    async def paced_send(self, data: str | bytes) -> None:
        wait = self.last_send + SEND_INTERVAL - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.last_send = time.monotonic()
        await self.socket.send(data)

    async def exchange(self, raw: str | bytes) -> str:
        """Sends one fuzz frame and a marker; returns what answered: 'error:<text>', 'close:<code>', 'ok'."""
        if self.socket is None:
            await self.open()
        errors = []
        self.markers += 1
        marker = f"marker-{id(self)}-{self.markers}"
        try:
            await self.paced_send(raw)
            await self.paced_send(json.dumps({"type": "send_message", "payload": {"client_msg_id": marker}}))
            deadline = time.monotonic() + 10
            while True:
                event = json.loads(await asyncio.wait_for(self.socket.recv(), max(0.1, deadline - time.monotonic())))
                if event["type"] != "error":
                    continue
                if event["payload"].get("client_msg_id") == marker:
                    break
                errors.append(event["payload"]["error"])
        except websockets.ConnectionClosed as closed:
            self.socket = None
            return f"close:{closed.rcvd.code if closed.rcvd else 'none'}"
        except TimeoutError:
            return "error:Slow down" if "Slow down" in errors else "timeout"
        if "Slow down" in errors:
            return "error:Slow down"
        return f"error:{errors[0]}" if errors else "ok"


async def unauthenticated_exchange(server, raw: str | bytes) -> str:
    """A socket that never authenticated: anything but `auth` gets an error, then 4401."""
    async with websockets.connect(server.ws, max_size=None) as socket:
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "auth_required"
        await socket.send(raw)
        answers = []
        try:
            while len(answers) < 3 and not (isinstance(raw, bytes) and answers):
                answers.append(json.loads(await asyncio.wait_for(socket.recv(), 5))["type"])
        except websockets.ConnectionClosed as closed:
            return f"close:{closed.rcvd.code if closed.rcvd else 'none'}:{','.join(answers)}"
        except TimeoutError:
            pass
        return ",".join(answers) or "timeout"


def judge(raw: str | bytes, answer: str) -> str | None:
    """None when the answer keeps the protocol's promise for this frame, else what went wrong."""
    expected = expected_answer(raw)
    if answer == "error:Slow down":
        return None
    if expected in ("any", "deep"):
        return None if answer == "ok" or answer.startswith("error:") else f"expected an answer, got {answer}"
    return None if answer == expected else f"expected {expected}, got {answer}"


def test_fuzzed_frames_are_all_answered_and_the_server_keeps_serving(tmp_path):
    server = start_server(tmp_path, PYTHONFAULTHANDLER="1")
    loop = asyncio.new_event_loop()
    try:
        token = register(server, "fuzzer")
        status, room = server.post("/api/v1/rooms", {"name": "Fuzz", "type": "public"}, token)
        assert status == 201, room
        sockets = [FuzzSocket(server, token) for _ in range(WS_FUZZ_SOCKETS)]
        tally = {"frames": 0, "unauthenticated": 0}
        answers: dict[str, int] = {}
        problems: list[str] = []

        def concrete(raw: str | bytes) -> str | bytes:
            return raw.replace(ROOM, room["id"]) if isinstance(raw, str) else raw

        async def run_batch(frames: list[str | bytes], stranger: str | bytes) -> None:
            stranger = concrete(stranger)
            results = await asyncio.gather(
                *(s.exchange(concrete(f)) for s, f in zip(sockets, frames, strict=False)),
                unauthenticated_exchange(server, stranger),
            )
            stranger_answer = results.pop()
            for raw, answer in zip(frames, results, strict=False):
                tally["frames"] += 1
                key = answer if answer.startswith("close") or answer in ("ok", "timeout") else "error"
                answers[key] = answers.get(key, 0) + 1
                if problem := judge(concrete(raw), answer):
                    problems.append(f"{problem}: {concrete(raw)[:200]!r}")
            tally["unauthenticated"] += 1
            expected = expected_answer(stranger)
            ok = expected == "deep" or (
                stranger_answer.startswith("close:1009")
                if expected == "close:1009"
                else stranger_answer == "error"  # binary: answered, the socket stays until the auth deadline
                if isinstance(stranger, bytes)
                else stranger_answer == "close:4401:error"
            )
            if not ok:
                problems.append(f"unauthenticated socket answered {stranger_answer}: {stranger[:200]!r}")

        @settings(
            max_examples=-(-WS_FUZZ_FRAMES // WS_FUZZ_SOCKETS),
            deadline=None,
            phases=[Phase.generate],
            database=None,
            derandomize=os.environ.get("FUZZ_RANDOM") != "1",
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(frame, min_size=WS_FUZZ_SOCKETS, max_size=WS_FUZZ_SOCKETS), frame)
        def fuzz(frames, stranger) -> None:
            loop.run_until_complete(run_batch(frames, stranger))

        for _ in range(3):  # hypothesis may stop short of max_examples; top up, boundedly
            if tally["frames"] >= WS_FUZZ_FRAMES:
                break
            fuzz()

        async def still_serving() -> None:
            alice, bob = register(server, "alice"), register(server, "bob")
            server.post(f"/api/v1/rooms/{room['id']}/join", {}, alice)
            server.post(f"/api/v1/rooms/{room['id']}/join", {}, bob)
            sender, receiver = FuzzSocket(server, alice), FuzzSocket(server, bob)
            await sender.open()
            await receiver.open()
            await sender.socket.send(
                json.dumps({"type": "send_message", "payload": {"room_id": room["id"], "content": "still here"}})
            )
            while True:
                event = json.loads(await asyncio.wait_for(receiver.socket.recv(), 10))
                if event["type"] == "new_message" and event["payload"]["content"] == "still here":
                    break
            await sender.socket.close()
            await receiver.socket.close()

        loop.run_until_complete(still_serving())
        for socket in sockets:
            if socket.socket is not None:
                loop.run_until_complete(socket.socket.close())
        print(f"ws fuzz: {tally} answers={answers}")
        if report := os.environ.get("FUZZ_WS_REPORT"):
            with open(report, "w") as out:
                json.dump({**tally, "answers": answers, "problems": problems}, out, indent=1)
        assert not problems, "\n".join(problems[:20])
        assert tally["frames"] >= WS_FUZZ_FRAMES
        log = server.log()
        assert "Traceback" not in log, log[-5000:]
        assert '"level": "ERROR"' not in log, [line for line in log.splitlines() if '"ERROR"' in line][:5]
    finally:
        loop.close()
        try:
            exit_code = server.terminate()
        except subprocess.TimeoutExpired:
            server.process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: every thread's stack
            time.sleep(1)
            server.kill()
            raise AssertionError(f"the server ignored SIGTERM after the fuzzing:\n{server.log()[-8000:]}") from None
    assert exit_code == 0, server.log()[-3000:]
