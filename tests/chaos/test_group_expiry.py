"""A socket held open longer than the channel layer's group expiry still receives."""

import asyncio
import json

import pytest
import websockets

from tests.chaos.helpers import register_users, report, shared_room

pytestmark = pytest.mark.chaos

GROUP_EXPIRY = 10  # the smallest CHANNEL_GROUP_EXPIRY settings accept


async def receive_type(socket, event_type: str, timeout: float) -> dict | None:
    async def wait() -> dict:
        while True:
            event = json.loads(await socket.recv())
            if event["type"] == event_type:
                return event

    try:
        return await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        return None


async def test_socket_open_past_the_group_expiry_still_receives(chaos_servers):
    server = chaos_servers(
        CHANNEL_GROUP_EXPIRY=str(GROUP_EXPIRY), PRESENCE_TTL_SECONDS="6", PRESENCE_REFRESH_SECONDS="2"
    )
    alice, bob = register_users(server, 2)
    room_id = shared_room(server, [alice, bob])
    listener = await websockets.connect(server.ws, additional_headers={"Authorization": f"Bearer {bob}"})
    try:
        await receive_type(listener, "user_online", 10)
        await asyncio.sleep(GROUP_EXPIRY + 5)
        status, sent = server.post(f"/api/v1/rooms/{room_id}/messages", {"content": "still there?"}, alice)
        assert status == 201, sent
        received = await receive_type(listener, "new_message", 5)
        figures = {
            "group_expiry_seconds": GROUP_EXPIRY,
            "socket_open_seconds_before_message": GROUP_EXPIRY + 5,
            "message_received": received is not None and received["payload"]["id"] == sent["id"],
        }
        report("group_expiry", figures)
        assert figures["message_received"], figures
    finally:
        await listener.close()
