"""GET /rooms/<id>/messages?around=<message_id>: the conversation around one message (a link to it)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_room, user, other_user):
    return make_room(user, members=[other_user])


@pytest.fixture
def history(chat, user, other_user, make_message):
    """11 messages a second apart, oldest first, except m4-m7: one timestamp, ordered by their ids."""
    start = timezone.now() - timedelta(hours=1)
    return [
        make_message(
            chat,
            (user, other_user)[i % 2],
            f"m{i}",
            id=uuid.UUID(int=i + 1),
            created_at=start + timedelta(seconds=4 if 4 <= i <= 7 else i),
        )
        for i in range(11)
    ]


def around(client, room, message_id, limit=None):
    params = {"around": str(message_id)} | ({"limit": limit} if limit else {})
    return client.get(f"/api/v1/rooms/{room.id}/messages", params)


def test_target_sits_in_the_middle_oldest_first(api_client_for, other_user, chat, history):
    body = around(api_client_for(other_user), chat, history[5].id, limit=5).json()
    assert [m["content"] for m in body["data"]] == ["m3", "m4", "m5", "m6", "m7"]
    assert body["data"][2]["id"] == str(history[5].id)
    assert {k: v for k, v in body.items() if k != "data"} == {
        "limit": 5,
        "has_more_before": True,
        "has_more_after": True,
    }


def test_an_even_limit_shows_one_more_newer_message(api_client_for, user, chat, history):
    body = around(api_client_for(user), chat, history[5].id, limit=4).json()
    assert [m["content"] for m in body["data"]] == ["m4", "m5", "m6", "m7"]


def test_near_the_ends_it_says_nothing_more_lies_there(api_client_for, user, chat, history):
    client = api_client_for(user)
    first = around(client, chat, history[0].id, limit=5).json()
    assert [m["content"] for m in first["data"]] == ["m0", "m1", "m2"]
    assert (first["has_more_before"], first["has_more_after"]) == (False, True)
    last = around(client, chat, history[10].id).json()  # the default limit, 20: 9 older ones
    assert [m["content"] for m in last["data"]] == [f"m{i}" for i in range(1, 11)]
    assert (last["limit"], last["has_more_before"], last["has_more_after"]) == (20, True, False)
    everything = around(client, chat, history[10].id, limit=30).json()
    assert [m["content"] for m in everything["data"]] == [f"m{i}" for i in range(11)]
    assert (everything["has_more_before"], everything["has_more_after"]) == (False, False)


def test_messages_are_the_history_json(api_client_for, user, chat, history):
    client = api_client_for(user)
    page = client.get(f"/api/v1/rooms/{chat.id}/messages", {"limit": 50}).json()["data"]
    body = around(client, chat, history[5].id, limit=3).json()
    assert body["data"] == list(reversed(page))[4:7]


def test_a_deleted_target_is_still_shown_blanked(api_client_for, user, chat, history):
    Message.objects.filter(pk=history[5].pk).update(is_deleted=True)
    target = around(api_client_for(user), chat, history[5].id, limit=3).json()["data"][1]
    assert (target["id"], target["is_deleted"], target["content"]) == (str(history[5].id), True, "")


def test_a_message_of_another_room_is_not_found(api_client_for, user, chat, make_room, make_message):
    elsewhere = make_message(make_room(user), user, "elsewhere")
    response = around(api_client_for(user), chat, elsewhere.id)
    assert response.status_code == 404 and response.json() == {"error": "Message not found"}
    assert around(api_client_for(user), chat, uuid.uuid4()).status_code == 404


def test_outsiders_are_refused_as_for_other_history_reads(api_client_for, make_user, make_room, user, make_message):
    outsider = make_user("mallory")
    public = make_room(user)
    private = make_room(user, type="private")
    public_message, private_message = make_message(public, user), make_message(private, user)
    client = api_client_for(outsider)
    assert around(client, public, public_message.id).status_code == 403
    assert around(client, private, private_message.id).status_code == 404


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"around": "nope"}, "around must be a message ID"),
        ({"around": "{id}", "before": "{id}"}, "Use only one of before, after and around"),
        ({"around": "{id}", "after": "{id}"}, "Use only one of before, after and around"),
    ],
)
def test_bad_input_is_a_400(api_client_for, user, chat, history, params, error):
    params = {k: v.format(id=history[0].id) for k, v in params.items()}
    response = api_client_for(user).get(f"/api/v1/rooms/{chat.id}/messages", params)
    assert response.status_code == 400 and response.json() == {"error": error}
