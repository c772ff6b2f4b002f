import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def create_user(username: str) -> User:
    return User.objects.create_user(username, f"{username}@example.com", "secret123")


@database_sync_to_async
def fetch_user(user_id) -> User:
    return User.objects.get(pk=user_id)


async def wait_for_online_state(user_id, expected: bool, timeout: float = 3) -> User:
    """Presence is stored just after the greeting is sent: wait for it, briefly."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (user := await fetch_user(user_id)).is_online != expected:
        assert asyncio.get_running_loop().time() < deadline, f"is_online never became {expected}"
        await asyncio.sleep(0.02)
    return user


@database_sync_to_async
def rest(method: str, path: str, token: str, body: dict | None = None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return getattr(client, method)(path, body or {}, format="json")


class TestHeaderAuth:
    async def test_valid_header_connects_and_greets(self, ws_connect):
        alice = await create_user("alice")
        client = await ws_connect(alice, expect_ok=False)
        assert client.connected
        assert await client.receive() == {
            "type": "user_online",
            "payload": {"user_id": str(alice.id), "username": "alice", "message": "Connected to chat server"},
        }

    async def test_bad_header_token_gets_error_then_4401(self, ws_connect):
        client = await ws_connect(token="not-a-jwt", expect_ok=False)
        assert await client.receive() == {"type": "error", "payload": {"error": "Invalid or expired token"}}
        assert await client.receive_close() == 4401

    async def test_revoked_token_in_header_is_refused(self, ws_connect):
        alice = await create_user("alice")
        token = token_issue(alice)
        assert (await rest("post", "/api/v1/auth/logout", token)).status_code == 200
        client = await ws_connect(token=token, expect_ok=False)
        event = await client.receive()
        assert "revoked" in event["payload"]["error"]
        assert await client.receive_close() == 4401

    async def test_non_bearer_header_is_refused(self, ws_connect):
        client = await ws_connect(headers=[(b"authorization", b"Basic abc")], expect_ok=False)
        assert (await client.receive())["type"] == "error"
        assert await client.receive_close() == 4401


class TestFirstMessageAuth:
    async def test_server_asks_then_accepts_auth_frame(self, ws_connect):
        alice = await create_user("alice")
        client = await ws_connect()
        assert await client.receive() == {"type": "auth_required"}
        await client.send("auth", {"token": token_issue(alice)})
        event = await client.receive()
        assert event["type"] == "user_online"
        assert event["payload"]["user_id"] == str(alice.id)
        await client.send("ping")
        assert (await client.receive())["type"] == "pong"

    async def test_second_auth_frame_is_ignored(self, ws_connect):
        alice = await create_user("alice")
        client = await ws_connect(alice)
        await client.send("auth", {"token": token_issue(alice)})
        assert await client.receive_nothing()
        await client.send("ping")
        assert (await client.receive())["type"] == "pong"

    @pytest.mark.parametrize(
        "frame",
        [
            json.dumps({"type": "ping"}),
            json.dumps({"type": "auth", "payload": {}}),
            json.dumps({"type": "auth", "payload": {"token": 42}}),
            "not json",
            json.dumps([1, 2]),
        ],
    )
    async def test_anything_but_auth_first_is_refused_with_4401(self, ws_connect, frame):
        client = await ws_connect()
        assert await client.receive() == {"type": "auth_required"}
        await client.send_raw(frame)
        assert (await client.receive())["type"] == "error"
        assert await client.receive_close() == 4401

    async def test_bad_token_in_auth_frame_is_refused(self, ws_connect):
        client = await ws_connect()
        await client.receive()
        await client.send("auth", {"token": "garbage"})
        assert await client.receive() == {"type": "error", "payload": {"error": "Invalid or expired token"}}
        assert await client.receive_close() == 4401

    async def test_silent_socket_is_closed_after_the_auth_timeout(self, ws_connect, settings):
        settings.WS_AUTH_TIMEOUT_SECONDS = 0.2
        client = await ws_connect()
        assert await client.receive() == {"type": "auth_required"}
        assert await client.receive() == {"type": "error", "payload": {"error": "Authentication timed out"}}
        assert await client.receive_close() == 4401

    async def test_token_in_query_string_is_ignored(self, ws_connect):
        alice = await create_user("alice")
        from channels.testing import WebsocketCommunicator

        from chatapp.asgi import application

        communicator = WebsocketCommunicator(application, f"/api/v1/ws?token={token_issue(alice)}")
        connected, _ = await communicator.connect()
        assert connected
        assert json.loads(await communicator.receive_from()) == {"type": "auth_required"}
        await communicator.disconnect()


class TestOrigin:
    @pytest.mark.parametrize("origin", ["http://localhost:8080", "http://localhost:3000"])
    async def test_allowed_origin_connects(self, ws_connect, origin):
        alice = await create_user("alice")
        client = await ws_connect(alice, origin=origin)
        assert client.connected

    @pytest.mark.parametrize(
        "origin",
        [
            "https://evil.com",
            "null",
            "https://localhost:8080",
            "http://localhost:8081",
            "http://localhost:8080.evil.com",
        ],
    )
    async def test_other_origins_are_refused_before_accept(self, ws_connect, origin):
        alice = await create_user("alice")
        client = await ws_connect(alice, origin=origin, expect_ok=False)
        assert not client.connected


class TestFrames:
    async def test_ping_gets_pong_with_time(self, ws_connect):
        client = await ws_connect(await create_user("alice"))
        await client.send("ping")
        event = await client.receive()
        assert event["type"] == "pong"
        assert event["payload"]["time"]

    @pytest.mark.parametrize(
        "raw,message",
        [
            ("{oops", "Invalid message format"),
            ('"just a string"', "Invalid message format"),
            ('{"payload": {}}', "Invalid message format"),
            ('{"type": "ping", "payload": [1]}', "Invalid message format"),
            ('{"type": "dance"}', "Unknown event type"),
            ('{"type": "typing", "payload": {}}', "room_id is required"),
            ('{"type": "typing", "payload": {"room_id": "nope"}}', "room_id must be a UUID"),
            ('{"type": "join_room", "payload": {"room_id": 7}}', "room_id is required"),
        ],
    )
    async def test_bad_frames_get_an_error_and_the_socket_stays_open(self, ws_connect, raw, message):
        client = await ws_connect(await create_user("alice"))
        await client.send_raw(raw)
        assert await client.receive() == {"type": "error", "payload": {"error": message}}
        await client.send("ping")
        assert (await client.receive())["type"] == "pong"

    async def test_non_member_room_is_an_error(self, ws_connect):
        client = await ws_connect(await create_user("alice"))
        await client.send("typing", {"room_id": str(uuid.uuid4())})
        assert await client.receive() == {"type": "error", "payload": {"error": "You are not a member of this room"}}

    async def test_binary_frame_is_an_error(self, ws_connect):
        client = await ws_connect(await create_user("alice"))
        await client.send_raw(data=b"\x00\x01")
        assert (await client.receive())["payload"]["error"] == "Binary frames are not supported"

    async def test_frame_over_64_kib_closes_with_1009(self, ws_connect):
        client = await ws_connect(await create_user("alice"))
        await client.send_raw(json.dumps({"type": "ping", "payload": {"pad": "x" * 70_000}}))
        assert await client.receive_close() == 1009

    async def test_flood_gets_slow_down_and_excess_is_dropped(self, ws_connect):
        client = await ws_connect(await create_user("alice"))
        for _ in range(100):
            await client.send("ping")
        events = []
        while not await client.receive_nothing(timeout=0.3):
            events.append(await client.receive())
        pongs = [e for e in events if e["type"] == "pong"]
        errors = [e for e in events if e["type"] == "error"]
        assert errors and errors[0]["payload"]["error"] == "Slow down"
        assert 40 <= len(pongs) < 100


class TestRevocationReachesLiveSockets:
    async def test_logout_closes_sockets_using_that_token_only(self, ws_connect):
        alice = await create_user("alice")
        token, other_token = token_issue(alice), token_issue(alice)
        doomed = await ws_connect(token=token)
        survivor = await ws_connect(token=other_token)
        assert (await rest("post", "/api/v1/auth/logout", token)).status_code == 200
        event = await doomed.receive_type("error", timeout=1)
        assert "revoked" in event["payload"]["error"]
        assert await doomed.receive_close(timeout=1) == 4401
        await survivor.send("ping")
        assert (await survivor.receive_type("pong"))["type"] == "pong"

    async def test_password_change_closes_all_the_users_sockets(self, ws_connect):
        alice = await create_user("alice")
        token = token_issue(alice)
        first, second = await ws_connect(token=token), await ws_connect(alice)
        response = await rest(
            "patch", "/api/v1/auth/password", token, {"current_password": "secret123", "new_password": "brandnew1"}
        )
        assert response.status_code == 200
        assert await first.receive_close(timeout=1) == 4401
        assert await second.receive_close(timeout=1) == 4401

    async def test_deactivation_closes_the_users_sockets(self, ws_connect):
        from accounts.services import user_deactivate

        alice = await create_user("alice")
        client = await ws_connect(alice)
        await database_sync_to_async(user_deactivate)(user=alice)
        assert await client.receive_close(timeout=1) == 4401


class TestPresence:
    async def test_connect_marks_online_and_last_close_marks_offline_with_last_seen(self, ws_connect):
        alice = await create_user("alice")
        first = await ws_connect(alice)
        second = await ws_connect(alice)
        await wait_for_online_state(alice.id, True)
        await first.close()
        assert (await fetch_user(alice.id)).is_online, "still online while a second tab is open"
        await second.close()
        stored = await fetch_user(alice.id)
        assert not stored.is_online
        assert stored.last_seen is not None
