import uuid

import pytest

from broadcast.groups import user_group
from rooms.models import Room, RoomMember

pytestmark = pytest.mark.django_db


def start(client, recipient):
    return client.post("/api/v1/dm", {"recipient_id": str(recipient.id)}, format="json")


class TestStart:
    def test_first_contact_creates_room_201_with_both_members(self, api_client_for, user, other_user):
        response = start(api_client_for(user), other_user)
        assert response.status_code == 201
        body = response.json()
        assert body["type"] == "direct" and body["member_count"] == 2
        assert sorted(m["user"]["username"] for m in body["members"]) == ["alice", "bob"]
        assert all(m["role"] == "member" for m in body["members"])

    def test_either_side_asking_again_gets_the_same_room_200(self, api_client_for, user, other_user):
        room_id = start(api_client_for(user), other_user).json()["id"]
        again = start(api_client_for(other_user), user)
        assert again.status_code == 200 and again.json()["id"] == room_id
        assert Room.objects.filter(type="direct").count() == 1

    def test_both_users_are_subscribed_before_they_hear_dm_created(
        self, api_client_for, user, other_user, published_events, django_capture_on_commit_callbacks
    ):
        alices, bobs = published_events(user_group(user.id)), published_events(user_group(other_user.id))
        with django_capture_on_commit_callbacks(execute=True):
            body = start(api_client_for(user), other_user).json()
        for listener in (alices, bobs):
            subscribe, created = listener.events()
            position = {"room_id": body["id"], "message_seq": 0, "last_message_id": None}
            assert subscribe == {"type": "room_subscribe", "payload": position}
            assert created["type"] == "dm_created"
            # One event for both sides: it shows nobody's notification level (each sees only their own).
            mine_hidden = {**body, "members": [{**m, "notify_level": None} for m in body["members"]]}
            assert created["payload"]["room"] == mine_hidden
            assert created["payload"]["sender"]["id"] == str(user.id)
            assert "email" not in created["payload"]["sender"]

    def test_existing_room_announces_nothing(
        self, api_client_for, user, other_user, django_capture_on_commit_callbacks
    ):
        start(api_client_for(user), other_user)
        with django_capture_on_commit_callbacks() as callbacks:
            start(api_client_for(other_user), user)
        assert callbacks == []

    def test_yourself_is_400(self, api_client_for, user):
        response = start(api_client_for(user), user)
        assert (response.status_code, response.json()) == (
            400,
            {"error": "You cannot start a direct conversation with yourself"},
        )

    def test_unknown_or_deactivated_user_is_404(self, api_client_for, user, make_user):
        client = api_client_for(user)
        missing = client.post("/api/v1/dm", {"recipient_id": str(uuid.uuid4())}, format="json")
        assert (missing.status_code, missing.json()) == (404, {"error": "User not found"})
        assert start(client, make_user(is_active=False)).status_code == 404

    @pytest.mark.parametrize("payload", [{}, {"recipient_id": "bob"}])
    def test_missing_or_invalid_recipient_is_400(self, api_client_for, user, payload):
        response = api_client_for(user).post("/api/v1/dm", payload, format="json")
        assert response.status_code == 400 and "recipient_id" in response.json()["fields"]

    def test_database_refuses_a_second_room_for_the_same_pair(self, user, other_user):
        from django.db import IntegrityError, transaction

        low, high = sorted([user, other_user], key=lambda u: u.id)
        Room.objects.create(name="one", type="direct", direct_user_low=low, direct_user_high=high)
        with pytest.raises(IntegrityError), transaction.atomic():
            Room.objects.create(name="two", type="direct", direct_user_low=low, direct_user_high=high)
        with pytest.raises(IntegrityError), transaction.atomic():
            Room.objects.create(name="swapped", type="direct", direct_user_low=high, direct_user_high=low)


class TestList:
    def test_lists_conversations_with_other_user_unread_and_last_message(
        self, api_client_for, user, other_user, make_user, make_message
    ):
        carol = make_user("carol")
        with_bob = Room.objects.get(pk=start(api_client_for(user), other_user).json()["id"])
        with_carol = Room.objects.get(pk=start(api_client_for(carol), user).json()["id"])
        make_message(with_bob, other_user, "hi alice")
        api_client_for(user).post(f"/api/v1/rooms/{with_carol.id}/messages", {"content": "hi carol"}, format="json")

        body = api_client_for(user).get("/api/v1/dm").json()
        assert [c["other_user"]["username"] for c in body["data"]] == ["carol", "bob"]
        carol_row, bob_row = body["data"]
        assert list(carol_row) == ["room", "other_user", "last_message", "unread_count"]
        assert carol_row["room"]["id"] == str(with_carol.id)
        assert carol_row["last_message"]["content"] == "hi carol" and carol_row["unread_count"] == 0
        assert bob_row["unread_count"] == 1 and bob_row["last_message"]["content"] == "hi alice"
        assert "email" not in bob_row["other_user"]

    def test_mark_read_clears_unread(self, api_client_for, user, other_user):
        room_id = start(api_client_for(user), other_user).json()["id"]
        api_client_for(other_user).post(f"/api/v1/rooms/{room_id}/messages", {"content": "ping"}, format="json")
        client = api_client_for(user)
        assert client.get("/api/v1/dm").json()["data"][0]["unread_count"] == 1
        client.post(f"/api/v1/rooms/{room_id}/read")
        assert client.get("/api/v1/dm").json()["data"][0]["unread_count"] == 0

    def test_bounded_queries_whatever_the_number_of_conversations(
        self, api_client_for, user, make_user, django_assert_max_num_queries
    ):
        client = api_client_for(user)
        for _ in range(6):
            other = make_user()
            room_id = start(client, other).json()["id"]
            api_client_for(other).post(f"/api/v1/rooms/{room_id}/messages", {"content": "hey"}, format="json")
        with django_assert_max_num_queries(4):
            body = client.get("/api/v1/dm").json()
        assert len(body["data"]) == 6 and all(c["unread_count"] == 1 for c in body["data"])

    def test_only_my_conversations(self, api_client_for, user, other_user, make_user):
        start(api_client_for(other_user), make_user())
        assert api_client_for(user).get("/api/v1/dm").json() == {"data": []}
        assert RoomMember.objects.filter(user=user).count() == 0
