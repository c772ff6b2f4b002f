"""Who may do what: every REST endpoint x {anonymous, outsider, member, room admin, creator, staff}.

The world: `creator` made a private room, a public room and a direct room with `member`;
`room_admin` is an admin (not the creator) of both group rooms; `member` belongs to all three and
has just sent one message in each (unread, so its sender may still edit it); `outsider` belongs to
none; `staff` is a Django superuser who is in no room: staff powers live in /admin/ only, so the
API treats staff exactly like an outsider. Each cell is the exact status and, for refusals, the
exact error.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from dms.services import dm_get_or_create

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "member", "room_admin", "creator", "staff"]

ERRORS = {
    "401": (401, "Authorization header is required"),
    "404room": (404, "Room not found"),
    "404msg": (404, "Message not found"),
    "403member": (403, "You are not a member of this room"),
    "403private": (403, "This room is private"),
    "403delete": (403, "Only the room creator or an admin can delete this room"),
    "403add": (403, "Only room admins can add members"),
    "403edit": (403, "You can only edit your own messages"),
    "403delmsg": (403, "You can only delete your own messages"),
    "404pin": (404, "Message is not pinned"),
    "404reaction": (404, "You have not reacted with this emoji"),
    "400dm_members": (400, "Members cannot be added to a direct message room"),
    "400dm_delete": (400, "Direct message rooms cannot be deleted"),
    "400dm_leave": (400, "You cannot leave a direct message room"),
}


def cells(*codes) -> dict[str, tuple[int, str | None]]:
    assert len(codes) == len(ROLES)
    return {
        role: ERRORS[code] if isinstance(code, str) else (code, None) for role, code in zip(ROLES, codes, strict=True)
    }


# (method, path, body, private room, public room, direct room); {room} and {message} are filled in.
ROOM_ENDPOINTS = [
    ("get", "/api/v1/rooms/{room}", None,
     cells("401", "404room", 200, 200, 200, "404room"),
     cells("401", 200, 200, 200, 200, 200),
     cells("401", "404room", 200, "404room", 200, "404room")),
    ("delete", "/api/v1/rooms/{room}", None,
     cells("401", "404room", "403delete", 200, 200, "404room"),
     cells("401", "403delete", "403delete", 200, 200, "403delete"),
     cells("401", "404room", "400dm_delete", "404room", "400dm_delete", "404room")),
    ("post", "/api/v1/rooms/{room}/join", None,
     cells("401", "403private", 200, 200, 200, "403private"),
     cells("401", 200, 200, 200, 200, 200),
     cells("401", "404room", 200, "404room", 200, "404room")),
    ("post", "/api/v1/rooms/{room}/leave", None,
     cells("401", "404room", 200, 200, 200, "404room"),
     cells("401", 200, 200, 200, 200, 200),
     cells("401", "404room", "400dm_leave", "404room", "400dm_leave", "404room")),
    ("post", "/api/v1/rooms/{room}/members", {"user_id": "{newcomer}"},
     cells("401", "404room", "403add", 201, 201, "404room"),
     cells("401", "403member", "403add", 201, 201, "403member"),
     cells("401", "404room", "400dm_members", "404room", "400dm_members", "404room")),
    ("post", "/api/v1/rooms/{room}/read", None,
     cells("401", "404room", 200, 200, 200, "404room"),
     cells("401", "403member", 200, 200, 200, "403member"),
     cells("401", "404room", 200, "404room", 200, "404room")),
    ("get", "/api/v1/rooms/{room}/messages", None,
     cells("401", "404room", 200, 200, 200, "404room"),
     cells("401", "403member", 200, 200, 200, "403member"),
     cells("401", "404room", 200, "404room", 200, "404room")),
    ("get", "/api/v1/rooms/{room}/messages?around={message}", None,
     cells("401", "404room", 200, 200, 200, "404room"),
     cells("401", "403member", 200, 200, 200, "403member"),
     cells("401", "404room", 200, "404room", 200, "404room")),
    ("post", "/api/v1/rooms/{room}/messages", {"content": "hi"},
     cells("401", "404room", 201, 201, 201, "404room"),
     cells("401", "403member", 201, 201, 201, "403member"),
     cells("401", "404room", 201, "404room", 201, "404room")),
    ("patch", "/api/v1/messages/{message}", {"content": "changed"},
     cells("401", "404msg", 200, "403edit", "403edit", "404msg"),
     cells("401", "404msg", 200, "403edit", "403edit", "404msg"),
     cells("401", "404msg", 200, "404msg", "403edit", "404msg")),
    ("delete", "/api/v1/messages/{message}", None,
     cells("401", "404msg", 200, 200, 200, "404msg"),
     cells("401", "404msg", 200, 200, 200, "404msg"),
     cells("401", "404msg", 200, "404msg", "403delmsg", "404msg")),
    ("get", "/api/v1/rooms/{room}/pins", None,
     cells("401", "404room", 200, 200, 200, "404room"),
     cells("401", "403member", 200, 200, 200, "403member"),
     cells("401", "404room", 200, "404room", 200, "404room")),
    ("put", "/api/v1/rooms/{room}/pins/{message}", None,
     cells("401", "404room", 201, 201, 201, "404room"),
     cells("401", "403member", 201, 201, 201, "403member"),
     cells("401", "404room", 201, "404room", 201, "404room")),
    ("delete", "/api/v1/rooms/{room}/pins/{message}", None,
     cells("401", "404room", "404pin", "404pin", "404pin", "404room"),
     cells("401", "403member", "404pin", "404pin", "404pin", "403member"),
     cells("401", "404room", "404pin", "404room", "404pin", "404room")),
    ("put", "/api/v1/messages/{message}/reactions/%F0%9F%91%8D", None,
     cells("401", "404msg", 201, 201, 201, "404msg"),
     cells("401", "404msg", 201, 201, 201, "404msg"),
     cells("401", "404msg", 201, "404msg", 201, "404msg")),
    ("delete", "/api/v1/messages/{message}/reactions/%F0%9F%91%8D", None,
     cells("401", "404msg", "404reaction", "404reaction", "404reaction", "404msg"),
     cells("401", "404msg", "404reaction", "404reaction", "404reaction", "404msg"),
     cells("401", "404msg", "404reaction", "404msg", "404reaction", "404msg")),
]  # fmt: skip

ROOM_CASES = [
    pytest.param(method, path, body, kind, expected, id=f"{method} {path} {kind}")
    for method, path, body, private, public, direct in ROOM_ENDPOINTS
    for kind, expected in (("private", private), ("public", public), ("direct", direct))
]

# Endpoints about the caller only: anyone with a token, nobody without.
ACCOUNT_ENDPOINTS = [
    ("get", "/api/v1/auth/me", None, 200),
    ("patch", "/api/v1/auth/me", {"status": "busy"}, 200),
    ("post", "/api/v1/auth/logout", None, 200),
    ("patch", "/api/v1/auth/username", {"username": "renamed"}, 200),
    ("patch", "/api/v1/auth/email", {"email": "renamed@example.com", "current_password": "secret123"}, 200),
    ("patch", "/api/v1/auth/password", {"current_password": "secret123", "new_password": "another1"}, 200),
    ("get", "/api/v1/users/search?q=new", None, 200),
    ("get", "/api/v1/users/{newcomer}", None, 200),
    ("get", "/api/v1/rooms", None, 200),
    ("post", "/api/v1/rooms", {"name": "Fresh room"}, 201),
    ("get", "/api/v1/rooms/me", None, 200),
    ("get", "/api/v1/dm", None, 200),
    ("post", "/api/v1/dm", {"recipient_id": "{newcomer}"}, 201),
    ("post", "/api/v1/upload", "png", 201),
]
ACCOUNT_CASES = [
    pytest.param(
        method,
        path,
        body,
        {role: ERRORS["401"] if role == "anonymous" else (status, None) for role in ROLES},
        id=f"{method} {path}",
    )
    for method, path, body, status in ACCOUNT_ENDPOINTS
]


@pytest.fixture
def world(make_user, make_room, make_message, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    people = {
        "creator": make_user("creator"),
        "room_admin": make_user("roomadmin"),
        "member": make_user("member"),
        "outsider": make_user("outsider"),
        "staff": make_user("staffer", is_staff=True, is_superuser=True),
    }
    newcomer = make_user("newcomer")
    creator, member = people["creator"], people["member"]
    rooms = {
        "private": make_room(creator, type="private", members=[member], admins=[people["room_admin"]]),
        "public": make_room(creator, type="public", members=[member], admins=[people["room_admin"]]),
    }
    rooms["direct"] = dm_get_or_create(user=creator, recipient_id=member.id)[0]
    messages = {kind: make_message(room, member, "secret words") for kind, room in rooms.items()}
    return people, newcomer, rooms, messages


def client_for(people: dict, role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(people[role])}")
    return client


def fill(value, **names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: fill(item, **names) for key, item in value.items()}
    return value


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("dot.png", buffer.getvalue())


def cell(response) -> tuple[int, str | None]:
    """(status, error) as the matrix writes it: the error only for refusals."""
    if response.status_code < 400:
        return response.status_code, None
    return response.status_code, response.json()["error"]


def run_for_every_role(request_for_role) -> dict[str, tuple[int, str | None]]:
    """Each role acts on the same world; a savepoint undoes what it did before the next one acts."""
    table = {}
    for role in ROLES:
        with transaction.atomic():
            table[role] = cell(request_for_role(role))
            transaction.set_rollback(True)
    return table


def expected_table(expected: dict[str, tuple[int, str | None]]) -> dict[str, tuple[int, str | None]]:
    return {role: (status, error) if status >= 400 else (status, None) for role, (status, error) in expected.items()}


@pytest.mark.parametrize("method,path,body,kind,expected", ROOM_CASES)
def test_room_endpoints(world, method, path, body, kind, expected):
    people, newcomer, rooms, messages = world
    names = {"room": rooms[kind].id, "message": messages[kind].id, "newcomer": newcomer.id}

    def act(role):
        return getattr(client_for(people, role), method)(fill(path, **names), fill(body, **names), format="json")

    assert run_for_every_role(act) == expected_table(expected)


@pytest.mark.parametrize("method,path,body,expected", ACCOUNT_CASES)
def test_account_endpoints(world, method, path, body, expected):
    people, newcomer, _rooms, _messages = world

    def act(role):
        client = client_for(people, role)
        if body == "png":
            return client.post(path, {"file": png()}, format="multipart")
        return getattr(client, method)(
            fill(path, newcomer=newcomer.id), fill(body, newcomer=newcomer.id), format="json"
        )

    assert run_for_every_role(act) == expected_table(expected)


def test_search_finds_each_rooms_message_for_its_members_only(world):
    """GET /search answers 200 to everyone signed in; what it finds is what each role may read."""
    people, _newcomer, rooms, _messages = world
    kind_of = {str(room.id): kind for kind, room in rooms.items()}

    def found(role):
        response = client_for(people, role).get("/api/v1/search", {"q": "secret words"})
        if response.status_code != 200:
            return cell(response)
        return sorted(kind_of[item["room"]["id"]] for item in response.json()["data"])

    assert {role: found(role) for role in ROLES} == {
        "anonymous": ERRORS["401"],
        "outsider": [],
        "member": ["direct", "private", "public"],
        "room_admin": ["private", "public"],
        "creator": ["direct", "private", "public"],
        "staff": [],
    }
