"""Who hears of a message: each member's notification level, mentions and @room."""

import pytest
from django.utils import timezone

from dms.services import dm_get_or_create
from messaging.selectors import message_notify_recipients
from messaging.services import message_edit, message_send
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db

ALL, MENTIONS, NOTHING = RoomMember.NotifyLevel.values


@pytest.fixture
def people(make_user):
    """Four users named by their level in `chat`, plus the sender."""
    return {name: make_user(name) for name in ("sender", "loud", "quiet", "muted", "quiet2")}


@pytest.fixture
def chat(make_room, people):
    room = make_room(people["sender"], members=[people["loud"], people["quiet"], people["muted"], people["quiet2"]])
    for name, level in (("sender", ALL), ("loud", ALL), ("quiet", MENTIONS), ("quiet2", MENTIONS), ("muted", NOTHING)):
        RoomMember.objects.filter(room=room, user=people[name]).update(notify_level=level)
    return room


def recipients(chat, people, **kwargs) -> dict[str, bool]:
    by_id = {str(user.id): name for name, user in people.items()}
    found = message_notify_recipients(room_id=chat.id, sender_id=people["sender"].id, **kwargs)
    return {by_id[entry["user_id"]]: entry["mentioned"] for entry in found}


def test_a_plain_message_notifies_level_all_only_never_the_sender(chat, people):
    assert recipients(chat, people, mentioned_ids=[]) == {"loud": False}


def test_a_mention_notifies_mentions_level_but_never_nothing(chat, people):
    ids = [people[name].id for name in ("loud", "quiet", "muted")]
    assert recipients(chat, people, mentioned_ids=ids) == {"loud": True, "quiet": True}


def test_at_room_notifies_everyone_but_nothing_level_and_the_sender(chat, people):
    assert recipients(chat, people, mentioned_ids=[], everyone=True) == {"loud": True, "quiet": True, "quiet2": True}


def test_an_edit_notifies_only_the_newly_mentioned(chat, people):
    ids = [people[name].id for name in ("quiet", "muted")]
    assert recipients(chat, people, mentioned_ids=ids, mentioned_only=True) == {"quiet": True}


def test_inactive_users_and_outsiders_are_never_notified(chat, people, make_user):
    people["loud"].is_active = False
    people["loud"].save(update_fields=["is_active"])
    outsider = make_user("outsider")
    people["outsider"] = outsider
    assert recipients(chat, people, mentioned_ids=[outsider.id, people["quiet"].id]) == {"quiet": True}


def test_direct_rooms_notify_every_message_by_default(user, other_user):
    room, _ = dm_get_or_create(user=user, recipient_id=other_user.id)
    found = message_notify_recipients(room_id=room.id, sender_id=user.id, mentioned_ids=[])
    assert found == [{"user_id": str(other_user.id), "mentioned": False}]


def test_rooms_made_joined_or_added_to_default_to_mentions(make_room, user, other_user, api_client_for, make_user):
    created = api_client_for(user).post("/api/v1/rooms", {"name": "Team"}, format="json").json()
    assert api_client_for(other_user).post(f"/api/v1/rooms/{created['id']}/join").status_code == 200
    added = make_user("carol")
    api_client_for(user).post(f"/api/v1/rooms/{created['id']}/members", {"user_id": str(added.id)}, format="json")
    levels = set(RoomMember.objects.filter(room_id=created["id"]).values_list("notify_level", flat=True))
    assert levels == {MENTIONS}
    assert RoomMember.objects.filter(room_id=created["id"]).count() == 3


class TestMentionRowsDecideWhoIsNew:
    """What the send and edit paths hand to the selector: the mention rows are the record."""

    def test_an_edit_renotifies_nobody_already_mentioned_even_after_a_removal(self, chat, people):
        now = timezone.now()
        sender = people["sender"]
        message, _ = message_send(room_id=chat.id, sender=sender, content="@quiet")
        message_edit(message_id=message.id, editor=sender, content="nobody", now=now)
        rows_before = set(message.mention_rows.values_list("user_id", flat=True))
        message_edit(message_id=message.id, editor=sender, content="@quiet @quiet2", now=now)
        rows_after = set(message.mention_rows.values_list("user_id", flat=True))
        assert rows_after - rows_before == {people["quiet2"].id}
