"""A hostile `resume` against a real `serve` process: bounded output, and nobody else waits."""

import asyncio
import json
import logging
import time
import uuid
from datetime import timedelta

import pytest
import websockets
from channels.db import database_sync_to_async
from django.utils import timezone

from messaging.models import Message
from realtime.selectors import RESUME_MAX_EVENTS
from realtime.tests.live_servers import register
from realtime.tests.test_live_servers import next_event, open_socket

logger = logging.getLogger(__name__)
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def spellings(room_id: str, count: int) -> list[str]:
    """`count` different strings that `uuid.UUID` reads as `room_id` (upper/lower case per letter,
    a hyphen anywhere, braces, `urn:uuid:`): enough for any id, however few letters it has."""
    plain = uuid.UUID(room_id).hex
    letters = [i for i, char in enumerate(plain) if char.isalpha()]
    found = []
    for variant in range(1 << len(letters)):
        chars = list(plain)
        for bit, index in enumerate(letters):
            if variant >> bit & 1:
                chars[index] = chars[index].upper()
        for cut in range(len(chars) + 1):
            spelled = "".join(chars[:cut]) + "-" + "".join(chars[cut:])
            found += [spelled, "{" + spelled + "}", "urn:uuid:" + spelled]
        if len(found) >= count:
            return found[:count]
    raise AssertionError("not enough letters in this id")


@database_sync_to_async
def history(room_id: str, sender_id: str, *, old: int, new: int) -> str:
    """`old` messages the client has (all since deleted), its newest, then `new` it missed."""
    start = timezone.now()
    stored = Message.objects.bulk_create(
        Message(room_id=room_id, sender_id=sender_id, content=f"m{i}", created_at=start + timedelta(milliseconds=i))
        for i in range(old + 1 + new)
    )
    Message.objects.filter(pk__in=[m.pk for m in stored[:old]]).update(
        is_deleted=True, updated_at=start + timedelta(seconds=10), changed_at=start + timedelta(seconds=10)
    )
    return str(stored[old].id)


async def test_a_resume_naming_one_room_600_times_sends_at_most_the_cap_and_others_hear_on(servers):  # noqa: F811
    server = servers()
    attacker, alice, bob = register(server, "mallory"), register(server, "alice"), register(server, "bob")
    _, room = server.post("/api/v1/rooms", {"name": "Big", "type": "public"}, alice)
    assert server.post(f"/api/v1/rooms/{room['id']}/join", {}, attacker)[0] == 200
    _, other_room = server.post("/api/v1/rooms", {"name": "Elsewhere", "type": "public"}, alice)
    assert server.post(f"/api/v1/rooms/{other_room['id']}/join", {}, bob)[0] == 200
    _, me = server.post("/api/v1/auth/login", {"username": "alice", "password": "secret123"})
    last_seen = await history(room["id"], me["user"]["id"], old=300, new=400)

    hostile = await open_socket(server, attacker)
    listener = await open_socket(server, bob)
    frame = json.dumps({"type": "resume", "payload": {"rooms": dict.fromkeys(spellings(room["id"], 600), last_seen)}})
    assert len(frame) < 64 * 1024
    await hostile.send(frame)
    # Before the replay is out, someone else's message reaches another user promptly.
    sent_at = time.monotonic()
    status, _ = server.post(f"/api/v1/rooms/{other_room['id']}/messages", {"content": "still here"}, alice)
    assert status == 201
    assert (await next_event(listener, "new_message", timeout=2))["payload"]["content"] == "still here"
    delivery_seconds = time.monotonic() - sent_at

    replayed = 0
    while (event := json.loads(await asyncio.wait_for(hostile.recv(), 10)))["type"] != "resumed":
        replayed += 1
        assert replayed <= RESUME_MAX_EVENTS, "more than one replay's worth for one room"
    assert replayed == RESUME_MAX_EVENTS
    assert event["payload"] == {"rooms": [room["id"]], "truncated": [room["id"]]}
    logger.info("hostile resume: %d events; another user's message took %.3f s", replayed, delivery_seconds)
    await hostile.close()
    await listener.close()


async def test_a_client_that_leaves_mid_replay_stops_it(servers):  # noqa: F811
    server = servers()
    attacker, alice = register(server, "mallory"), register(server, "alice")
    _, room = server.post("/api/v1/rooms", {"name": "Big", "type": "public"}, alice)
    assert server.post(f"/api/v1/rooms/{room['id']}/join", {}, attacker)[0] == 200
    _, me = server.post("/api/v1/auth/login", {"username": "alice", "password": "secret123"})
    last_seen = await history(room["id"], me["user"]["id"], old=0, new=1000)
    hostile = await websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {attacker}"})
    await hostile.recv()
    await hostile.send(json.dumps({"type": "resume", "payload": {"rooms": {room["id"]: last_seen}}}))
    await hostile.recv()  # the replay has begun
    hostile.transport.abort()
    deadline = time.monotonic() + 5
    while "resume stopped: the socket closed" not in server.log():
        assert time.monotonic() < deadline, "the replay went on for a socket that was gone"
        await asyncio.sleep(0.05)
    line = next(json.loads(line) for line in server.log().splitlines() if "resume stopped" in line)
    assert line["events_sent"] < RESUME_MAX_EVENTS
