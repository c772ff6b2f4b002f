"""Pinned messages: who may pin, the limit, the list, the events and the endpoints."""

from datetime import timedelta

import pytest
from django.utils import timezone

from broadcast.groups import room_group
from chatapp.errors import BadRequest, Conflict, Forbidden, NotFound
from messaging.models import MESSAGE_RELATED, Message
from messaging.selectors import message_pins_for_member
from messaging.serializers import message_json
from messaging.services import MAX_PINS_PER_ROOM, PIN_OPEN_MAX_MEMBERS, message_delete, message_pin, message_unpin
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_room, user, other_user):
    """alice (admin) and bob (member) in a public room."""
    return make_room(user, members=[other_user])


@pytest.fixture
def message(chat, user, make_message):
    return make_message(chat, user, "the plan")


def pinned(message: Message) -> bool:
    return message_json(Message.objects.select_related(*MESSAGE_RELATED).get(pk=message.pk))["pinned"]


@pytest.fixture
def crowd(chat, make_user):
    """Fills the room to one member past PIN_OPEN_MAX_MEMBERS."""
    people = [make_user() for _ in range(PIN_OPEN_MAX_MEMBERS - 1)]
    RoomMember.objects.bulk_create([RoomMember(room=chat, user=person) for person in people])
    assert RoomMember.objects.filter(room=chat).count() == PIN_OPEN_MAX_MEMBERS + 1


class TestRules:
    def test_any_member_pins_and_the_message_json_says_so(self, chat, message, other_user):
        assert not pinned(message)
        pinned_message, pinned_now = message_pin(room_id=chat.id, message_id=message.id, actor=other_user)
        assert pinned_now and pinned_message.pinned_by == other_user
        assert pinned(message)

    def test_pinning_again_keeps_who_pinned_first(self, chat, message, user, other_user):
        first_at = timezone.now() - timedelta(minutes=1)
        message_pin(room_id=chat.id, message_id=message.id, actor=other_user, now=first_at)
        again, pinned_now = message_pin(room_id=chat.id, message_id=message.id, actor=user)
        assert not pinned_now
        assert (again.pinned_by, again.pinned_at) == (other_user, first_at)

    def test_unpin_then_unpinning_again_is_404(self, chat, message, other_user):
        message_pin(room_id=chat.id, message_id=message.id, actor=other_user)
        message_unpin(room_id=chat.id, message_id=message.id, actor=other_user)
        assert not pinned(message)
        with pytest.raises(NotFound, match="Message is not pinned"):
            message_unpin(room_id=chat.id, message_id=message.id, actor=other_user)

    def test_in_a_room_of_more_than_100_members_only_admins_pin(self, chat, message, user, other_user, crowd):
        error = "Only room admins can pin or unpin messages in rooms of more than 100 members"
        with pytest.raises(Forbidden, match=error):
            message_pin(room_id=chat.id, message_id=message.id, actor=other_user)
        message_pin(room_id=chat.id, message_id=message.id, actor=user)
        with pytest.raises(Forbidden, match=error):
            message_unpin(room_id=chat.id, message_id=message.id, actor=other_user)
        message_unpin(room_id=chat.id, message_id=message.id, actor=user)

    def test_a_room_of_exactly_100_members_is_open_to_all(self, chat, message, other_user, make_user):
        people = [make_user() for _ in range(PIN_OPEN_MAX_MEMBERS - 2)]
        RoomMember.objects.bulk_create([RoomMember(room=chat, user=person) for person in people])
        assert RoomMember.objects.filter(room=chat).count() == PIN_OPEN_MAX_MEMBERS
        assert message_pin(room_id=chat.id, message_id=message.id, actor=other_user)[1]

    def test_at_most_fifty_pins_per_room(self, chat, user, make_message):
        messages = [make_message(chat, user, f"m{n}") for n in range(MAX_PINS_PER_ROOM + 1)]
        for message in messages[:MAX_PINS_PER_ROOM]:
            message_pin(room_id=chat.id, message_id=message.id, actor=user)
        with pytest.raises(Conflict, match="at most 50 pinned messages"):
            message_pin(room_id=chat.id, message_id=messages[-1].id, actor=user)
        # A pinned one pinned again is no new pin.
        assert not message_pin(room_id=chat.id, message_id=messages[0].id, actor=user)[1]
        message_unpin(room_id=chat.id, message_id=messages[0].id, actor=user)
        assert message_pin(room_id=chat.id, message_id=messages[-1].id, actor=user)[1]

    def test_a_message_of_another_room_is_not_found(self, chat, user, make_room, make_message):
        elsewhere = make_message(make_room(user), user, "elsewhere")
        with pytest.raises(NotFound, match="Message not found"):
            message_pin(room_id=chat.id, message_id=elsewhere.id, actor=user)

    def test_outsiders_are_refused_as_on_every_room_endpoint(self, chat, message, make_user, make_room, user):
        with pytest.raises(Forbidden, match="You are not a member of this room"):
            message_pin(room_id=chat.id, message_id=message.id, actor=make_user())
        hidden = make_room(user, type="private")
        with pytest.raises(NotFound, match="Room not found"):
            message_pins_for_member(room_id=hidden.id, user=make_user())

    def test_a_deleted_message_is_unpinned_and_cannot_be_pinned(
        self, chat, message, user, published_events, django_capture_on_commit_callbacks
    ):
        message_pin(room_id=chat.id, message_id=message.id, actor=user)
        listener = published_events(room_group(chat.id))
        with django_capture_on_commit_callbacks(execute=True):
            message_delete(message_id=message.id, actor=user)
        assert not pinned(message)
        assert message_pins_for_member(room_id=chat.id, user=user) == []
        assert listener.types() == ["delete_message", "message_unpinned"]
        with pytest.raises(BadRequest, match="deleted"):
            message_pin(room_id=chat.id, message_id=message.id, actor=user)

    def test_pinning_is_not_an_edit(self, chat, message, user):
        before = Message.objects.get(pk=message.pk).updated_at
        message_pin(room_id=chat.id, message_id=message.id, actor=user)
        assert Message.objects.get(pk=message.pk).updated_at == before

    def test_the_list_is_newest_pin_first(self, chat, user, other_user, make_message):
        old, new = make_message(chat, user, "old"), make_message(chat, user, "new")
        now = timezone.now()
        message_pin(room_id=chat.id, message_id=new.id, actor=user, now=now - timedelta(hours=1))
        message_pin(room_id=chat.id, message_id=old.id, actor=other_user, now=now)
        assert [pin.content for pin in message_pins_for_member(room_id=chat.id, user=user)] == ["old", "new"]


class TestEvents:
    def test_pin_and_unpin_tell_the_room(
        self, chat, message, other_user, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        at = timezone.now().replace(microsecond=250000)
        with django_capture_on_commit_callbacks(execute=True):
            message_pin(room_id=chat.id, message_id=message.id, actor=other_user, now=at)
        with django_capture_on_commit_callbacks(execute=True):
            message_pin(room_id=chat.id, message_id=message.id, actor=other_user)  # already: silent
        with django_capture_on_commit_callbacks(execute=True):
            message_unpin(room_id=chat.id, message_id=message.id, actor=other_user)
        ids = {"room_id": str(chat.id), "message_id": str(message.id)}
        assert listener.events() == [
            {
                "type": "message_pinned",
                "payload": {
                    **ids,
                    "pinned_by": {"id": str(other_user.id), "username": "bob", "avatar": ""},
                    "pinned_at": at.isoformat().replace("+00:00", "Z"),
                },
            },
            {"type": "message_unpinned", "payload": ids},
        ]


def pin_url(room, message) -> str:
    return f"/api/v1/rooms/{room.id}/pins/{message.id}"


class TestApi:
    def test_put_201_then_200_and_the_list_shows_the_pin(self, chat, message, user, other_user, api_client_for):
        client = api_client_for(other_user)
        first = client.put(pin_url(chat, message))
        assert first.status_code == 201
        body = first.json()
        assert body["id"] == str(message.id) and body["pinned"] is True
        assert body["pinned_by"] == {"id": str(other_user.id), "username": "bob", "avatar": ""}
        again = client.put(pin_url(chat, message))
        assert (again.status_code, again.json()) == (200, body)
        listed = api_client_for(user).get(f"/api/v1/rooms/{chat.id}/pins")
        assert listed.status_code == 200
        assert listed.json() == {"data": [body]}

    def test_delete_200_then_404(self, chat, message, other_user, api_client_for):
        client = api_client_for(other_user)
        client.put(pin_url(chat, message))
        removed = client.delete(pin_url(chat, message))
        assert (removed.status_code, removed.json()["pinned"]) == (200, False)
        assert "pinned_by" not in removed.json()
        again = client.delete(pin_url(chat, message))
        assert (again.status_code, again.json()) == (404, {"error": "Message is not pinned"})
        assert client.get(f"/api/v1/rooms/{chat.id}/pins").json() == {"data": []}

    def test_a_member_of_a_big_room_gets_a_clear_403(self, chat, message, other_user, crowd, api_client_for):
        response = api_client_for(other_user).put(pin_url(chat, message))
        assert (response.status_code, response.json()) == (
            403,
            {"error": "Only room admins can pin or unpin messages in rooms of more than 100 members"},
        )

    def test_the_fifty_first_pin_is_409(self, chat, user, make_message, api_client_for):
        client = api_client_for(user)
        messages = [make_message(chat, user, f"m{n}") for n in range(51)]
        for message in messages[:50]:
            assert client.put(pin_url(chat, message)).status_code == 201
        response = client.put(pin_url(chat, messages[50]))
        assert (response.status_code, response.json()) == (409, {"error": "A room can have at most 50 pinned messages"})

    def test_the_list_costs_three_queries_whatever_the_number_of_pins(
        self, chat, user, make_message, api_client_for, django_assert_num_queries
    ):
        for n in range(12):
            message_pin(room_id=chat.id, message_id=make_message(chat, user, f"m{n}").id, actor=user)
        client = api_client_for(user)
        # The token, the membership with its room, the pins with senders, replies and pinners.
        with django_assert_num_queries(3):
            response = client.get(f"/api/v1/rooms/{chat.id}/pins")
        assert len(response.json()["data"]) == 12

    def test_history_shows_pinned(self, chat, message, user, api_client_for):
        client = api_client_for(user)
        client.put(pin_url(chat, message))
        [shown] = client.get(f"/api/v1/rooms/{chat.id}/messages").json()["data"]
        assert shown["pinned"] is True
