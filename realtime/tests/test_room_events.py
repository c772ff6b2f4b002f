"""Room-level realtime behaviour: every client event and every event REST actions publish."""

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue

pytestmark = pytest.mark.django_db(transaction=True)


class Person:
    def __init__(self, user: User) -> None:
        self.user = user
        self.id = str(user.id)
        self.token = token_issue(user)
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    async def call(self, method: str, path: str, body: dict | None = None):
        def run():
            return getattr(self.api, method)(f"/api/v1{path}", body or {}, format="json")

        return await database_sync_to_async(run)()


@pytest.fixture
def person():
    async def make(username: str) -> Person:
        user = await database_sync_to_async(User.objects.create_user)(username, f"{username}@example.com", "secret123")
        return Person(user)

    return make


async def create_room(owner: Person, room_type: str = "public") -> str:
    response = await owner.call("post", "/rooms", {"name": f"room-{uuid.uuid4().hex[:6]}", "type": room_type})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


async def joined_room(owner: Person, *members: Person) -> str:
    room_id = await create_room(owner)
    for member in members:
        assert (await member.call("post", f"/rooms/{room_id}/join")).status_code == 200
    return room_id


class TestMessages:
    async def test_send_message_reaches_everyone_in_the_room_including_the_sender(self, person, ws_connect):
        alice, bob, carol = await person("alice"), await person("bob"), await person("carol")
        room_id = await joined_room(alice, bob)
        a, b, c = await ws_connect(alice.user), await ws_connect(bob.user), await ws_connect(carol.user)
        await a.send("send_message", {"room_id": room_id, "content": "hello", "type": "text", "client_msg_id": "c-1"})
        for client in (a, b):
            event = await client.receive_type("new_message")
            assert event["payload"]["content"] == "hello"
            assert event["payload"]["client_msg_id"] == "c-1"
            assert event["payload"]["sender"]["username"] == "alice"
            assert event["payload"]["room_id"] == room_id
        assert await c.receive_nothing()

    async def test_repeated_client_msg_id_is_echoed_to_the_sender_only_and_stored_once(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        a, b = await ws_connect(alice.user), await ws_connect(bob.user)
        frame = {"room_id": room_id, "content": "once", "type": "text", "client_msg_id": "dup-1"}
        await a.send("send_message", frame)
        first = await a.receive_type("new_message")
        await b.receive_type("new_message")
        await a.send("send_message", frame)
        again = await a.receive_type("new_message")
        assert again["payload"]["id"] == first["payload"]["id"]
        assert await b.receive_nothing()
        history = (await alice.call("get", f"/rooms/{room_id}/messages")).json()
        assert history["total"] == 1

    @pytest.mark.parametrize(
        "payload,fragment",
        [
            ({"content": "   "}, "content"),
            ({"content": "x" * 2001}, "content"),
            ({"content": "hi", "type": "system"}, "type"),
            ({"content": "hi", "reply_to_id": "not-a-uuid"}, "reply_to_id"),
        ],
    )
    async def test_invalid_send_is_an_error_and_nothing_is_stored(self, person, ws_connect, payload, fragment):
        alice = await person("alice")
        room_id = await create_room(alice)
        a = await ws_connect(alice.user)
        await a.send("send_message", {"room_id": room_id, **payload})
        event = await a.receive_type("error")
        assert fragment in event["payload"]["error"]
        assert (await alice.call("get", f"/rooms/{room_id}/messages")).json()["total"] == 0

    async def test_non_member_cannot_send(self, person, ws_connect):
        alice, mallory = await person("alice"), await person("mallory")
        room_id = await create_room(alice)
        m = await ws_connect(mallory.user)
        await m.send("send_message", {"room_id": room_id, "content": "spam", "client_msg_id": "m-1"})
        event = await m.receive_type("error")
        assert event["payload"] == {"error": "You are not a member of this room", "client_msg_id": "m-1"}

    async def test_rest_edit_and_delete_reach_sockets(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        b = await ws_connect(bob.user)
        sent = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "typo"})).json()
        assert (await b.receive_type("new_message"))["payload"]["id"] == sent["id"]
        assert (await alice.call("patch", f"/messages/{sent['id']}", {"content": "fixed"})).status_code == 200
        edited = await b.receive_type("edit_message")
        assert edited["payload"]["content"] == "fixed"
        assert edited["payload"]["is_edited"] is True
        assert (await alice.call("delete", f"/messages/{sent['id']}")).status_code == 200
        assert (await b.receive_type("delete_message"))["payload"] == {"id": sent["id"], "room_id": room_id}

    async def test_mark_read_publishes_messages_read(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        a = await ws_connect(alice.user)
        assert (await bob.call("post", f"/rooms/{room_id}/read")).status_code == 200
        event = await a.receive_type("messages_read")
        assert event["payload"]["room_id"] == room_id
        assert event["payload"]["user_id"] == bob.id
        assert event["payload"]["read_at"]


class TestTyping:
    async def test_typing_goes_to_the_others_once_per_second(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        a, b = await ws_connect(alice.user), await ws_connect(bob.user)
        for _ in range(5):
            await a.send("typing", {"room_id": room_id})
        event = await b.receive_type("typing")
        assert event["payload"] == {"room_id": room_id, "user_id": alice.id, "username": "alice"}
        assert await b.receive_none_of_type("typing", timeout=0.5), "only one typing per second is relayed"
        assert await a.receive_none_of_type("typing", timeout=0.1), "the typist does not hear themselves"
        await a.send("stop_typing", {"room_id": room_id})
        assert (await b.receive_type("stop_typing"))["payload"]["user_id"] == alice.id

    async def test_non_member_cannot_type(self, person, ws_connect):
        alice, mallory = await person("alice"), await person("mallory")
        room_id = await create_room(alice)
        m = await ws_connect(mallory.user)
        await m.send("typing", {"room_id": room_id})
        assert (await m.receive_type("error"))["payload"]["error"] == "You are not a member of this room"


class TestMembershipFollowsRest:
    async def test_rest_join_subscribes_open_sockets_and_announces(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await create_room(alice)
        a, b = await ws_connect(alice.user), await ws_connect(bob.user)
        assert (await bob.call("post", f"/rooms/{room_id}/join")).status_code == 200
        joined = await a.receive_type("user_joined")
        assert joined["payload"] == {"room_id": room_id, "user_id": bob.id, "username": "bob"}
        await asyncio.sleep(0.1)  # the subscribe event reaches bob's socket
        await alice.call("post", f"/rooms/{room_id}/messages", {"content": "welcome"})
        assert (await b.receive_type("new_message"))["payload"]["content"] == "welcome"

    async def test_rest_leave_unsubscribes_open_sockets(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        a, b = await ws_connect(alice.user), await ws_connect(bob.user)
        assert (await bob.call("post", f"/rooms/{room_id}/leave")).status_code == 200
        left = await a.receive_type("user_left")
        assert left["payload"]["user_id"] == bob.id
        await asyncio.sleep(0.1)
        await alice.call("post", f"/rooms/{room_id}/messages", {"content": "bye"})
        await a.receive_type("new_message")
        assert await b.receive_none_of_type("new_message", timeout=0.3)

    async def test_member_added_to_private_room_gets_its_messages(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await create_room(alice, "private")
        b = await ws_connect(bob.user)
        assert (await alice.call("post", f"/rooms/{room_id}/members", {"user_id": bob.id})).status_code == 201
        await asyncio.sleep(0.1)
        await alice.call("post", f"/rooms/{room_id}/messages", {"content": "secret"})
        assert (await b.receive_type("new_message"))["payload"]["content"] == "secret"

    async def test_dm_creation_announces_to_both_and_subscribes_them(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        a, b = await ws_connect(alice.user), await ws_connect(bob.user)
        response = await alice.call("post", "/dm", {"recipient_id": bob.id})
        assert response.status_code == 201
        room_id = response.json()["id"]
        for client in (a, b):
            event = await client.receive_type("dm_created")
            assert event["payload"]["room"]["id"] == room_id
            assert event["payload"]["sender"]["id"] == alice.id
            assert "email" not in event["payload"]["sender"]
        await asyncio.sleep(0.1)
        await a.send("send_message", {"room_id": room_id, "content": "psst"})
        assert (await b.receive_type("new_message"))["payload"]["content"] == "psst"

    async def test_room_deletion_is_announced_and_unsubscribes(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        b = await ws_connect(bob.user)
        assert (await alice.call("delete", f"/rooms/{room_id}")).status_code == 200
        assert (await b.receive_type("room_deleted"))["payload"] == {"room_id": room_id}
        await b.send("typing", {"room_id": room_id})
        assert (await b.receive_type("error"))["payload"]["error"] == "You are not a member of this room"

    async def test_join_room_frame_is_members_only_and_announces(self, person, ws_connect):
        alice, bob, mallory = await person("alice"), await person("bob"), await person("mallory")
        room_id = await joined_room(alice, bob)
        a, b, m = await ws_connect(alice.user), await ws_connect(bob.user), await ws_connect(mallory.user)
        await b.send("join_room", {"room_id": room_id})
        assert (await a.receive_type("user_joined"))["payload"]["user_id"] == bob.id
        await m.send("join_room", {"room_id": room_id})
        assert (await m.receive_type("error"))["payload"]["error"] == "You are not a member of this room"

    async def test_leave_room_frame_unsubscribes_this_socket_but_keeps_membership(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        a, b = await ws_connect(alice.user), await ws_connect(bob.user)
        await b.send("leave_room", {"room_id": room_id})
        assert (await a.receive_type("user_left"))["payload"]["user_id"] == bob.id
        assert (await b.receive_type("user_left"))["payload"]["user_id"] == bob.id
        assert await b.receive_none_of_type("user_left", timeout=0.3), "confirmed exactly once"
        await alice.call("post", f"/rooms/{room_id}/messages", {"content": "still here?"})
        await a.receive_type("new_message")
        assert await b.receive_none_of_type("new_message", timeout=0.3)
        assert (await bob.call("get", f"/rooms/{room_id}/messages")).status_code == 200


class TestPresenceAndProfile:
    async def test_peers_see_online_on_first_connection_and_offline_on_last(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        await joined_room(alice, bob)
        a = await ws_connect(alice.user)
        b1 = await ws_connect(bob.user)
        online = await a.receive_type("user_online")
        assert online["payload"] == {"user_id": bob.id, "username": "bob"}
        b2 = await ws_connect(bob.user)
        await b1.close()
        assert await a.receive_none_of_type("user_offline", timeout=0.3), "bob still has another tab open"
        await b2.close()
        offline = await a.receive_type("user_offline")
        assert offline["payload"]["user_id"] == bob.id
        assert offline["payload"]["last_seen"]

    async def test_profile_update_reaches_room_peers(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        await joined_room(alice, bob)
        a = await ws_connect(alice.user)
        assert (await bob.call("patch", "/auth/me", {"status": "On holiday"})).status_code == 200
        event = await a.receive_type("profile_updated")
        assert event["payload"]["status"] == "On holiday"
        assert "email" not in event["payload"]


class TestResume:
    async def test_resume_replays_missed_messages_exactly_once_in_order(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        b = await ws_connect(bob.user)
        seen = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "m0"})).json()
        assert (await b.receive_type("new_message"))["payload"]["id"] == seen["id"]
        await b.close()  # bob goes offline
        for i in range(1, 26):
            await alice.call("post", f"/rooms/{room_id}/messages", {"content": f"m{i}"})
        b2 = await ws_connect(bob.user)
        await b2.send("resume", {"rooms": {room_id: seen["id"]}})
        contents = []
        while True:
            event = await b2.receive()
            if event["type"] == "resumed":
                assert event["payload"]["rooms"] == [room_id]
                break
            if event["type"] == "new_message":
                contents.append(event["payload"]["content"])
        assert contents == [f"m{i}" for i in range(1, 26)]
        # Live copies of anything replayed are not delivered a second time.
        assert await b2.receive_none_of_type("new_message", timeout=0.3)

    async def test_resume_reports_edits_and_deletes_since(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        first = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "one"})).json()
        second = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "two"})).json()
        await alice.call("patch", f"/messages/{first['id']}", {"content": "one (fixed)"})
        await alice.call("delete", f"/messages/{second['id']}")
        b = await ws_connect(bob.user)
        await b.send("resume", {"rooms": {room_id: second["id"]}})
        types = []
        while (event := await b.receive())["type"] != "resumed":
            types.append((event["type"], event["payload"].get("id")))
        assert ("edit_message", first["id"]) in types
        assert ("delete_message", second["id"]) in types

    async def test_resume_does_not_report_unchanged_messages_as_edited(self, person, ws_connect):
        alice, bob = await person("alice"), await person("bob")
        room_id = await joined_room(alice, bob)
        seen = (await alice.call("post", f"/rooms/{room_id}/messages", {"content": "seen"})).json()
        await alice.call("post", f"/rooms/{room_id}/messages", {"content": "missed"})
        b = await ws_connect(bob.user)
        await b.send("resume", {"rooms": {room_id: seen["id"]}})
        types = []
        while (event := await b.receive())["type"] != "resumed":
            types.append((event["type"], event["payload"].get("content")))
        assert types == [("new_message", "missed")]

    async def test_resume_skips_rooms_the_user_is_not_in_and_rejects_garbage(self, person, ws_connect):
        alice, mallory = await person("alice"), await person("mallory")
        room_id = await create_room(alice, "private")
        m = await ws_connect(mallory.user)
        await m.send("resume", {"rooms": {room_id: None}})
        assert (await m.receive_type("resumed"))["payload"]["rooms"] == []
        await m.send("resume", {"rooms": "nope"})
        assert (await m.receive_type("error"))["payload"]["error"].startswith("rooms")
        await m.send("resume", {"rooms": {"not-a-uuid": None}})
        assert (await m.receive_type("error"))["payload"]["error"].startswith("rooms")


class TestPresenceInLargeRooms:
    async def test_rooms_above_the_limit_do_not_hear_presence_but_direct_rooms_do(self, person, ws_connect, settings):
        settings.PRESENCE_ROOM_MAX_MEMBERS = 3
        alice, bob, carol, dave = [await person(name) for name in ("alice", "bob", "carol", "dave")]
        big = await joined_room(alice, bob, carol, dave)  # 4 members: over the limit
        assert big
        a = await ws_connect(alice.user)
        await ws_connect(bob.user)
        assert await a.receive_none_of_type("user_online", timeout=0.5), "a big room is not told"
        assert (await alice.call("post", "/dm", {"recipient_id": carol.id})).status_code == 201
        await a.receive_type("dm_created")
        await ws_connect(carol.user)
        online = await a.receive_type("user_online")
        assert online["payload"]["user_id"] == carol.id, "a direct room always is"
