"""GET /api/v1/mentions: the messages that mention me, newest first, in rooms I still belong to."""

import uuid

import pytest
from django.utils import timezone

from messaging.services import message_delete, message_edit, message_send
from rooms.models import RoomMember
from rooms.services import room_leave

pytestmark = pytest.mark.django_db

URL = "/api/v1/mentions"


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def chat(make_room, user, other_user, carol):
    """alice (admin), bob and carol in a public room."""
    return make_room(user, name="General", members=[other_user, carol])


def contents(body: dict) -> list[str]:
    return [message["content"] for message in body["data"]]


def test_lists_messages_mentioning_me_newest_first_with_their_room(api_client_for, chat, user, other_user, carol):
    first, _ = message_send(room_id=chat.id, sender=user, content="@bob one")
    message_send(room_id=chat.id, sender=user, content="@carol not bob")
    message_send(room_id=chat.id, sender=carol, content="@room two")
    response = api_client_for(other_user).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert contents(body) == ["@room two", "@bob one"]
    assert body["limit"] == 20 and body["has_more"] is False
    oldest = body["data"][1]
    assert oldest["room"] == {"id": str(chat.id), "name": "General", "type": "public"}
    assert oldest["id"] == str(first.id)
    assert oldest["mentions"] == [{"id": str(other_user.id), "username": "bob"}]
    assert oldest["sender"]["username"] == "alice"


def test_pages_back_with_before_and_has_more(api_client_for, chat, user, other_user):
    for n in range(5):
        message_send(room_id=chat.id, sender=user, content=f"@bob {n}")
    client = api_client_for(other_user)
    page = client.get(URL, {"limit": 2}).json()
    assert contents(page) == ["@bob 4", "@bob 3"] and page["has_more"] is True
    page = client.get(URL, {"limit": 2, "before": page["data"][-1]["id"]}).json()
    assert contents(page) == ["@bob 2", "@bob 1"] and page["has_more"] is True
    page = client.get(URL, {"limit": 2, "before": page["data"][-1]["id"]}).json()
    assert contents(page) == ["@bob 0"] and page["has_more"] is False


def test_my_own_mentions_of_myself_and_others_messages_stay_out(api_client_for, chat, user, other_user):
    message_send(room_id=chat.id, sender=user, content="note to @alice self")
    message_send(room_id=chat.id, sender=other_user, content="hello @room")
    assert contents(api_client_for(user).get(URL).json()) == ["hello @room"]


def test_rooms_i_left_deleted_messages_and_dropped_mentions_stay_out(api_client_for, make_room, chat, user, other_user):
    elsewhere = make_room(user, members=[other_user])
    message_send(room_id=elsewhere.id, sender=user, content="@bob elsewhere")
    deleted, _ = message_send(room_id=chat.id, sender=user, content="@bob deleted")
    message_delete(message_id=deleted.id, actor=user)
    changed, _ = message_send(room_id=chat.id, sender=user, content="@bob changed")
    message_edit(message_id=changed.id, editor=user, content="nobody now", now=timezone.now())
    message_send(room_id=chat.id, sender=user, content="@bob kept")
    client = api_client_for(other_user)
    assert contents(client.get(URL).json()) == ["@bob kept", "@bob elsewhere"]
    room_leave(room_id=elsewhere.id, user=other_user)
    assert contents(client.get(URL).json()) == ["@bob kept"]


def test_a_mention_added_by_an_edit_appears(api_client_for, chat, user, other_user):
    message, _ = message_send(room_id=chat.id, sender=user, content="hi")
    message_edit(message_id=message.id, editor=user, content="hi @bob", now=timezone.now())
    assert contents(api_client_for(other_user).get(URL).json()) == ["hi @bob"]


@pytest.mark.parametrize(("query", "status"), [({"before": "nope"}, 400), ({"limit": "0"}, 400), ({"limit": "x"}, 400)])
def test_bad_query_is_400(api_client_for, other_user, query, status):
    response = api_client_for(other_user).get(URL, query)
    assert response.status_code == status and "error" in response.json()


def test_before_a_message_that_never_mentioned_me_is_404(api_client_for, chat, user, other_user):
    not_mine, _ = message_send(room_id=chat.id, sender=user, content="@carol")
    client = api_client_for(other_user)
    for before in (not_mine.id, uuid.uuid4()):
        response = client.get(URL, {"before": str(before)})
        assert (response.status_code, response.json()) == (404, {"error": "Message not found"})


def test_limit_above_100_is_lowered(api_client_for, other_user):
    assert api_client_for(other_user).get(URL, {"limit": 500}).json()["limit"] == 100


def test_needs_auth(api_client):
    assert api_client.get(URL).status_code == 401


def test_one_page_is_one_query_whatever_its_size(api_client_for, chat, user, other_user, django_assert_max_num_queries):
    for n in range(30):
        message_send(room_id=chat.id, sender=user, content=f"@bob {n}")
    client = api_client_for(other_user)
    client.get(URL)  # warm the token's user cache, if any
    with django_assert_max_num_queries(3):
        assert len(client.get(URL, {"limit": 30}).json()["data"]) == 30


class TestMyRoomsCounts:
    """GET /rooms/me: each room's unread mentions of me and my notification level."""

    def test_mention_count_is_my_unread_messages_that_mention_me(self, api_client_for, chat, user, other_user, carol):
        message_send(room_id=chat.id, sender=user, content="@bob read already")
        RoomMember.objects.filter(room=chat, user=other_user).update(read_at=timezone.now())
        message_send(room_id=chat.id, sender=user, content="@bob new")
        message_send(room_id=chat.id, sender=carol, content="@room hi")
        message_send(room_id=chat.id, sender=user, content="plain")
        gone, _ = message_send(room_id=chat.id, sender=user, content="@bob deleted")
        message_delete(message_id=gone.id, actor=user)
        changed, _ = message_send(room_id=chat.id, sender=user, content="@bob edited away")
        message_edit(message_id=changed.id, editor=user, content="no one", now=timezone.now())
        message_send(room_id=chat.id, sender=other_user, content="@bob note to myself")

        [row] = api_client_for(other_user).get("/api/v1/rooms/me").json()["data"]
        assert (row["unread_count"], row["mention_count"]) == (4, 2)
        assert row["notify_level"] == "mentions"

    def test_each_room_counts_its_own_mentions_and_shows_my_level(
        self, api_client_for, make_room, chat, user, other_user
    ):
        direct = api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()
        message_send(room_id=direct["id"], sender=user, content="@bob psst")
        quiet = make_room(user, name="Quiet", members=[other_user])
        RoomMember.objects.filter(room=quiet, user=other_user).update(notify_level="nothing")
        client = api_client_for(other_user)
        rows = {row["id"]: row for row in client.get("/api/v1/rooms/me").json()["data"]}
        assert {(r["mention_count"], r["notify_level"]) for r in rows.values()} == {
            (1, "all"),
            (0, "mentions"),
            (0, "nothing"),
        }
        assert (rows[direct["id"]]["mention_count"], rows[str(chat.id)]["mention_count"]) == (1, 0)
