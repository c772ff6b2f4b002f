"""Every client WebSocket event x {anonymous, outsider, member, room admin, creator, staff} on a
private room, in one transactional test (a flush per cell would cost seconds). A private room's
traffic never reaches an outsider's socket."""

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from rooms.models import Room, RoomMember

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["anonymous", "outsider", "member", "room_admin", "creator", "staff"]
NOT_MEMBER = ("error", "You are not a member of this room")
# What the sender hears back first: (event type, error text or None).
EXPECTED = {
    "ping": {role: ("pong", None) for role in ROLES},
    "auth": {role: (None, None) for role in ROLES},  # a repeated auth is ignored
    "join_room": {"outsider": NOT_MEMBER, "staff": NOT_MEMBER, **dict.fromkeys(["member", "room_admin", "creator"], ("user_joined", None))},
    "leave_room": {"outsider": NOT_MEMBER, "staff": NOT_MEMBER, **dict.fromkeys(["member", "room_admin", "creator"], ("user_left", None))},
    "typing": {"outsider": NOT_MEMBER, "staff": NOT_MEMBER, **dict.fromkeys(["member", "room_admin", "creator"], (None, None))},
    "stop_typing": {"outsider": NOT_MEMBER, "staff": NOT_MEMBER, **dict.fromkeys(["member", "room_admin", "creator"], (None, None))},
    "send_message": {"outsider": ("error", "Room not found"), "staff": ("error", "Room not found"), **dict.fromkeys(["member", "room_admin", "creator"], ("new_message", None))},
    # Members get the room's messages replayed first; others get `resumed` with nothing replayed.
    "resume": {"outsider": ("resumed", None), "staff": ("resumed", None), **dict.fromkeys(["member", "room_admin", "creator"], ("new_message", None))},
}  # fmt: skip
for event, table in EXPECTED.items():
    table["anonymous"] = ("error", "Invalid or expired token" if event == "auth" else "Authentication required")


@database_sync_to_async
def make_world() -> tuple[dict[str, User], Room]:
    people = {
        role: User.objects.create_user(
            role.replace("_", ""),
            f"{role}@example.com",
            "secret123",
            is_staff=role == "staff",
            is_superuser=role == "staff",
        )
        for role in ROLES[1:]
    }
    room = Room.objects.create(name="Secret", type=Room.Type.PRIVATE, created_by=people["creator"])
    RoomMember.objects.create(room=room, user=people["creator"], role=RoomMember.Role.ADMIN)
    RoomMember.objects.create(room=room, user=people["room_admin"], role=RoomMember.Role.ADMIN)
    RoomMember.objects.create(room=room, user=people["member"])
    return people, room


def payload(event: str, room_id: str, role: str) -> dict:
    if event == "auth":
        return {"token": "anything"}
    if event == "send_message":
        return {"room_id": room_id, "content": f"from {role}"}
    if event == "resume":
        return {"rooms": {room_id: None}}
    return {"room_id": room_id} if event != "ping" else {}


async def answer(client, *, wait: float) -> tuple[str | None, str | None]:
    """The first event this socket hears about its own frame (presence noise skipped), or nothing
    after `wait` seconds without a word."""
    while not await client.receive_nothing(timeout=wait):
        event = await client.receive()
        if event["type"] in ("user_online", "user_offline"):
            continue
        return event["type"], event["payload"].get("error") if event["type"] == "error" else None
    return None, None


@pytest.mark.usefixtures("ws_cleanup")
async def test_every_event_for_every_role(ws_connect):
    people, room = await make_world()
    room_id = str(room.id)
    actual = {}
    for event in EXPECTED:
        for role in ROLES:
            if role == "anonymous":
                client = await ws_connect(expect_ok=False)
                assert (await client.receive())["type"] == "auth_required"
            else:
                client = await ws_connect(people[role])
            await client.send(event, payload(event, room_id, role))
            # A cell that expects an answer waits for it up to 5 s (a machine busy with other tests
            # may take over a second); one that expects none listens for 0.3 s.
            wait = 0.3 if EXPECTED[event][role] == (None, None) else 5
            actual.setdefault(event, {})[role] = await answer(client, wait=wait)
            await client.close()
    assert actual == EXPECTED


@pytest.mark.usefixtures("ws_cleanup")
async def test_outsider_and_staff_sockets_hear_nothing_of_a_private_room(ws_connect):
    people, room = await make_world()
    outsider, staff = await ws_connect(people["outsider"]), await ws_connect(people["staff"])
    member = await ws_connect(people["member"])
    await member.send("send_message", {"room_id": str(room.id), "content": "for members only"})
    assert (await member.receive_type("new_message"))["payload"]["content"] == "for members only"
    await member.send("typing", {"room_id": str(room.id)})
    for socket in (outsider, staff):
        assert await socket.receive_none_of_type("new_message")
        assert await socket.receive_none_of_type("typing", timeout=0.2)
