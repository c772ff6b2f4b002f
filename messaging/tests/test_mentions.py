"""@mentions: what the text mentions, what a send and an edit store, and the events that carry them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from broadcast.groups import room_group
from chatapp.errors import Forbidden
from messaging import mentions
from messaging.models import MessageMention
from messaging.serializers import MessageSerializer
from messaging.services import ROOM_MENTION_OPEN_MAX, message_delete, message_edit, message_send
from rooms.models import RoomMember


def mentioned(content: str, usernames: list[str]) -> tuple[list[str], bool]:
    """The usernames `content` mentions among `usernames`, and whether it mentions @room."""
    parsed = mentions.parse(content)
    members = {name.lower(): name for name in usernames if name.lower() in parsed.names}
    return mentions.resolve(parsed, members)


class TestParse:
    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            ("@alice hi", ["alice"]),
            ("hi @ALICE", ["alice"]),
            ("(@alice), @bob: yes", ["alice", "bob"]),
            ("@bob then @alice then @bob", ["bob", "alice"]),
            ("thanks @alice.", ["alice"]),
            ("@alice's idea", ["alice"]),
            ("@alice-s idea", ["alice"]),
            ("line one\n@alice", ["alice"]),
            ("`unclosed @alice", ["alice"]),
        ],
    )
    def test_names_members_by_username_in_any_case(self, content, expected):
        assert mentioned(content, ["alice", "bob", "carol"]) == (expected, False)

    @pytest.mark.parametrize(
        "content",
        [
            "`@alice`",
            "see ``a ` @alice`` there",
            "```\nlog: @alice\n```",
            "https://example.com/@alice",
            "www.example.com/@alice",
            "mail bob@alice.com",
            "a/@alice",
            "@alicex",
            "@alice_",
            "@@alice",
            "@al",
        ],
    )
    def test_no_mention_in_code_urls_addresses_or_longer_names(self, content):
        assert mentioned(content, ["alice", "al"]) == ([], False)

    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            ("@alice.smith hi", ["alice.smith"]),
            ("@Alice.Smith.", ["alice.smith"]),
            ("@alice.jones hi", ["alice"]),
            ("@alice-team", ["alice-team"]),
        ],
    )
    def test_the_longest_matching_username_wins(self, content, expected):
        assert mentioned(content, ["alice", "alice.smith", "alice-team"])[0] == expected

    @pytest.mark.parametrize("content", ["@room", "hey @Room.", "(@room)"])
    def test_at_room_mentions_the_room_even_with_a_member_named_room(self, content):
        assert mentioned(content, ["room", "alice"]) == ([], True)

    @pytest.mark.parametrize("content", ["@rooms", "`@room`", "x@room"])
    def test_at_room_only_as_a_word_outside_code(self, content):
        assert mentioned(content, ["alice"]) == ([], False)

    def test_a_longer_member_name_beats_at_room(self):
        assert mentioned("@room.bob", ["room.bob"]) == (["room.bob"], False)

    def test_names_to_look_up_are_every_prefix_a_mention_may_mean(self):
        parsed = mentions.parse("@Alice.Smith-x and @room. and `@carol` and @ab")
        assert parsed.names == {"alice.smith-x", "alice.smith", "alice", "room."}
        assert parsed.may_mention_room
        assert mentions.parse("no at sign").candidates == ()


@pytest.mark.django_db
class TestSendAndEdit:
    @pytest.fixture
    def carol(self, make_user):
        return make_user("Carol")

    @pytest.fixture
    def chat(self, make_room, user, other_user, carol):
        """alice (admin), bob and Carol in a public room."""
        return make_room(user, members=[other_user, carol])

    @staticmethod
    def rows(message) -> dict[str, bool]:
        return {
            row.user.username: row.active
            for row in MessageMention.objects.filter(message=message).select_related("user")
        }

    def test_send_stores_mentions_of_members_as_written_and_one_row_each(
        self, chat, user, other_user, carol, make_user
    ):
        make_user("dave")  # not a member
        message, _ = message_send(room_id=chat.id, sender=user, content="@bob @CAROL @dave @bob and me @alice")
        assert MessageSerializer(message).data["mentions"] == [
            {"id": str(other_user.id), "username": "bob"},
            {"id": str(carol.id), "username": "Carol"},
            {"id": str(user.id), "username": "alice"},
        ]
        assert MessageSerializer(message).data["mentions_room"] is False
        # The author's own name is shown but never notifies them nor fills their inbox.
        assert self.rows(message) == {"bob": True, "Carol": True}

    def test_message_without_mentions_has_an_empty_list(self, chat, user):
        message, _ = message_send(room_id=chat.id, sender=user, content="hello")
        assert MessageSerializer(message).data["mentions"] == []
        assert not MessageMention.objects.exists()

    def test_a_deactivated_member_is_not_mentioned(self, chat, user, carol):
        carol.is_active = False
        carol.save(update_fields=["is_active"])
        message, _ = message_send(room_id=chat.id, sender=user, content="@carol")
        assert message.mentions == [] and self.rows(message) == {}

    def test_resolving_many_names_is_one_query(self, chat, user, make_user, django_assert_max_num_queries):
        names = [make_user(f"member{n}").username for n in range(20)]
        for name in names:
            RoomMember.objects.create(room=chat, user_id=make_user(f"{name}x").id)
        # membership, the names looked up, insert, the message before it, room activity, mention
        # rows, who to notify, the push job, and the savepoint pair of the service's atomic block
        # inside the test transaction
        with django_assert_max_num_queries(10):
            message_send(room_id=chat.id, sender=user, content="@bob")
        with django_assert_max_num_queries(10):
            message, _ = message_send(room_id=chat.id, sender=user, content=" ".join(f"@{n}x." for n in names))
        assert len(message.mentions) == 20

    def test_at_room_stores_a_row_for_every_member_but_the_author(self, chat, user):
        message, _ = message_send(room_id=chat.id, sender=user, content="@room lunch?")
        data = MessageSerializer(message).data
        assert data["mentions_room"] is True and data["mentions"] == []
        assert self.rows(message) == {"bob": True, "Carol": True}

    def test_at_room_in_a_room_of_more_than_100_is_for_admins_only(self, chat, user, other_user, make_user):
        for n in range(ROOM_MENTION_OPEN_MAX - 3):
            RoomMember.objects.create(room=chat, user=make_user(f"crowd{n}"))
        assert RoomMember.objects.filter(room=chat).count() == ROOM_MENTION_OPEN_MAX
        message_send(room_id=chat.id, sender=other_user, content="@room at 100 anyone may")
        RoomMember.objects.create(room=chat, user=make_user("one_more"))
        with pytest.raises(Forbidden, match="Only room admins can mention @room in rooms of more than 100 members"):
            message_send(room_id=chat.id, sender=other_user, content="@room")
        message, _ = message_send(room_id=chat.id, sender=user, content="@room")  # alice is an admin
        assert len(self.rows(message)) == ROOM_MENTION_OPEN_MAX

    def test_edit_recomputes_mentions_and_keeps_rows_of_users_no_longer_mentioned(self, chat, user):
        sent_at = timezone.now()
        message, _ = message_send(room_id=chat.id, sender=user, content="@bob look")
        edited = message_edit(message_id=message.id, editor=user, content="@carol look", now=sent_at)
        assert [m["username"] for m in MessageSerializer(edited).data["mentions"]] == ["Carol"]
        assert self.rows(message) == {"bob": False, "Carol": True}
        message_edit(message_id=message.id, editor=user, content="@bob @carol", now=sent_at)
        assert self.rows(message) == {"bob": True, "Carol": True}
        assert MessageMention.objects.filter(message=message).count() == 2

    def test_an_edit_adding_at_room_in_a_big_room_is_for_admins_only(self, chat, other_user, make_user):
        message, _ = message_send(room_id=chat.id, sender=other_user, content="hi")
        for n in range(ROOM_MENTION_OPEN_MAX - 2):
            RoomMember.objects.create(room=chat, user=make_user(f"crowd{n}"))
        with pytest.raises(Forbidden, match="Only room admins"):
            message_edit(message_id=message.id, editor=other_user, content="hi @room", now=timezone.now())

    def test_delete_blanks_mentions_and_clears_the_rows(self, chat, user):
        message, _ = message_send(room_id=chat.id, sender=user, content="@bob @room")
        deleted = message_delete(message_id=message.id, actor=user)
        data = MessageSerializer(deleted).data
        assert (data["mentions"], data["mentions_room"]) == ([], False)
        assert set(self.rows(message).values()) == {False}

    def test_new_and_edit_events_carry_the_mentions(
        self, chat, user, other_user, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(chat.id))
        with django_capture_on_commit_callbacks(execute=True):
            message, _ = message_send(room_id=chat.id, sender=user, content="@bob")
        with django_capture_on_commit_callbacks(execute=True):
            message_edit(message_id=message.id, editor=user, content="@carol @room", now=timezone.now())
        new, edit = listener.events()
        assert (new["type"], new["payload"]["mentions"]) == (
            "new_message",
            [{"id": str(other_user.id), "username": "bob"}],
        )
        assert edit["type"] == "edit_message"
        assert [m["username"] for m in edit["payload"]["mentions"]] == ["Carol"]
        assert edit["payload"]["mentions_room"] is True

    def test_mentions_keep_the_name_written_after_a_rename(self, chat, user, other_user, make_message):
        message, _ = message_send(room_id=chat.id, sender=user, content="@bob")
        other_user.username = "robert"
        other_user.save(update_fields=["username"])
        message.refresh_from_db()
        assert MessageSerializer(message).data["mentions"] == [{"id": str(other_user.id), "username": "bob"}]

    def test_file_message_caption_mentions(self, chat, user, make_upload):
        upload = make_upload(user, "file")
        message, _ = message_send(room_id=chat.id, sender=user, type="file", file_url=upload.url, content="for @bob")
        assert [m["username"] for m in message.mentions] == ["bob"]

    def test_an_old_message_is_edited_too_late_before_mentions_are_looked_up(self, chat, user, make_message):
        old = make_message(chat, user, "x", created_at=timezone.now() - timedelta(minutes=5))
        with pytest.raises(Forbidden, match="within 3 minutes"):
            message_edit(message_id=old.id, editor=user, content="@bob", now=timezone.now())
        assert not MessageMention.objects.exists()
