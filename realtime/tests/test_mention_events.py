"""Mentions over the WebSocket: live sends, edits and what `resume` replays carry them."""

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from realtime.tests.test_room_events import joined_room, person  # noqa: F401 (a fixture)
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_websocket_send_carries_its_mentions_to_everyone(person, ws_connect):  # noqa: F811
    alice, bob = await person("alice"), await person("bob")
    room_id = await joined_room(alice, bob)
    a, b = await ws_connect(alice.user), await ws_connect(bob.user)
    await a.send("send_message", {"room_id": room_id, "content": "@Bob see `@alice`", "client_msg_id": "m-1"})
    for client in (a, b):
        payload = (await client.receive_type("new_message"))["payload"]
        assert payload["mentions"] == [{"id": bob.id, "username": "bob"}]
        assert payload["mentions_room"] is False


async def test_a_websocket_send_of_at_room_in_a_big_room_is_an_error_event(person, ws_connect):  # noqa: F811
    alice, bob = await person("alice"), await person("bob")
    room_id = await joined_room(alice, bob)

    def crowd() -> None:
        users = User.objects.bulk_create([User(username=f"crowd{n}", email=f"c{n}@example.com") for n in range(99)])
        RoomMember.objects.bulk_create([RoomMember(room_id=room_id, user=user) for user in users])

    await database_sync_to_async(crowd)()
    b = await ws_connect(bob.user)
    await b.send("send_message", {"room_id": room_id, "content": "@room hello"})
    error = await b.receive_type("error")
    assert "Only room admins can mention @room" in error["payload"]["error"]
    assert await b.receive_none_of_type("new_message", timeout=0.3)


async def test_resume_replays_new_messages_and_edits_with_their_mentions(person, ws_connect):  # noqa: F811
    alice, bob, carol = await person("alice"), await person("bob"), await person("carol")
    room_id = await joined_room(alice, bob, carol)
    seen = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "seen @carol"})).json()
    missed = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "@bob missed"})).json()
    edited = await alice.call("patch", f"/messages/{seen['id']}", {"content": "seen @bob @room"})
    assert edited.status_code == 200, edited.json()
    b = await ws_connect(bob.user)
    await b.send("resume", {"rooms": {room_id: missed["id"]}})
    events = {}
    while (event := await b.receive())["type"] != "resumed":
        events[event["type"]] = event["payload"]
    assert events["edit_message"]["id"] == seen["id"]
    assert events["edit_message"]["mentions"] == [{"id": bob.id, "username": "bob"}]
    assert events["edit_message"]["mentions_room"] is True

    b2 = await ws_connect(bob.user)
    await b2.send("resume", {"rooms": {room_id: seen["id"]}})
    replayed = []
    while (event := await b2.receive())["type"] != "resumed":
        replayed.append(event)
    assert [(e["type"], e["payload"]["mentions"]) for e in replayed if e["type"] == "new_message"] == [
        ("new_message", [{"id": bob.id, "username": "bob"}])
    ]
