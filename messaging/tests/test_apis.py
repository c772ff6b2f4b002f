import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from broadcast.groups import room_group
from messaging.models import Message
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db

# An id that no row has: a fixed one, as parallel test workers must all collect the same test ids.
UNKNOWN_ID = "3f2b9c1e-8d4a-4e7b-9a6c-5d1e2f3a4b5c"

MESSAGE_KEYS = [
    "id",
    "room_id",
    "sender_id",
    "sender",
    "content",
    "content_html",
    "type",
    "file_url",
    "file_name",
    "file_size",
    "is_edited",
    "is_deleted",
    "reply_to_id",
    "reply_to",
    "mentions",
    "mentions_room",
    "reactions",
    "pinned",
    "client_msg_id",
    "created_at",
    "updated_at",
    "changed_at",
    "link_preview",
]


@pytest.fixture
def chat(make_room, user, other_user):
    """alice (admin) and bob (member) in a public room."""
    return make_room(user, members=[other_user])


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def history(chat, user, other_user, make_message):
    """25 messages one second apart, oldest first."""
    start = timezone.now() - timedelta(hours=1)
    return [
        make_message(chat, (user, other_user)[i % 2], f"m{i}", created_at=start + timedelta(seconds=i))
        for i in range(25)
    ]


def url(room) -> str:
    return f"/api/v1/rooms/{room.id}/messages"


class TestHistory:
    def test_seed_example_pages_newest_first(self, api_client_for, other_user, chat, history):
        body = api_client_for(other_user).get(f"{url(chat)}?page=1&limit=50").json()
        assert [m["content"] for m in body["data"]] == [f"m{i}" for i in reversed(range(25))]
        assert {k: body[k] for k in ("total", "page", "limit", "total_pages")} == {
            "total": 25,
            "page": 1,
            "limit": 50,
            "total_pages": 1,
        }
        assert "partner_read_at" not in body
        assert list(body["data"][0]) == MESSAGE_KEYS
        assert body["data"][1]["sender"] == {"id": str(other_user.id), "username": "bob", "avatar": ""}

    def test_default_page_is_20_and_page_2_holds_the_rest(self, api_client_for, user, chat, history):
        client = api_client_for(user)
        first, second = client.get(url(chat)).json(), client.get(f"{url(chat)}?page=2").json()
        assert len(first["data"]) == 20 and first["total_pages"] == 2
        assert [m["content"] for m in second["data"]] == [f"m{i}" for i in reversed(range(5))]

    def test_page_runs_bounded_queries_with_replies(
        self, api_client_for, user, other_user, chat, history, make_message, django_assert_max_num_queries
    ):
        for target in history[:10]:
            make_message(chat, other_user, "re", reply_to=target)
        client = api_client_for(user)
        # token checks (2), membership, count, one page with senders and replies joined
        with django_assert_max_num_queries(5):
            body = client.get(f"{url(chat)}?limit=100").json()
        assert len(body["data"]) == 35
        assert body["data"][0]["reply_to"]["sender"]["username"] in ("alice", "bob")

    def test_before_walks_back_across_pages_without_gap_or_duplicate(self, api_client_for, user, chat, history):
        client = api_client_for(user)
        seen, cursor = [], history[-1].id
        seen.append(str(cursor))
        while True:
            body = client.get(f"{url(chat)}?before={cursor}&limit=7").json()
            seen.extend(m["id"] for m in body["data"])
            if not body["has_more"]:
                break
            cursor = body["data"][-1]["id"]
        assert seen == [str(m.id) for m in reversed(history)]

    def test_after_catches_up_oldest_first_across_pages(
        self, api_client_for, user, chat, history, django_assert_max_num_queries
    ):
        client = api_client_for(user)
        seen, cursor = [], history[0].id
        while True:
            with django_assert_max_num_queries(5):
                body = client.get(f"{url(chat)}?after={cursor}&limit=10").json()
            assert body["limit"] == 10
            seen.extend(m["id"] for m in body["data"])
            if not body["has_more"]:
                break
            cursor = body["data"][-1]["id"]
        assert seen == [str(m.id) for m in history[1:]]

    def test_cursor_order_is_total_when_timestamps_tie(self, api_client_for, user, chat, make_message):
        moment = timezone.now()
        tied = sorted((make_message(chat, user, f"t{i}", created_at=moment) for i in range(6)), key=lambda m: m.id)
        client = api_client_for(user)
        first = client.get(f"{url(chat)}?after={tied[0].id}&limit=2").json()
        rest = client.get(f"{url(chat)}?after={first['data'][-1]['id']}&limit=10").json()
        assert [m["id"] for m in first["data"] + rest["data"]] == [str(m.id) for m in tied[1:]]

    def test_after_the_newest_message_is_empty(self, api_client_for, user, chat, history):
        body = api_client_for(user).get(f"{url(chat)}?after={history[-1].id}").json()
        assert body == {"data": [], "limit": 20, "has_more": False}

    def test_both_cursors_is_400(self, api_client_for, user, chat, history):
        response = api_client_for(user).get(f"{url(chat)}?after={history[0].id}&before={history[1].id}")
        assert response.status_code == 400

    @pytest.mark.parametrize("query,status", [("after=nope", 400), (f"before={UNKNOWN_ID}", 404), ("limit=0", 400)])
    def test_bad_cursor_or_limit(self, api_client_for, user, chat, history, query, status):
        response = api_client_for(user).get(f"{url(chat)}?{query}")
        assert response.status_code == status
        assert "error" in response.json()

    def test_limit_above_100_is_lowered_to_100(self, api_client_for, user, chat, history):
        body = api_client_for(user).get(f"{url(chat)}?limit=500").json()
        assert body["limit"] == 100

    def test_cursor_from_another_room_is_404(self, api_client_for, user, chat, make_room, make_message):
        foreign = make_message(make_room(user), user)
        assert api_client_for(user).get(f"{url(chat)}?before={foreign.id}").status_code == 404

    def test_outsider_of_public_room_gets_403(self, api_client_for, make_user, chat, history):
        response = api_client_for(make_user()).get(url(chat))
        assert (response.status_code, response.json()) == (403, {"error": "You are not a member of this room"})

    def test_outsider_of_private_room_gets_404(self, api_client_for, make_user, make_room, user):
        private = make_room(user, type="private")
        response = api_client_for(make_user()).get(url(private))
        assert (response.status_code, response.json()) == (404, {"error": "Room not found"})

    @pytest.mark.parametrize("room_id", ["garbage", UNKNOWN_ID])
    def test_bad_or_unknown_room_is_404(self, api_client_for, user, room_id):
        assert api_client_for(user).get(f"/api/v1/rooms/{room_id}/messages").status_code == 404

    def test_deleted_message_keeps_its_place_without_content(self, api_client_for, user, chat, make_message):
        gone = make_message(chat, user, "oops", is_deleted=True, file_url="/media/x.png", file_name="x.png")
        [row] = api_client_for(user).get(url(chat)).json()["data"]
        assert row["id"] == str(gone.id) and row["is_deleted"] is True
        assert (row["content"], row["file_url"], row["file_name"], row["file_size"]) == ("", "", "", None)

    def test_direct_room_history_has_partner_read_at(self, api_client_for, user, other_user):
        room_id = (
            api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()["id"]
        )
        client = api_client_for(user)
        assert client.get(f"/api/v1/rooms/{room_id}/messages").json()["partner_read_at"] is None
        api_client_for(other_user).post(f"/api/v1/rooms/{room_id}/read")
        read_at = RoomMember.objects.get(room_id=room_id, user=other_user).read_at
        body = client.get(f"/api/v1/rooms/{room_id}/messages?after={uuid.uuid4()}")
        assert body.status_code == 404
        assert client.get(f"/api/v1/rooms/{room_id}/messages").json()["partner_read_at"] == read_at.isoformat().replace(
            "+00:00", "Z"
        )


class TestSend:
    def test_member_posts_message_201_and_room_hears_it(
        self, api_client_for, other_user, chat, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).post(url(chat), {"content": "hello"}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert list(body) == MESSAGE_KEYS
        assert (body["content"], body["type"], body["sender_id"], body["room_id"]) == (
            "hello",
            "text",
            str(other_user.id),
            str(chat.id),
        )
        # The event is the REST JSON plus the id of the room's message before it (none here).
        assert listener.events() == [{"type": "new_message", "payload": {**body, "prev_id": None}}]

    def test_file_chip_shows_the_uploads_name_whatever_the_sender_calls_it(
        self, api_client_for, user, other_user, chat, make_upload, published_events, django_capture_on_commit_callbacks
    ):
        image = make_upload(other_user)  # uploaded as photo.png
        listener = published_events(room_group(chat.id))
        payload = {"type": "image", "file_url": image.url, "file_name": "invoice-2024.pdf"}
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).post(url(chat), payload, format="json")
        assert response.status_code == 201
        assert response.json()["file_name"] == "photo.png"
        assert [event["payload"]["file_name"] for event in listener.events()] == ["photo.png"]
        history = api_client_for(user).get(url(chat)).json()["data"]
        assert [row["file_name"] for row in history] == ["photo.png"]

    def test_creator_and_admin_can_post_too(self, api_client_for, user, chat):
        assert api_client_for(user).post(url(chat), {"content": "hi"}, format="json").status_code == 201

    def test_reply_shows_its_target(self, api_client_for, user, other_user, chat, make_message):
        target = make_message(chat, user, "question")
        body = (
            api_client_for(other_user)
            .post(url(chat), {"content": "answer", "reply_to_id": str(target.id)}, format="json")
            .json()
        )
        assert body["reply_to_id"] == str(target.id)
        assert body["reply_to"] == {
            "id": str(target.id),
            "content": "question",
            "sender": {"id": str(user.id), "username": "alice"},
        }

    def test_repeated_client_msg_id_is_200_with_the_same_message_and_silent(
        self, api_client_for, other_user, chat, published_events, django_capture_on_commit_callbacks
    ):
        client = api_client_for(other_user)
        listener = published_events(room_group(chat.id))
        payload = {"content": "once", "client_msg_id": "c-1"}
        with django_capture_on_commit_callbacks(execute=True):
            first = client.post(url(chat), payload, format="json")
        with django_capture_on_commit_callbacks(execute=True):
            second = client.post(url(chat), payload, format="json")
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json() == second.json()
        assert first.json()["client_msg_id"] == "c-1"
        assert listener.types() == ["new_message"]
        assert Message.objects.count() == 1

    def test_a_file_size_sent_by_the_client_is_ignored_for_the_uploads_own(
        self, api_client_for, user, chat, make_upload
    ):
        upload = make_upload(user, "file")
        response = api_client_for(user).post(
            url(chat), {"type": "file", "file_url": upload.url, "file_size": 10**9}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["file_size"] == upload.size

    def test_outsider_gets_403_and_nothing_is_stored(self, api_client_for, make_user, chat):
        response = api_client_for(make_user()).post(url(chat), {"content": "hi"}, format="json")
        assert (response.status_code, response.json()) == (403, {"error": "You are not a member of this room"})
        assert not Message.objects.exists()

    @pytest.mark.parametrize(
        "payload",
        [
            {"content": "   "},
            {"content": "x" * 2001},
            {},
            {"content": "hi", "type": "system"},
            {"content": "hi", "type": "video"},
            {"content": "hi", "reply_to_id": "not-a-uuid"},
            {"content": "hi", "reply_to_id": str(uuid.uuid4())},
            {"type": "image", "file_url": "http://evil.example/a.png"},
        ],
    )
    def test_invalid_message_is_400(self, api_client_for, other_user, chat, payload):
        response = api_client_for(other_user).post(url(chat), payload, format="json")
        assert response.status_code == 400
        assert isinstance(response.json()["error"], str)
        assert not Message.objects.exists()


def _at(moment):
    return time_machine.travel(moment, tick=False)


class TestEditDelete:
    @pytest.fixture
    def sent(self, api_client_for, other_user, chat):
        """bob's message, sent at a frozen instant that the tests move away from."""
        moment = timezone.now().replace(microsecond=0)
        with _at(moment):
            body = api_client_for(other_user).post(url(chat), {"content": "draft"}, format="json").json()
        return moment, body["id"]

    def test_sender_edits_within_three_minutes(
        self, api_client_for, other_user, chat, sent, published_events, django_capture_on_commit_callbacks
    ):
        moment, message_id = sent
        listener = published_events(room_group(chat.id))
        with _at(moment + timedelta(minutes=2, seconds=59)), django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).patch(
                f"/api/v1/messages/{message_id}", {"content": "final"}, format="json"
            )
        assert response.status_code == 200
        assert response.json()["content"] == "final" and response.json()["is_edited"] is True
        assert listener.events() == [{"type": "edit_message", "payload": response.json()}]

    def test_edit_after_three_minutes_is_403(self, api_client_for, other_user, sent):
        moment, message_id = sent
        with _at(moment + timedelta(minutes=3)):
            response = api_client_for(other_user).patch(
                f"/api/v1/messages/{message_id}", {"content": "late"}, format="json"
            )
        assert response.status_code == 403
        assert response.json() == {"error": "Messages can only be edited within 3 minutes of sending"}

    def test_edit_after_it_was_read_is_403(self, api_client_for, user, other_user, chat, sent):
        moment, message_id = sent
        with _at(moment + timedelta(seconds=10)):
            api_client_for(user).post(f"/api/v1/rooms/{chat.id}/read")
        with _at(moment + timedelta(seconds=20)):
            response = api_client_for(other_user).patch(
                f"/api/v1/messages/{message_id}", {"content": "x"}, format="json"
            )
        assert (response.status_code, response.json()) == (
            403,
            {"error": "Messages that have been read cannot be edited"},
        )

    def test_room_admin_cannot_edit_others_messages(self, api_client_for, user, sent):
        moment, message_id = sent
        with _at(moment):
            response = api_client_for(user).patch(f"/api/v1/messages/{message_id}", {"content": "x"}, format="json")
        assert (response.status_code, response.json()) == (403, {"error": "You can only edit your own messages"})

    def test_outsider_gets_404_for_edit_and_delete(self, api_client_for, make_user, sent):
        _, message_id = sent
        client = api_client_for(make_user())
        assert client.patch(f"/api/v1/messages/{message_id}", {"content": "x"}, format="json").status_code == 404
        assert client.delete(f"/api/v1/messages/{message_id}").json() == {"error": "Message not found"}

    @pytest.mark.parametrize("message_id", ["nope", UNKNOWN_ID])
    def test_bad_or_unknown_message_id_is_404(self, api_client_for, user, message_id):
        assert api_client_for(user).delete(f"/api/v1/messages/{message_id}").status_code == 404

    def test_empty_edit_is_400(self, api_client_for, other_user, sent):
        moment, message_id = sent
        with _at(moment):
            response = api_client_for(other_user).patch(
                f"/api/v1/messages/{message_id}", {"content": "  "}, format="json"
            )
        assert response.status_code == 400

    def test_sender_deletes_within_window(
        self, api_client_for, other_user, chat, sent, published_events, django_capture_on_commit_callbacks
    ):
        moment, message_id = sent
        listener = published_events(room_group(chat.id))
        with _at(moment + timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).delete(f"/api/v1/messages/{message_id}")
        assert (response.status_code, response.json()) == (200, {"message": "Message deleted successfully"})
        assert listener.events() == [{"type": "delete_message", "payload": {"id": message_id, "room_id": str(chat.id)}}]
        assert Message.objects.get(pk=message_id).is_deleted

    def test_sender_delete_after_window_is_403(self, api_client_for, other_user, sent):
        moment, message_id = sent
        with _at(moment + timedelta(minutes=5)):
            response = api_client_for(other_user).delete(f"/api/v1/messages/{message_id}")
        assert (response.status_code, response.json()) == (
            403,
            {"error": "Messages can only be deleted within 3 minutes of sending"},
        )

    def test_sender_delete_after_read_is_403(self, api_client_for, user, other_user, chat, sent):
        moment, message_id = sent
        with _at(moment + timedelta(seconds=1)):
            api_client_for(user).post(f"/api/v1/rooms/{chat.id}/read")
            response = api_client_for(other_user).delete(f"/api/v1/messages/{message_id}")
        assert (response.status_code, response.json()) == (
            403,
            {"error": "Messages that have been read cannot be deleted"},
        )

    def test_room_admin_deletes_others_message_long_after_and_after_read(self, api_client_for, user, chat, sent):
        moment, message_id = sent
        with _at(moment + timedelta(days=2)):
            api_client_for(user).post(f"/api/v1/rooms/{chat.id}/read")
            response = api_client_for(user).delete(f"/api/v1/messages/{message_id}")
        assert response.status_code == 200

    def test_plain_member_cannot_delete_others_message(self, api_client_for, make_user, chat, sent):
        moment, message_id = sent
        carol = make_user("carol")
        RoomMember.objects.create(room=chat, user=carol)
        with _at(moment):
            response = api_client_for(carol).delete(f"/api/v1/messages/{message_id}")
        assert (response.status_code, response.json()) == (403, {"error": "You can only delete your own messages"})


class TestMyRooms:
    def test_lists_my_rooms_with_unread_count_and_last_message(
        self, api_client_for, user, other_user, carol, make_room, make_message
    ):
        now = timezone.now()
        general = make_room(other_user, name="General", members=[user], last_message_at=now + timedelta(minutes=1))
        make_room(other_user, name="Elsewhere")
        quiet = make_room(user, name="Quiet", type="private")
        RoomMember.objects.filter(room=general, user=user).update(read_at=now - timedelta(minutes=5))
        make_message(general, other_user, "seen", created_at=now - timedelta(minutes=10))
        make_message(general, other_user, "new 1", created_at=now - timedelta(minutes=2))
        make_message(general, user, "mine", created_at=now - timedelta(minutes=1, seconds=30))
        make_message(general, other_user, "gone", created_at=now - timedelta(minutes=1), is_deleted=True)
        last = make_message(general, other_user, "new 2", created_at=now)

        body = api_client_for(user).get("/api/v1/rooms/me").json()
        assert [r["name"] for r in body["data"]] == ["General", "Quiet"]
        general_json, quiet_json = body["data"]
        assert general_json["unread_count"] == 2
        assert general_json["last_message"]["id"] == str(last.id)
        assert general_json["last_message"]["sender"]["username"] == "bob"
        assert quiet_json["unread_count"] == 0 and quiet_json["last_message"] is None
        assert quiet_json["id"] == str(quiet.id)

    def test_never_read_room_counts_every_message_from_others(
        self, api_client_for, user, other_user, make_room, make_message
    ):
        general = make_room(other_user, members=[user])
        for _ in range(3):
            make_message(general, other_user)
        [row] = api_client_for(user).get("/api/v1/rooms/me").json()["data"]
        assert row["unread_count"] == 3

    def test_includes_direct_rooms(self, api_client_for, user, other_user):
        api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json")
        [row] = api_client_for(other_user).get("/api/v1/rooms/me").json()["data"]
        assert row["type"] == "direct" and row["member_count"] == 2

    def test_bounded_queries_whatever_the_number_of_rooms(
        self, api_client_for, user, other_user, make_room, make_message, django_assert_max_num_queries
    ):
        for _ in range(8):
            r = make_room(other_user, members=[user])
            reply_to = make_message(r, user)
            make_message(r, other_user, reply_to=reply_to)
        client = api_client_for(user)
        with django_assert_max_num_queries(4):
            body = client.get("/api/v1/rooms/me").json()
        assert len(body["data"]) == 8
        assert all(r["last_message"]["reply_to"]["sender"]["username"] == "alice" for r in body["data"])
