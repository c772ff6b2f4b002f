"""Who hears of a message: each member's notification level, mentions and @room."""

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

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


def queued_pushes() -> list[dict]:
    """The push jobs queued so far: their message id and recipients, oldest first."""
    rows = DBTaskResult.objects.order_by("enqueued_at").values_list("args_kwargs", flat=True)
    return [row["kwargs"]["kwargs"] for row in rows if row["kwargs"]["name"] == "push_message"]


@pytest.mark.django_db(transaction=True)
class TestThePushJob:
    """The send and edit services queue one push_message job with the selector's recipients."""

    def test_a_send_queues_one_job_that_commits_with_it(self, chat, people):
        message, _ = message_send(room_id=chat.id, sender=people["sender"], content="hi @quiet and @muted")
        assert queued_pushes() == [
            {
                "message_id": str(message.id),
                "recipients": sorted(
                    [
                        {"user_id": str(people["loud"].id), "mentioned": False},
                        {"user_id": str(people["quiet"].id), "mentioned": True},
                    ],
                    key=lambda r: r["user_id"],
                ),
            }
        ]

    def test_a_send_that_rolls_back_queues_nothing(self, chat, people):
        with pytest.raises(RuntimeError), transaction.atomic():
            message_send(room_id=chat.id, sender=people["sender"], content="@quiet never sent")
            assert len(queued_pushes()) == 1  # in the transaction...
            raise RuntimeError("a later step failed")
        assert queued_pushes() == []  # ...and gone with it

    def test_a_send_nobody_hears_queues_nothing(self, chat, people):
        RoomMember.objects.filter(room=chat, user=people["loud"]).update(notify_level=MENTIONS)
        message_send(room_id=chat.id, sender=people["sender"], content="hello")
        assert queued_pushes() == []

    def test_an_edit_queues_a_job_for_the_newly_mentioned_only(self, chat, people):
        sender, now = people["sender"], timezone.now()
        message, _ = message_send(room_id=chat.id, sender=sender, content="@quiet")
        message_edit(message_id=message.id, editor=sender, content="@quiet @quiet2 @loud @muted", now=now)
        message_edit(message_id=message.id, editor=sender, content="typo fixed, @quiet @quiet2", now=now)
        message_edit(message_id=message.id, editor=sender, content="nobody", now=now)
        message_edit(message_id=message.id, editor=sender, content="@quiet again", now=now)
        first, edit = queued_pushes()
        assert {r["user_id"] for r in first["recipients"]} == {str(people["loud"].id), str(people["quiet"].id)}
        assert edit == {
            "message_id": str(message.id),
            "recipients": sorted(
                [
                    {"user_id": str(people["quiet2"].id), "mentioned": True},
                    {"user_id": str(people["loud"].id), "mentioned": True},
                ],
                key=lambda r: r["user_id"],
            ),
        }

    def test_at_room_in_an_edit_notifies_members_not_yet_mentioned(self, chat, people):
        sender, now = people["sender"], timezone.now()
        message, _ = message_send(room_id=chat.id, sender=sender, content="@quiet")
        message_edit(message_id=message.id, editor=sender, content="@room", now=now)
        _, edit = queued_pushes()
        names = {str(user.id): name for name, user in people.items()}
        assert {names[r["user_id"]] for r in edit["recipients"]} == {"loud", "quiet2"}
