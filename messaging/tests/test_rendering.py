"""History pages rendered by PostgreSQL must be exactly what `message_json` gives, page for page."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging import selectors
from messaging.models import MESSAGE_RELATED, Message
from messaging.serializers import message_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_room(make_room, user, other_user, make_message):
    """A room holding every kind of message, oldest first, one second apart."""
    room = make_room(user, members=[other_user])
    other_user.avatar = "/media/avatars/o.png"
    other_user.save(update_fields=["avatar"])
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    at = iter(start + timedelta(seconds=n, microseconds=0 if n % 3 == 0 else 1000 * n + 7) for n in range(100))
    original = make_message(room, other_user, "original", created_at=next(at))
    gone = make_message(room, other_user, "secret", is_deleted=True, created_at=next(at))
    make_message(room, user, 'quotes " and \\ backslash\nnew line\ttab \u2028 é 🙂 <b>', created_at=next(at))
    make_message(room, user, "fixed", is_edited=True, client_msg_id="c-42", created_at=next(at))
    make_message(
        room, user, "", type="file", file_url="/media/u/a.pdf", file_name="a.pdf", file_size=1234, created_at=next(at)
    )
    make_message(
        room, user, "x", is_deleted=True, type="image", file_url="/media/u/b.png", file_name="b.png",
        file_size=9, created_at=next(at),
    )  # fmt: skip
    make_message(room, user, "re", reply_to=original, created_at=next(at))
    make_message(room, user, "re gone", reply_to=gone, created_at=next(at))
    make_message(room, other_user, "a \x1f control character", created_at=next(at))
    bob = [{"id": str(other_user.id), "username": "bob"}]
    make_message(room, user, "@bob @room", mentions=bob, mentions_room=True, created_at=next(at))
    make_message(room, user, "", is_deleted=True, mentions=bob, mentions_room=True, created_at=next(at))
    reacted = [
        {"emoji": "👍🏽", "count": 7, "user_ids": [str(other_user.id)], "first_at": "2026-01-01T00:00:00.000000+00:00"},
        {
            "emoji": "\u2764\ufe0f",
            "count": 1,
            "user_ids": [str(user.id)],
            "first_at": "2026-01-01T00:00:01.000000+00:00",
        },
    ]
    make_message(
        room,
        user,
        '**rich** "quoted"',
        content_html='<p><strong>rich</strong> "quoted" <a href="https://x.example/?a=1&amp;b=2">x</a></p>',
        reactions=reacted,
        pinned_at=start,
        pinned_by=other_user,
        created_at=next(at),
    )
    make_message(room, user, "", is_deleted=True, content_html="<p>gone</p>", reactions=reacted, pinned_at=start,
                 created_at=next(at))  # fmt: skip
    for n in range(4):
        make_message(room, other_user, f"filler {n}", created_at=next(at))
    return room


def expected(room, *, newest_first: bool) -> list[dict]:
    order = ("-created_at", "-id") if newest_first else ("created_at", "id")
    messages = Message.objects.filter(room=room).select_related(*MESSAGE_RELATED).order_by(*order)
    return [message_json(message) for message in messages]


def test_every_kind_of_message_renders_as_message_json_on_every_page(varied_room):
    everything = expected(varied_room, newest_first=True)
    assert len(everything) == 17
    pages = []
    for page in (1, 2, 3, 4, 5):
        rendered = selectors.message_page_json(room_id=varied_room.id, page=page, limit=4)
        assert rendered.page.total == 17
        pages.extend(json.loads(rendered.data_json))
    assert pages == everything


def test_cursor_pages_match_message_json_and_tell_whether_more_follow(varied_room):
    newest_first = expected(varied_room, newest_first=True)
    oldest_first = expected(varied_room, newest_first=False)
    before = selectors.messages_before_json(room_id=varied_room.id, before_id=newest_first[5]["id"], limit=4)
    assert json.loads(before.data_json) == newest_first[6:10]
    assert before.has_more
    last = selectors.messages_before_json(room_id=varied_room.id, before_id=newest_first[12]["id"], limit=4)
    assert json.loads(last.data_json) == newest_first[13:17]
    assert not last.has_more
    after = selectors.messages_after_json(room_id=varied_room.id, after_id=oldest_first[2]["id"], limit=20)
    assert json.loads(after.data_json) == oldest_first[3:]
    assert not after.has_more


def test_the_orm_path_renders_the_same(varied_room, settings):
    # Another time zone name (same offset) takes the path the embedded SQLite uses.
    settings.TIME_ZONE = "Etc/UTC"
    rendered = selectors.message_page_json(room_id=varied_room.id, page=1, limit=100)
    assert json.loads(rendered.data_json) == expected(varied_room, newest_first=True)


def test_a_page_beyond_the_last_is_empty_and_an_empty_room_renders_an_empty_list(varied_room, make_room, user):
    beyond = selectors.message_page_json(room_id=varied_room.id, page=9, limit=4)
    assert (beyond.data_json, beyond.page.total) == ("[]", 17)
    empty = selectors.message_page_json(room_id=make_room(user).id, page=1, limit=50)
    assert (empty.data_json, empty.page.total) == ("[]", 0)


def test_a_history_request_stays_within_four_queries(varied_room, user, api_client_for):
    client = api_client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/rooms/{varied_room.id}/messages?limit=50")
    assert response.status_code == 200
    assert response.json()["data"] == expected(varied_room, newest_first=True)
    # The token with its blacklist row, the membership with its room, the page with its count.
    assert len(queries.captured_queries) == 3, [q["sql"][:80] for q in queries.captured_queries]


def test_the_database_writes_the_keys_in_message_json_order(varied_room):
    rendered = selectors.message_page_json(room_id=varied_room.id, page=1, limit=100)
    expected_pages = expected(varied_room, newest_first=True)
    for from_database, from_python in zip(json.loads(rendered.data_json), expected_pages, strict=True):
        assert list(from_database) == list(from_python)
        for reaction_db, reaction_py in zip(from_database["reactions"], from_python["reactions"], strict=True):
            assert list(reaction_db) == list(reaction_py) == ["emoji", "count", "user_ids"]
    assert any(message["reactions"] and message["pinned"] for message in expected_pages)
