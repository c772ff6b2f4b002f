import pytest
from django.test import Client

from broadcast.groups import room_group
from messaging.models import Message
from rooms.models import Room

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(make_user):
    client = Client()
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    return client


def test_message_list_searches_by_sender_and_content(staff_client, room, user, other_user, make_message):
    make_message(room, user, "needle in text")
    make_message(room, other_user, "hay")
    by_content = staff_client.get("/admin/messaging/message/", {"q": "needle"})
    by_sender = staff_client.get("/admin/messaging/message/", {"q": "bob"})
    assert (
        by_content.status_code == 200 and b"needle in text" in by_content.content and b"hay" not in by_content.content
    )
    assert b"hay" in by_sender.content and b"needle" not in by_sender.content


def test_soft_delete_action_goes_through_the_service(
    staff_client, room, user, make_message, published_events, django_capture_on_commit_callbacks
):
    message = make_message(room, user, "spam")
    listener = published_events(room_group(room.id))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/messaging/message/", {"action": "soft_delete", "_selected_action": [str(message.id)]}
        )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.is_deleted and message.content == ""
    assert listener.types() == ["delete_message"]
    assert Message.objects.count() == 1  # soft: the row stays


def test_room_list_shows_member_counts_and_delete_announces(
    staff_client, room, other_user, published_events, django_capture_on_commit_callbacks
):
    assert staff_client.get("/admin/rooms/room/", {"type__exact": "public"}).status_code == 200
    listener = published_events(room_group(room.id))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/rooms/room/{room.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Room.objects.filter(pk=room.id).exists()
    assert listener.types() == ["room_deleted"]


def test_admin_is_staff_only(make_user, room):
    client = Client()
    client.force_login(make_user("plain"))
    assert client.get("/admin/rooms/room/").status_code == 302
