"""`resume` replays what a socket missed once per room, within one cap for the whole frame."""

import asyncio
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue
from broadcast.groups import room_group
from broadcast.publish import relay_message
from messaging.models import Message
from messaging.serializers import iso_datetime
from messaging.services import message_pin, message_unpin, reaction_add
from realtime import selectors
from realtime.event_types import Typing
from realtime.tests.test_delivery_order import announce, room_with_messages
from rooms.services import room_create, room_join

pytestmark = pytest.mark.django_db(transaction=True)


def spellings(room_id: str) -> list[str]:
    """Ways `uuid.UUID` reads the same id: case, braces, `urn:uuid:`, hyphens anywhere or none."""
    plain = uuid.UUID(room_id).hex
    return [
        room_id,
        room_id.upper(),
        "{" + room_id + "}",
        "urn:uuid:" + room_id,
        plain,
        "-".join(plain[i : i + 4] for i in range(0, 32, 4)),
        "urn:uuid:{" + plain.upper() + "}",
    ]


@database_sync_to_async
def people_in_rooms(room_count: int) -> tuple[User, User, list[str]]:
    owner = User.objects.create_user("owner", "owner@example.com", "secret123")
    reader = User.objects.create_user("reader", "reader@example.com", "secret123")
    room_ids = []
    for index in range(room_count):
        room = room_create(creator=owner, name=f"Room {index}")
        room_join(room_id=room.id, user=reader)
        room_ids.append(str(room.id))
    return owner, reader, room_ids


@database_sync_to_async
def stored(room_id: str, sender: User, count: int, label: str) -> list[Message]:
    """`count` messages, a millisecond apart, after everything already in the room."""
    latest = Message.objects.filter(room_id=room_id).order_by("-created_at").values_list("created_at", flat=True)
    start = max([timezone.now(), *(at + timedelta(milliseconds=1) for at in latest[:1])])
    return Message.objects.bulk_create(
        Message(room_id=room_id, sender=sender, content=f"{label}{i}", created_at=start + timedelta(milliseconds=i))
        for i in range(count)
    )


@database_sync_to_async
def change(messages: list[Message], **fields) -> None:
    """Edits or deletes `messages` a millisecond apart, in their order, after everything stored."""
    latest = Message.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
    for i, message in enumerate(messages):
        at = max(timezone.now(), latest) + timedelta(milliseconds=i + 1)
        Message.objects.filter(pk=message.pk).update(updated_at=at, changed_at=at, **fields)


async def replay(client, rooms: dict) -> tuple[list[tuple[str, str | None]], dict]:
    """Every event up to `resumed`: (type, content or id), and `resumed`'s payload."""
    await client.send("resume", {"rooms": rooms})
    received = []
    while (event := await client.receive(timeout=5))["type"] != "resumed":
        payload = event["payload"]
        received.append((event["type"], payload.get("content") if event["type"] == "new_message" else payload["id"]))
    return received, event["payload"]


async def test_a_room_named_in_many_spellings_is_replayed_once(ws_connect):
    owner, reader, [room_id] = await people_in_rooms(1)
    seen, *missed = await stored(room_id, owner, 4, "m")
    client = await ws_connect(reader)
    received, resumed = await replay(client, {spelling: str(seen.id) for spelling in spellings(room_id)})
    assert received == [("new_message", "m1"), ("new_message", "m2"), ("new_message", "m3")]
    assert resumed == {"rooms": [room_id], "truncated": []}


async def test_one_cap_covers_every_room_and_every_edit_and_deletion(ws_connect, monkeypatch):
    monkeypatch.setattr(selectors, "RESUME_MAX_EVENTS", 10)
    monkeypatch.setattr(selectors, "RESUME_PAGE_SIZE", 4)
    owner, reader, [first, second, third] = await people_in_rooms(3)
    old = await stored(first, owner, 3, "old")
    [seen_first] = await stored(first, owner, 1, "seen")
    await stored(first, owner, 6, "a")
    await change(old[:2], is_deleted=True)
    await change(old[2:], is_edited=True, content="old2 (fixed)")
    [seen_second] = await stored(second, owner, 1, "seen")
    await stored(second, owner, 5, "b")
    [seen_third] = await stored(third, owner, 1, "seen")
    await stored(third, owner, 2, "c")
    client = await ws_connect(reader)

    rooms = {first: str(seen_first.id), second: str(seen_second.id), third: str(seen_third.id)}
    received, resumed = await replay(client, rooms)

    assert received == [
        *(("new_message", f"a{i}") for i in range(6)),
        ("delete_message", str(old[0].id)),
        ("delete_message", str(old[1].id)),
        ("edit_message", str(old[2].id)),
        ("new_message", "b0"),
    ]
    assert resumed == {"rooms": [first, second, third], "truncated": [second, third]}


@database_sync_to_async
def react_pin_unpin(owner: User, reader: User, reacted: Message, pinned: Message, unpinned: Message) -> None:
    """Through the services, as the room's members would: none of it is an edit."""
    reaction_add(message_id=reacted.id, user=owner, emoji="👍")
    reaction_add(message_id=reacted.id, user=reader, emoji="🎉")
    message_pin(room_id=pinned.room_id, message_id=pinned.id, actor=owner)
    message_pin(room_id=unpinned.room_id, message_id=unpinned.id, actor=owner)
    message_unpin(room_id=unpinned.room_id, message_id=unpinned.id, actor=owner)


async def test_reactions_and_pins_made_while_away_replay_as_the_message_now(ws_connect):
    owner, reader, [room_id] = await people_in_rooms(1)
    reacted, pinned, unpinned, untouched = await stored(room_id, owner, 4, "old")
    [seen] = await stored(room_id, owner, 1, "seen")
    await react_pin_unpin(owner, reader, reacted, pinned, unpinned)
    client = await ws_connect(reader)

    await client.send("resume", {"rooms": {room_id: str(seen.id)}})
    replayed = []
    while (event := await client.receive(timeout=5))["type"] != "resumed":
        replayed.append(event)

    # In the order they changed; the untouched message is not sent again.
    assert [(event["type"], event["payload"]["id"]) for event in replayed] == [
        ("edit_message", str(reacted.id)),
        ("edit_message", str(pinned.id)),
        ("edit_message", str(unpinned.id)),
    ]
    now_reacted, now_pinned, now_unpinned = (event["payload"] for event in replayed)
    assert [(r["emoji"], r["count"]) for r in now_reacted["reactions"]] == [("👍", 1), ("🎉", 1)]
    assert (now_pinned["pinned"], now_unpinned["pinned"]) == (True, False)
    # Not edits: the text, `is_edited` and `updated_at` are as sent; `changed_at` says when.
    assert not any(payload["is_edited"] for payload in (now_reacted, now_pinned, now_unpinned))
    assert (now_reacted["content"], now_reacted["updated_at"]) == ("old0", iso_datetime(reacted.updated_at))
    changed = [datetime.fromisoformat(payload["changed_at"]) for payload in (now_reacted, now_pinned, now_unpinned)]
    assert seen.created_at < changed[0] <= changed[1] <= changed[2]


async def test_edits_and_deletions_alone_are_capped(ws_connect, monkeypatch):
    monkeypatch.setattr(selectors, "RESUME_MAX_EVENTS", 10)
    owner, reader, [room_id] = await people_in_rooms(1)
    old = await stored(room_id, owner, 25, "old")
    [seen] = await stored(room_id, owner, 1, "seen")
    await change(old, is_deleted=True)
    client = await ws_connect(reader)
    received, resumed = await replay(client, {room_id: str(seen.id)})
    assert received == [("delete_message", str(message.id)) for message in old[:10]]
    assert resumed["truncated"] == [room_id]


async def test_a_room_with_exactly_the_cap_missed_is_not_truncated(ws_connect, monkeypatch):
    monkeypatch.setattr(selectors, "RESUME_MAX_EVENTS", 10)
    monkeypatch.setattr(selectors, "RESUME_PAGE_SIZE", 4)
    owner, reader, [room_id, other, empty] = await people_in_rooms(3)
    [seen] = await stored(room_id, owner, 1, "seen")
    await stored(room_id, owner, 10, "m")
    await stored(other, owner, 1, "o")
    client = await ws_connect(reader)
    received, resumed = await replay(client, {room_id: str(seen.id), other: None, empty: None})
    assert received == [("new_message", f"m{i}") for i in range(10)]
    # The cap was spent before the other room; the empty one had nothing to replay anyway.
    assert resumed == {"rooms": [room_id, other, empty], "truncated": [other]}


async def test_a_room_with_no_last_message_gets_its_newest_within_the_cap(ws_connect, monkeypatch):
    monkeypatch.setattr(selectors, "RESUME_MAX_EVENTS", 10)
    owner, reader, [room_id] = await people_in_rooms(1)
    await stored(room_id, owner, 15, "m")
    client = await ws_connect(reader)
    received, resumed = await replay(client, {room_id: None})
    assert received == [("new_message", f"m{i}") for i in range(5, 15)]
    assert resumed["truncated"] == [room_id]


async def test_the_replay_stops_reading_once_the_socket_closes(ws_connect, monkeypatch):
    """A socket closed while its replay is being read (here: its token revoked) costs no more
    pages: nothing is read or sent for it after the page in progress."""
    monkeypatch.setattr(selectors, "RESUME_PAGE_SIZE", 4)
    owner, reader, [room_id] = await people_in_rooms(1)
    [seen] = await stored(room_id, owner, 1, "seen")
    await stored(room_id, owner, 20, "m")
    second_page_read, release = threading.Event(), threading.Event()
    pages_read = []
    real_next_page = selectors.resume_next_page

    def next_page(replay):
        pages_read.append(1)
        page = real_next_page(replay)
        if len(pages_read) == 2:
            second_page_read.set()
            release.wait(5)
        return page

    monkeypatch.setattr("realtime.consumers.resume_next_page", next_page)
    token = token_issue(reader)
    client = await ws_connect(token=token)
    await client.send("resume", {"rooms": {room_id: str(seen.id)}})
    deadline = asyncio.get_running_loop().time() + 5
    while not second_page_read.is_set():
        assert asyncio.get_running_loop().time() < deadline, "the second page was never read"
        await asyncio.sleep(0.01)

    def log_out() -> int:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return api.post("/api/v1/auth/logout").status_code

    assert await database_sync_to_async(log_out)() == 200
    assert await client.receive_close() == 4401
    release.set()
    assert await client.receive_nothing(timeout=0.3)
    assert len(pages_read) == 2


def queries_to_replay(reader: User, rooms: dict) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        plan = selectors.resume_start(user=reader, last_seen=rooms)
        texts = []
        while not plan.done:
            texts += selectors.resume_next_page(plan).texts
    return len(captured.captured_queries), texts


@pytest.mark.parametrize("room_count", [3, 30])
def test_rooms_with_nothing_missed_cost_no_queries(room_count):
    owner, reader, room_ids = async_to_sync(people_in_rooms)(room_count)
    rooms, earlier = {}, {}
    for room_id in room_ids:
        earlier[room_id], seen = async_to_sync(stored)(room_id, owner, 2, "seen")
        rooms[room_id] = str(seen.id)
    async_to_sync(stored)(room_ids[0], owner, 2, "new")
    async_to_sync(change)([earlier[room_ids[-1]]], is_edited=True, content="edited")
    count, texts = queries_to_replay(reader, rooms)
    assert len(texts) == 3  # two new messages in the first room, one edit in the last
    # Members and stream positions, anchors, which rooms have changes; one page of the first
    # room's messages, one of the last room's changes.
    assert count == 5


async def test_live_events_between_pages_come_after_resumed_and_replayed_messages_once(ws_connect, monkeypatch):
    monkeypatch.setattr(selectors, "RESUME_PAGE_SIZE", 2)
    room_id, owner, messages, [client] = await room_with_messages(ws_connect, 5)
    await announce(room_id, messages[0], 1)
    assert (await client.receive_type("new_message"))["payload"]["content"] == "m1"
    real_next_page = selectors.resume_next_page
    pages = []

    def next_page(replay):
        page = real_next_page(replay)
        pages.append(page)
        if len(pages) == 1:
            # Live copies of messages in this page and in the next, and a typing event, all
            # arriving while the replay is between pages.
            for seq in (2, 3, 4, 5):
                async_to_sync(announce)(room_id, messages[seq - 1], seq)
            typing = relay_message(room_group(room_id), Typing.of(room_id, owner))
            async_to_sync(get_channel_layer().group_send)(room_group(room_id), typing)
        return page

    monkeypatch.setattr("realtime.consumers.resume_next_page", next_page)
    await client.send("resume", {"rooms": {room_id: str(messages[0].id)}})
    received = []
    while len(received) < 6:
        event = await client.receive(timeout=5)
        received.append((event["type"], event["payload"].get("content")))
    assert len(pages) == 2
    assert received == [
        ("new_message", "m2"),
        ("new_message", "m3"),
        ("new_message", "m4"),
        ("new_message", "m5"),
        ("resumed", None),
        ("typing", None),
    ]
    assert await client.receive_none_of_type("new_message", timeout=0.3), "live copies are not delivered again"
