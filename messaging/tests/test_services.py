"""The message rules with the clock passed in: no sleeping, no patching."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from broadcast.groups import room_group
from chatapp.errors import BadRequest, Conflict, Forbidden, NotFound
from messaging.models import Message
from messaging.serializers import MessageSerializer
from messaging.services import message_delete, message_delete_by_staff, message_edit, message_send
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_room, user, other_user):
    """alice (admin) and bob (member) in a public room."""
    return make_room(user, members=[other_user])


@pytest.fixture
def sent_at():
    return timezone.now()


class TestSend:
    def test_member_sends_text_trimmed_and_room_activity_moves(self, chat, other_user):
        message, created = message_send(room_id=chat.id, sender=other_user, content="  hi there  ")
        assert created and message.content == "hi there" and message.type == "text"
        chat.refresh_from_db()
        assert chat.last_message_at == message.created_at

    def test_returned_message_serializes_without_queries(self, chat, user, other_user, django_assert_num_queries):
        original, _ = message_send(room_id=chat.id, sender=user, content="question")
        reply, _ = message_send(room_id=chat.id, sender=other_user, content="answer", reply_to_id=original.id)
        with django_assert_num_queries(0):
            data = MessageSerializer(reply).data
        assert data["reply_to"] == {
            "id": str(original.id),
            "content": "question",
            "sender": {"id": str(user.id), "username": "alice"},
        }

    def test_send_runs_a_bounded_number_of_queries(self, chat, other_user, django_assert_max_num_queries):
        # membership, insert, the room's message before it (the event's prev_id), room activity,
        # who to notify, plus the savepoint pair of the service's atomic block inside the test
        # transaction (and one more pair around the insert for an idempotency key)
        with django_assert_max_num_queries(7):
            message_send(room_id=chat.id, sender=other_user, content="hi")
        with django_assert_max_num_queries(9):
            message_send(room_id=chat.id, sender=other_user, content="hi", client_msg_id="k1")

    def test_outsider_of_public_room_is_forbidden(self, chat, make_user):
        with pytest.raises(Forbidden, match="You are not a member of this room"):
            message_send(room_id=chat.id, sender=make_user(), content="hi")

    def test_outsider_of_private_room_is_told_it_does_not_exist(self, make_room, user, make_user):
        private = make_room(user, type="private")
        with pytest.raises(NotFound, match="Room not found"):
            message_send(room_id=private.id, sender=make_user(), content="hi")

    @pytest.mark.parametrize("content", ["", "   \n\t ", "x" * 2001])
    def test_text_must_be_1_to_2000_characters_after_trimming(self, chat, user, content):
        with pytest.raises(BadRequest):
            message_send(room_id=chat.id, sender=user, content=content)
        assert not Message.objects.exists()

    def test_2000_characters_with_surrounding_spaces_is_fine(self, chat, user):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"  {'x' * 2000}  ")
        assert len(message.content) == 2000

    def test_system_type_is_server_only(self, chat, user):
        with pytest.raises(BadRequest, match="Message type"):
            message_send(room_id=chat.id, sender=user, content="I am root", type="system")

    def test_reply_must_be_in_the_same_room(self, chat, make_room, user, make_message):
        elsewhere = make_message(make_room(user), user)
        with pytest.raises(BadRequest, match="not in this room"):
            message_send(room_id=chat.id, sender=user, content="re", reply_to_id=elsewhere.id)

    @pytest.mark.parametrize("url", ["", "https://evil.example/x.png", "/media/../settings.py", "/etc/passwd"])
    def test_file_messages_need_an_uploaded_file(self, chat, user, url):
        with pytest.raises(BadRequest, match="file you uploaded"):
            message_send(room_id=chat.id, sender=user, type="image", file_url=url)

    def test_file_message_keeps_the_uploads_url_and_size_and_optional_caption(self, chat, user, make_upload):
        upload = make_upload(user, "file")
        message, _ = message_send(room_id=chat.id, sender=user, type="file", file_url=upload.url, file_name="notes.pdf")
        assert (message.file_url, message.file_name, message.file_size, message.content) == (
            upload.url,
            "notes.pdf",
            upload.size,
            "",
        )

    @pytest.mark.parametrize("claimed", ["quarterly-report.pdf", "", "notes.pdf.exe"])
    def test_file_name_shown_is_the_name_recorded_at_upload_not_the_senders(self, chat, user, make_upload, claimed):
        upload = make_upload(user, "file")  # uploaded as notes.pdf
        message, _ = message_send(room_id=chat.id, sender=user, type="file", file_url=upload.url, file_name=claimed)
        assert message.file_name == upload.original_name == "notes.pdf"

    def test_someone_elses_upload_cannot_be_sent(self, chat, user, other_user, make_upload):
        theirs = make_upload(other_user)
        with pytest.raises(BadRequest, match="file you uploaded"):
            message_send(room_id=chat.id, sender=user, type="image", file_url=theirs.url)

    def test_image_message_must_point_at_an_image(self, chat, user, make_upload):
        pdf = make_upload(user, "file")
        with pytest.raises(BadRequest, match="needs an uploaded image"):
            message_send(room_id=chat.id, sender=user, type="image", file_url=pdf.url)

    def test_text_message_drops_file_fields(self, chat, user):
        message, _ = message_send(room_id=chat.id, sender=user, content="hi", file_url="/media/x.png")
        assert message.file_url == ""

    def test_repeated_client_msg_id_returns_the_first_message_and_announces_nothing(
        self, chat, other_user, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as first_callbacks:
            first, created = message_send(room_id=chat.id, sender=other_user, content="once", client_msg_id="abc")
        with django_capture_on_commit_callbacks() as second_callbacks:
            again, created_again = message_send(room_id=chat.id, sender=other_user, content="once", client_msg_id="abc")
        assert created and not created_again
        assert again.id == first.id
        assert MessageSerializer(again).data == MessageSerializer(first).data
        assert len(first_callbacks) == 1 and second_callbacks == []
        assert Message.objects.count() == 1

    def test_client_msg_id_is_per_sender(self, chat, user, other_user):
        a, _ = message_send(room_id=chat.id, sender=user, content="a", client_msg_id="same")
        b, created = message_send(room_id=chat.id, sender=other_user, content="b", client_msg_id="same")
        assert created and a.id != b.id

    def test_client_msg_id_reused_in_another_room_is_409(self, chat, make_room, user):
        message_send(room_id=chat.id, sender=user, content="a", client_msg_id="k")
        with pytest.raises(Conflict):
            message_send(room_id=make_room(user).id, sender=user, content="b", client_msg_id="k")

    def test_new_message_is_published_once_after_commit_with_the_message_json(
        self, chat, other_user, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message, _ = message_send(room_id=chat.id, sender=other_user, content="hi")
            assert listener.events() == []  # not before commit
        for callback in callbacks:
            callback()
        [event] = listener.events()
        assert event["type"] == "new_message"
        assert event["payload"] == {**MessageSerializer(message).data, "prev_id": None}

    def test_each_new_message_names_the_rooms_message_before_it(
        self, chat, other_user, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        with django_capture_on_commit_callbacks(execute=True):
            first, _ = message_send(room_id=chat.id, sender=other_user, content="one")
        with django_capture_on_commit_callbacks(execute=True):
            second, _ = message_send(room_id=chat.id, sender=other_user, content="two")
        assert [event["payload"]["prev_id"] for event in listener.events()] == [None, str(first.id)]

    def test_nothing_is_published_when_the_transaction_rolls_back(
        self, chat, other_user, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                message_send(room_id=chat.id, sender=other_user, content="hi")
                raise RuntimeError("later step failed")
        assert callbacks == []
        assert not Message.objects.exists()


class TestEditRules:
    def test_sender_edits_within_three_minutes(self, chat, user, make_message, sent_at):
        message = make_message(chat, user, "tpyo", created_at=sent_at)
        edited = message_edit(
            message_id=message.id, editor=user, content=" typo ", now=sent_at + timedelta(seconds=179)
        )
        assert edited.content == "typo" and edited.is_edited

    def test_not_after_three_minutes(self, chat, user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at)
        with pytest.raises(Forbidden, match="within 3 minutes"):
            message_edit(message_id=message.id, editor=user, content="late", now=sent_at + timedelta(minutes=3))

    def test_not_once_another_member_has_read_it(self, chat, user, other_user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at)
        RoomMember.objects.filter(room=chat, user=other_user).update(read_at=sent_at)  # "at or after"
        with pytest.raises(Forbidden, match="have been read"):
            message_edit(message_id=message.id, editor=user, content="x", now=sent_at + timedelta(seconds=5))

    def test_read_before_the_message_was_sent_does_not_count(self, chat, user, other_user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at)
        RoomMember.objects.filter(room=chat, user=other_user).update(read_at=sent_at - timedelta(seconds=1))
        message_edit(message_id=message.id, editor=user, content="x", now=sent_at + timedelta(seconds=5))

    def test_own_read_mark_does_not_count(self, chat, user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at)
        RoomMember.objects.filter(room=chat, user=user).update(read_at=sent_at + timedelta(seconds=1))
        message_edit(message_id=message.id, editor=user, content="x", now=sent_at + timedelta(seconds=5))

    def test_only_the_sender_edits_not_even_a_room_admin(self, chat, user, other_user, make_message, sent_at):
        message = make_message(chat, other_user, created_at=sent_at)
        with pytest.raises(Forbidden, match="only edit your own"):
            message_edit(message_id=message.id, editor=user, content="x", now=sent_at)

    def test_outsider_is_told_the_message_does_not_exist(self, chat, user, make_user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at)
        with pytest.raises(NotFound, match="Message not found"):
            message_edit(message_id=message.id, editor=make_user(), content="x", now=sent_at)

    def test_deleted_message_cannot_be_edited(self, chat, user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at, is_deleted=True)
        with pytest.raises(BadRequest):
            message_edit(message_id=message.id, editor=user, content="x", now=sent_at)

    def test_edit_publishes_edit_message_with_the_new_json(
        self, chat, user, make_message, sent_at, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        message = make_message(chat, user, created_at=sent_at)
        with django_capture_on_commit_callbacks(execute=True):
            edited = message_edit(message_id=message.id, editor=user, content="better", now=sent_at)
        assert listener.events() == [
            {
                "type": "edit_message",
                "payload": {**MessageSerializer(edited).data, "content": "better", "is_edited": True},
            }
        ]


class TestDeleteRules:
    def test_sender_deletes_within_the_window_and_content_is_wiped(
        self, chat, user, make_message, sent_at, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        message = make_message(
            chat, user, "secret", type="image", file_url="/media/a.png", file_name="a.png", created_at=sent_at
        )
        with django_capture_on_commit_callbacks(execute=True):
            message_delete(message_id=message.id, actor=user, now=sent_at + timedelta(minutes=2))
        message.refresh_from_db()
        assert message.is_deleted and (message.content, message.file_url, message.file_name) == ("", "", "")
        assert listener.events() == [
            {"type": "delete_message", "payload": {"id": str(message.id), "room_id": str(chat.id)}}
        ]

    def test_sender_cannot_delete_after_three_minutes(self, chat, other_user, make_message, sent_at):
        message = make_message(chat, other_user, created_at=sent_at)
        with pytest.raises(Forbidden, match="within 3 minutes"):
            message_delete(message_id=message.id, actor=other_user, now=sent_at + timedelta(minutes=3, seconds=1))

    def test_sender_cannot_delete_once_read(self, chat, user, other_user, make_message, sent_at):
        message = make_message(chat, other_user, created_at=sent_at)
        RoomMember.objects.filter(room=chat, user=user).update(read_at=sent_at + timedelta(seconds=1))
        with pytest.raises(Forbidden, match="have been read"):
            message_delete(message_id=message.id, actor=other_user, now=sent_at + timedelta(seconds=2))

    def test_member_cannot_delete_someone_elses_message(self, chat, user, other_user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at)
        with pytest.raises(Forbidden, match="only delete your own"):
            message_delete(message_id=message.id, actor=other_user, now=sent_at)

    def test_room_admin_deletes_any_message_at_any_time_even_when_read(
        self, chat, user, other_user, make_message, sent_at
    ):
        message = make_message(chat, other_user, created_at=sent_at)
        RoomMember.objects.filter(room=chat, user=user).update(read_at=sent_at + timedelta(hours=1))
        deleted = message_delete(message_id=message.id, actor=user, now=sent_at + timedelta(days=30))
        assert deleted.is_deleted

    def test_admin_of_another_room_has_no_power_here(
        self, chat, make_room, other_user, make_user, make_message, sent_at
    ):
        stranger = make_user()
        make_room(stranger)
        message = make_message(chat, other_user, created_at=sent_at)
        with pytest.raises(NotFound):
            message_delete(message_id=message.id, actor=stranger, now=sent_at)

    def test_deleting_twice_is_400(self, chat, user, make_message, sent_at):
        message = make_message(chat, user, created_at=sent_at, is_deleted=True)
        with pytest.raises(BadRequest, match="already been deleted"):
            message_delete(message_id=message.id, actor=user, now=sent_at)

    def test_staff_soft_delete_announces_and_skips_deleted(
        self, chat, other_user, make_message, django_capture_on_commit_callbacks
    ):
        message = make_message(chat, other_user)
        with django_capture_on_commit_callbacks() as callbacks:
            assert message_delete_by_staff(message_id=message.id).is_deleted
            assert message_delete_by_staff(message_id=message.id) is None
        assert len(callbacks) == 1
