import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from broadcast.groups import room_group, user_group
from messaging.models import Message
from rooms.models import Room, RoomMember

pytestmark = pytest.mark.django_db

# An id that no row has: a fixed one, as parallel test workers must all collect the same test ids.
UNKNOWN_ID = "3f2b9c1e-8d4a-4e7b-9a6c-5d1e2f3a4b5c"

ROOM_KEYS = [
    "id",
    "name",
    "description",
    "type",
    "created_by",
    "creator",
    "member_count",
    "last_message_at",
    "created_at",
    "updated_at",
]


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def private_room(make_room, user, other_user):
    """Private: alice is admin, bob a member."""
    return make_room(user, name="Secret", type="private", members=[other_user])


class TestCreate:
    def test_seed_example_creates_public_room_with_creator_as_admin(self, api_client_for, user):
        response = api_client_for(user).post(
            "/api/v1/rooms", {"name": "General", "description": "Main chat room", "type": "public"}, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        assert list(body) == [*ROOM_KEYS, "members"]
        assert body["name"] == "General" and body["type"] == "public" and body["member_count"] == 1
        assert body["created_by"] == str(user.id)
        assert body["creator"] == {"id": str(user.id), "username": "alice", "avatar": ""}
        [member] = body["members"]
        assert member["user_id"] == str(user.id) and member["role"] == "admin"
        assert list(member["user"]) == ["id", "username", "avatar", "status", "is_online", "last_seen"]

    def test_creator_sockets_are_subscribed(
        self, api_client_for, user, published_events, django_capture_on_commit_callbacks
    ):
        mine = published_events(user_group(user.id))
        with django_capture_on_commit_callbacks(execute=True):
            body = api_client_for(user).post("/api/v1/rooms", {"name": "Team", "type": "private"}, format="json").json()
        assert mine.events() == [
            {"type": "room_subscribe", "payload": {"room_id": body["id"], "message_seq": 0, "last_message_id": None}}
        ]

    def test_direct_type_is_400(self, api_client_for, user):
        response = api_client_for(user).post("/api/v1/rooms", {"name": "Sneaky", "type": "direct"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "type: Room type must be 'public' or 'private'"
        assert not Room.objects.exists()

    @pytest.mark.parametrize("name", ["ab", "x" * 51, "   ab   ", ""])
    def test_bad_name_is_400(self, api_client_for, user, name):
        response = api_client_for(user).post("/api/v1/rooms", {"name": name}, format="json")
        assert response.status_code == 400
        assert "name" in response.json()["fields"]

    def test_needs_auth(self, api_client):
        assert api_client.post("/api/v1/rooms", {"name": "General"}, format="json").status_code == 401


class TestPublicList:
    def test_lists_only_public_rooms_newest_activity_first(self, api_client_for, user, other_user, make_room):
        old = make_room(user, name="Old")
        busy = make_room(user, name="Busy", last_message_at=timezone.now() + timedelta(minutes=1))
        make_room(other_user, name="Hidden", type="private")
        body = api_client_for(other_user).get("/api/v1/rooms").json()
        assert [r["name"] for r in body["data"]] == ["Busy", "Old"]
        assert {k: body[k] for k in ("total", "page", "limit", "total_pages")} == {
            "total": 2,
            "page": 1,
            "limit": 20,
            "total_pages": 1,
        }
        assert list(body["data"][0]) == ROOM_KEYS
        assert {r["id"] for r in body["data"]} == {str(old.id), str(busy.id)}

    def test_pages_and_counts_members_in_bounded_queries(
        self, api_client_for, user, make_user, make_room, django_assert_max_num_queries
    ):
        others = [make_user() for _ in range(3)]
        for _ in range(12):
            make_room(user, members=others)
        client = api_client_for(user)
        with django_assert_max_num_queries(4):
            body = client.get("/api/v1/rooms?page=2&limit=5").json()
        assert len(body["data"]) == 5 and body["total"] == 12 and body["total_pages"] == 3
        assert all(r["member_count"] == 4 for r in body["data"])
        assert client.get("/api/v1/rooms?page=4&limit=5").json()["data"] == []

    @pytest.mark.parametrize("query", ["page=0", "page=x", "limit=0", "limit=-3", "limit=abc"])
    def test_bad_page_or_limit_is_400(self, api_client_for, user, query):
        response = api_client_for(user).get(f"/api/v1/rooms?{query}")
        assert response.status_code == 400
        assert "error" in response.json()

    def test_limit_above_50_is_lowered_to_50(self, api_client_for, user, make_room):
        for _ in range(52):
            make_room(user)
        body = api_client_for(user).get("/api/v1/rooms?limit=100").json()
        assert body["limit"] == 50
        assert len(body["data"]) == 50


class TestDetail:
    def test_member_sees_private_room_with_members(self, api_client_for, other_user, private_room):
        body = api_client_for(other_user).get(f"/api/v1/rooms/{private_room.id}").json()
        assert body["id"] == str(private_room.id) and body["member_count"] == 2
        assert [(m["user"]["username"], m["role"]) for m in body["members"]] == [("alice", "admin"), ("bob", "member")]

    def test_outsider_gets_404_for_private_room(self, api_client_for, carol, private_room):
        response = api_client_for(carol).get(f"/api/v1/rooms/{private_room.id}")
        assert (response.status_code, response.json()) == (404, {"error": "Room not found"})

    def test_outsider_gets_404_for_direct_room(self, api_client_for, user, other_user, carol):
        room_id = (
            api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()["id"]
        )
        assert api_client_for(carol).get(f"/api/v1/rooms/{room_id}").status_code == 404

    def test_outsider_sees_public_room(self, api_client_for, carol, room):
        assert api_client_for(carol).get(f"/api/v1/rooms/{room.id}").status_code == 200

    def test_unknown_id_is_404(self, api_client_for, user):
        response = api_client_for(user).get(f"/api/v1/rooms/{uuid.uuid4()}")
        assert (response.status_code, response.json()) == (404, {"error": "Room not found"})

    @pytest.mark.parametrize("room_id", ["not-a-uuid", "123"])
    def test_id_that_is_not_a_uuid_matches_no_route(self, api_client_for, user, room_id):
        response = api_client_for(user).get(f"/api/v1/rooms/{room_id}")
        assert (response.status_code, response.json()) == (404, {"error": "Not Found"})


class TestDelete:
    def test_creator_deletes_room_and_room_hears_it(
        self,
        api_client_for,
        user,
        other_user,
        make_room,
        make_message,
        published_events,
        django_capture_on_commit_callbacks,
    ):
        room = make_room(user, members=[other_user])
        make_message(room, other_user)
        listener = published_events(room_group(room.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(user).delete(f"/api/v1/rooms/{room.id}")
        assert (response.status_code, response.json()) == (200, {"message": "Room deleted successfully"})
        assert not Room.objects.filter(pk=room.id).exists()
        assert listener.events() == [{"type": "room_deleted", "payload": {"room_id": str(room.id)}}]

    def test_room_admin_who_is_not_creator_may_delete(self, api_client_for, user, other_user, make_room):
        room = make_room(user, admins=[other_user])
        assert api_client_for(other_user).delete(f"/api/v1/rooms/{room.id}").status_code == 200

    def test_plain_member_gets_403(
        self, api_client_for, other_user, make_room, user, published_events, django_capture_on_commit_callbacks
    ):
        room = make_room(user, members=[other_user])
        listener = published_events(room_group(room.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).delete(f"/api/v1/rooms/{room.id}")
        assert response.status_code == 403
        assert response.json() == {"error": "Only the room creator or an admin can delete this room"}
        assert Room.objects.filter(pk=room.id).exists()
        assert listener.events() == []

    def test_outsider_gets_403_for_public_and_404_for_private(self, api_client_for, carol, room, private_room):
        assert api_client_for(carol).delete(f"/api/v1/rooms/{room.id}").status_code == 403
        assert api_client_for(carol).delete(f"/api/v1/rooms/{private_room.id}").status_code == 404

    def test_direct_room_cannot_be_deleted(self, api_client_for, user, other_user):
        room_id = (
            api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()["id"]
        )
        response = api_client_for(user).delete(f"/api/v1/rooms/{room_id}")
        assert (response.status_code, response.json()) == (400, {"error": "Direct message rooms cannot be deleted"})


class TestJoinLeave:
    def test_join_public_room_announces_subscribe_then_user_joined(
        self, api_client_for, user, other_user, room, published_events, django_capture_on_commit_callbacks
    ):
        for content in ("one", "two"):
            api_client_for(user).post(f"/api/v1/rooms/{room.id}/messages", {"content": content}, format="json")
        last = Message.objects.get(room=room, content="two")
        in_room, bobs = published_events(room_group(room.id)), published_events(user_group(other_user.id))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = api_client_for(other_user).post(f"/api/v1/rooms/{room.id}/join")
        assert (response.status_code, response.json()) == (200, {"message": "Joined room successfully"})
        assert len(callbacks) == 2
        # The room's position comes along: the joiner's process orders the room's messages from it.
        position = {"room_id": str(room.id), "message_seq": 2, "last_message_id": str(last.id)}
        assert bobs.events() == [{"type": "room_subscribe", "payload": position}]
        assert in_room.events() == [
            {
                "type": "user_joined",
                "payload": {"room_id": str(room.id), "user_id": str(other_user.id), "username": "bob"},
            }
        ]
        assert RoomMember.objects.get(room=room, user=other_user).role == "member"

    def test_join_twice_is_200_and_announced_once(
        self, api_client_for, other_user, room, django_capture_on_commit_callbacks
    ):
        client = api_client_for(other_user)
        client.post(f"/api/v1/rooms/{room.id}/join")
        with django_capture_on_commit_callbacks() as callbacks:
            assert client.post(f"/api/v1/rooms/{room.id}/join").status_code == 200
        assert callbacks == []
        assert RoomMember.objects.filter(room=room, user=other_user).count() == 1

    def test_join_private_room_is_403(self, api_client_for, carol, private_room):
        response = api_client_for(carol).post(f"/api/v1/rooms/{private_room.id}/join")
        assert (response.status_code, response.json()) == (403, {"error": "This room is private"})

    def test_join_someone_elses_direct_room_is_404(self, api_client_for, user, other_user, carol):
        room_id = (
            api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()["id"]
        )
        assert api_client_for(carol).post(f"/api/v1/rooms/{room_id}/join").status_code == 404

    def test_join_unknown_room_is_404(self, api_client_for, user):
        assert api_client_for(user).post(f"/api/v1/rooms/{uuid.uuid4()}/join").status_code == 404

    def test_leave_announces_user_left_and_unsubscribes(
        self, api_client_for, user, other_user, make_room, published_events, django_capture_on_commit_callbacks
    ):
        room = make_room(user, members=[other_user])
        in_room, bobs = published_events(room_group(room.id)), published_events(user_group(other_user.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).post(f"/api/v1/rooms/{room.id}/leave")
        assert (response.status_code, response.json()) == (200, {"message": "Left room successfully"})
        assert in_room.events() == [
            {
                "type": "user_left",
                "payload": {"room_id": str(room.id), "user_id": str(other_user.id), "username": "bob"},
            }
        ]
        assert bobs.events() == [{"type": "room_unsubscribe", "payload": {"room_id": str(room.id)}}]
        assert not RoomMember.objects.filter(room=room, user=other_user).exists()

    def test_creator_may_leave_too(self, api_client_for, user, room):
        assert api_client_for(user).post(f"/api/v1/rooms/{room.id}/leave").status_code == 200
        assert not RoomMember.objects.filter(room=room).exists()

    def test_when_the_last_admin_leaves_the_longest_standing_member_becomes_admin(
        self, api_client_for, user, other_user, carol, make_user, private_room
    ):
        dave = make_user("dave")
        admin = api_client_for(user)
        assert admin.post(f"/api/v1/rooms/{private_room.id}/members", {"user_id": str(carol.id)}).status_code == 201
        assert admin.post(f"/api/v1/rooms/{private_room.id}/leave").status_code == 200
        roles = dict(RoomMember.objects.filter(room=private_room).values_list("user__username", "role"))
        assert roles == {"bob": "admin", "carol": "member"}
        # The room is not stranded: the new admin can still let people in.
        response = api_client_for(other_user).post(
            f"/api/v1/rooms/{private_room.id}/members", {"user_id": str(dave.id)}
        )
        assert response.status_code == 201

    def test_a_member_leaving_changes_no_roles(self, api_client_for, user, other_user, carol, make_room):
        room = make_room(user, members=[other_user, carol])
        assert api_client_for(carol).post(f"/api/v1/rooms/{room.id}/leave").status_code == 200
        roles = dict(RoomMember.objects.filter(room=room).values_list("user__username", "role"))
        assert roles == {"alice": "admin", "bob": "member"}

    def test_leaving_a_public_room_one_is_not_in_is_200_and_silent(
        self, api_client_for, carol, room, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            assert api_client_for(carol).post(f"/api/v1/rooms/{room.id}/leave").status_code == 200
        assert callbacks == []

    def test_leaving_a_direct_room_is_400(self, api_client_for, user, other_user):
        room_id = (
            api_client_for(user).post("/api/v1/dm", {"recipient_id": str(other_user.id)}, format="json").json()["id"]
        )
        response = api_client_for(user).post(f"/api/v1/rooms/{room_id}/leave")
        assert (response.status_code, response.json()) == (400, {"error": "You cannot leave a direct message room"})

    def test_outsider_leaving_private_room_is_404(self, api_client_for, carol, private_room):
        assert api_client_for(carol).post(f"/api/v1/rooms/{private_room.id}/leave").status_code == 404


class TestAddMember:
    def test_admin_adds_user_to_private_room(
        self, api_client_for, user, carol, private_room, published_events, django_capture_on_commit_callbacks
    ):
        in_room, carols = published_events(room_group(private_room.id)), published_events(user_group(carol.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(user).post(
                f"/api/v1/rooms/{private_room.id}/members", {"user_id": str(carol.id)}, format="json"
            )
        assert response.status_code == 201
        body = response.json()
        assert body["user_id"] == str(carol.id) and body["role"] == "member" and body["user"]["username"] == "carol"
        position = {"room_id": str(private_room.id), "message_seq": 0, "last_message_id": None}
        assert carols.events() == [{"type": "room_subscribe", "payload": position}]
        assert in_room.events() == [
            {
                "type": "user_joined",
                "payload": {"room_id": str(private_room.id), "user_id": str(carol.id), "username": "carol"},
            }
        ]
        assert api_client_for(carol).get(f"/api/v1/rooms/{private_room.id}").status_code == 200

    def test_member_who_is_not_admin_gets_403(self, api_client_for, other_user, carol, private_room):
        response = api_client_for(other_user).post(
            f"/api/v1/rooms/{private_room.id}/members", {"user_id": str(carol.id)}, format="json"
        )
        assert (response.status_code, response.json()) == (403, {"error": "Only room admins can add members"})

    def test_outsider_gets_404(self, api_client_for, carol, private_room, user):
        response = api_client_for(carol).post(
            f"/api/v1/rooms/{private_room.id}/members", {"user_id": str(carol.id)}, format="json"
        )
        assert response.status_code == 404

    def test_adding_existing_member_is_409(self, api_client_for, user, other_user, private_room):
        response = api_client_for(user).post(
            f"/api/v1/rooms/{private_room.id}/members", {"user_id": str(other_user.id)}, format="json"
        )
        assert (response.status_code, response.json()) == (409, {"error": "User is already a member of this room"})

    @pytest.mark.parametrize("user_id,status", [(UNKNOWN_ID, 404), ("nope", 400)])
    def test_unknown_or_invalid_user_id(self, api_client_for, user, private_room, user_id, status):
        response = api_client_for(user).post(
            f"/api/v1/rooms/{private_room.id}/members", {"user_id": user_id}, format="json"
        )
        assert response.status_code == status
        assert "error" in response.json()


class TestMarkRead:
    def test_member_marks_read_and_room_hears_it(
        self, api_client_for, other_user, user, make_room, published_events, django_capture_on_commit_callbacks
    ):
        room = make_room(user, members=[other_user])
        listener = published_events(room_group(room.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(other_user).post(f"/api/v1/rooms/{room.id}/read")
        assert (response.status_code, response.json()) == (200, {"message": "Marked as read"})
        read_at = RoomMember.objects.get(room=room, user=other_user).read_at
        assert read_at is not None
        [event] = listener.events()
        assert event["type"] == "messages_read"
        assert event["payload"]["room_id"] == str(room.id) and event["payload"]["user_id"] == str(other_user.id)
        assert event["payload"]["read_at"] == read_at.isoformat().replace("+00:00", "Z")

    def test_outsider_gets_403_on_public_room(self, api_client_for, carol, room):
        response = api_client_for(carol).post(f"/api/v1/rooms/{room.id}/read")
        assert (response.status_code, response.json()) == (403, {"error": "You are not a member of this room"})
