"""A member's notification level in a room: set it, see it, and the defaults."""

import uuid

import pytest

from broadcast.groups import user_group
from rooms.models import RoomMember
from rooms.services import room_member_add_by_staff

pytestmark = pytest.mark.django_db


def url(room_id) -> str:
    return f"/api/v1/rooms/{room_id}/notifications"


@pytest.fixture
def private_room(make_room, user, other_user):
    return make_room(user, name="Secret", type="private", members=[other_user])


@pytest.mark.parametrize("level", ["all", "mentions", "nothing"])
def test_member_sets_the_level_and_sees_it_in_the_room(api_client_for, other_user, private_room, level):
    client = api_client_for(other_user)
    response = client.patch(url(private_room.id), {"level": level}, format="json")
    assert response.status_code == 200
    assert response.json() == {"room_id": str(private_room.id), "level": level}
    assert RoomMember.objects.get(room=private_room, user=other_user).notify_level == level
    members = {m["user_id"]: m for m in client.get(f"/api/v1/rooms/{private_room.id}").json()["members"]}
    assert members[str(other_user.id)]["notify_level"] == level


def test_the_level_is_in_my_own_member_entry_with_its_default(api_client_for, user, other_user, private_room):
    members = {m["user_id"]: m for m in api_client_for(user).get(f"/api/v1/rooms/{private_room.id}").json()["members"]}
    assert members[str(user.id)]["notify_level"] == "mentions"


def test_nobody_sees_whether_another_member_muted_the_room(api_client_for, user, other_user, private_room):
    api_client_for(other_user).patch(url(private_room.id), {"level": "nothing"}, format="json")
    members = {m["user_id"]: m for m in api_client_for(user).get(f"/api/v1/rooms/{private_room.id}").json()["members"]}
    assert "notify_level" in members[str(other_user.id)]
    assert members[str(other_user.id)]["notify_level"] is None


def test_a_direct_room_starts_at_all(api_client_for, user, other_user):
    body = api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()
    assert [m["notify_level"] for m in body["members"] if m["user_id"] == str(user.id)] == ["all"]
    assert RoomMember.objects.get(room_id=body["id"], user=other_user).notify_level == "all"


def test_the_users_other_sockets_hear_the_new_level(
    api_client_for, other_user, private_room, published_events, django_capture_on_commit_callbacks
):
    mine = published_events(user_group(other_user.id))
    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(other_user).patch(url(private_room.id), {"level": "nothing"}, format="json")
    assert mine.events() == [{"type": "notify_level", "payload": {"room_id": str(private_room.id), "level": "nothing"}}]


@pytest.mark.parametrize(
    "body", [{}, {"level": ""}, {"level": "ALL"}, {"level": "loud"}, {"level": None}, {"level": ["all"]}]
)
def test_anything_but_the_three_levels_is_400(api_client_for, other_user, private_room, body):
    response = api_client_for(other_user).patch(url(private_room.id), body, format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert RoomMember.objects.get(room=private_room, user=other_user).notify_level == "mentions"


def test_invalid_choice_says_which_levels_exist(api_client_for, other_user, private_room):
    response = api_client_for(other_user).patch(url(private_room.id), {"level": "loud"}, format="json")
    assert "all, mentions, nothing" in str(response.json())


def test_outsider_gets_403_for_public_and_404_for_private_or_unknown(api_client_for, make_user, room, private_room):
    outsider = api_client_for(make_user("mallory"))
    assert outsider.patch(url(room.id), {"level": "all"}, format="json").status_code == 403
    assert outsider.patch(url(private_room.id), {"level": "all"}, format="json").status_code == 404
    assert outsider.patch(url(uuid.uuid4()), {"level": "all"}, format="json").status_code == 404


def test_needs_auth(api_client, room):
    assert api_client.patch(url(room.id), {"level": "all"}, format="json").status_code == 401


def test_staff_adding_someone_gives_the_rooms_default(make_room, user, other_user, make_user):
    low, high = sorted([user, other_user], key=lambda u: u.id)
    direct = make_room(user, type="direct", direct_user_low=low, direct_user_high=high)
    public = make_room(user)
    carol = make_user("carol")
    assert room_member_add_by_staff(room=direct, user=carol).notify_level == "all"
    assert room_member_add_by_staff(room=public, user=carol).notify_level == "mentions"
