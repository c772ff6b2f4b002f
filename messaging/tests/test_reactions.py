"""Emoji reactions: the rules, the summary in the message JSON, the events and the endpoints."""

import random
import threading
from urllib.parse import quote

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.services import user_delete_by_staff
from broadcast.groups import room_group
from chatapp.errors import BadRequest, Conflict, NotFound
from messaging.event_types import ReactionAdded
from messaging.models import MESSAGE_RELATED, Message, Reaction
from messaging.serializers import MessageSerializer, message_json
from messaging.services import (
    MAX_REACTIONS_PER_MESSAGE,
    REACTION_USER_IDS_SHOWN,
    message_delete,
    reaction_add,
    reaction_remove,
    reaction_summary,
)
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db

# Twenty different emoji, and one more.
EMOJI = "😀 😁 😂 🤣 😃 😄 😅 😆 😉 😊 😋 😎 😍 😘 🥰 😗 😙 😚 🙂 🤗 🤩".split()


@pytest.fixture
def chat(make_room, user, other_user):
    """alice (admin) and bob (member) in a public room."""
    return make_room(user, members=[other_user])


@pytest.fixture
def message(chat, user, make_message):
    return make_message(chat, user, "ship it?")


def reactions_of(message: Message) -> list[dict]:
    return message_json(Message.objects.select_related(*MESSAGE_RELATED).get(pk=message.pk))["reactions"]


def stored_summary_matches_rows(message: Message) -> bool:
    return Message.objects.get(pk=message.pk).reactions == reaction_summary(message_id=message.id)


class TestRules:
    def test_a_member_reacts_and_the_message_json_shows_it(self, message, other_user):
        reacted, added = reaction_add(message_id=message.id, user=other_user, emoji="👍")
        assert added
        expected = [{"emoji": "👍", "count": 1, "user_ids": [str(other_user.id)]}]
        assert MessageSerializer(reacted).data["reactions"] == expected
        assert reactions_of(message) == expected

    def test_the_same_reaction_again_changes_nothing(self, message, other_user):
        reaction_add(message_id=message.id, user=other_user, emoji="👍")
        _, added = reaction_add(message_id=message.id, user=other_user, emoji="👍")
        assert not added
        assert Reaction.objects.count() == 1
        assert reactions_of(message)[0]["count"] == 1

    @pytest.mark.parametrize(
        "emoji",
        ["👍", "👍🏽", "👍🏿", "👨‍👩‍👧‍👦", "👩🏽‍❤️‍💋‍👨🏿", "🧑🏻‍💻", "🏳️‍🌈", "🇫🇷", "#️⃣", "❤️", "🫠"],
        ids=lambda e: e.encode("unicode_escape").decode(),
    )
    def test_any_single_emoji_with_skin_tones_and_zwj_sequences(self, message, other_user, emoji):
        reaction_add(message_id=message.id, user=other_user, emoji=emoji)
        assert reactions_of(message)[0]["emoji"] == emoji

    @pytest.mark.parametrize(
        "text",
        ["", "a", "+1", ":+1:", "👍👍", "👍 ", " 👍", "🏽", "🦰", "\u200d", "🇦", "1", "#", "<b>", "👍" * 40, "\x00"],
        ids=lambda e: e.encode("unicode_escape").decode() or "empty",
    )
    def test_anything_but_one_emoji_is_refused(self, message, other_user, text):
        with pytest.raises(BadRequest, match="emoji must be a single emoji"):
            reaction_add(message_id=message.id, user=other_user, emoji=text)

    def test_an_unqualified_emoji_is_the_same_reaction_as_its_qualified_form(self, message, other_user):
        reaction_add(message_id=message.id, user=other_user, emoji="\u2764")  # ❤ without the variation selector
        _, added = reaction_add(message_id=message.id, user=other_user, emoji="\u2764\ufe0f")
        assert not added
        assert reactions_of(message)[0]["emoji"] == "\u2764\ufe0f"

    def test_emoji_come_in_the_order_first_reacted_and_counts_are_exact(self, message, user, other_user, make_user):
        carol = make_user("carol")
        RoomMember.objects.create(room=message.room, user=carol)
        reaction_add(message_id=message.id, user=user, emoji="👍")
        reaction_add(message_id=message.id, user=other_user, emoji="🎉")
        reaction_add(message_id=message.id, user=carol, emoji="👍")
        assert reactions_of(message) == [
            {"emoji": "👍", "count": 2, "user_ids": [str(user.id), str(carol.id)]},
            {"emoji": "🎉", "count": 1, "user_ids": [str(other_user.id)]},
        ]
        # The emoji's earliest reaction still there decides its place.
        reaction_remove(message_id=message.id, user=user, emoji="👍")
        assert reactions_of(message) == [
            {"emoji": "🎉", "count": 1, "user_ids": [str(other_user.id)]},
            {"emoji": "👍", "count": 1, "user_ids": [str(carol.id)]},
        ]
        reaction_remove(message_id=message.id, user=other_user, emoji="🎉")
        assert [entry["emoji"] for entry in reactions_of(message)] == ["👍"]

    def test_at_most_twenty_different_emoji_and_those_can_still_be_added(self, message, user, other_user):
        for emoji in EMOJI[:MAX_REACTIONS_PER_MESSAGE]:
            reaction_add(message_id=message.id, user=user, emoji=emoji)
        with pytest.raises(Conflict, match="at most 20 different reactions"):
            reaction_add(message_id=message.id, user=other_user, emoji=EMOJI[MAX_REACTIONS_PER_MESSAGE])
        _, added = reaction_add(message_id=message.id, user=other_user, emoji=EMOJI[0])
        assert added and len(reactions_of(message)) == 20

    def test_fifty_reactors_are_listed_and_the_count_stays_exact(self, message, make_user):
        people = [make_user() for _ in range(REACTION_USER_IDS_SHOWN + 5)]
        RoomMember.objects.bulk_create([RoomMember(room=message.room, user=person) for person in people])
        for person in people:
            reaction_add(message_id=message.id, user=person, emoji="👍")
        [entry] = reactions_of(message)
        assert entry["count"] == 55
        assert entry["user_ids"] == [str(person.id) for person in people[:50]]
        # An unlisted reactor leaves: the list stays. A listed one leaves: the 51st moves up.
        reaction_remove(message_id=message.id, user=people[52], emoji="👍")
        reaction_remove(message_id=message.id, user=people[3], emoji="👍")
        [entry] = reactions_of(message)
        assert entry["count"] == 53
        assert entry["user_ids"] == [str(p.id) for p in people[:3] + people[4:51]]
        assert stored_summary_matches_rows(message)

    def test_the_summary_always_matches_the_rows(self, message, make_user):
        """Random adds and removes by 60 people with 4 emoji: the kept summary equals a fresh count."""
        people = [make_user() for _ in range(60)]
        RoomMember.objects.bulk_create([RoomMember(room=message.room, user=person) for person in people])
        chance = random.Random(7)
        for _ in range(300):
            person, emoji = chance.choice(people), chance.choice(["👍", "🎉", "👀", "🚀"])
            try:
                if chance.random() < 0.6:
                    reaction_add(message_id=message.id, user=person, emoji=emoji)
                else:
                    reaction_remove(message_id=message.id, user=person, emoji=emoji)
            except NotFound:
                pass
        assert Reaction.objects.count() > 50
        assert stored_summary_matches_rows(message)

    def test_removing_a_reaction_you_do_not_have_is_404(self, message, other_user):
        with pytest.raises(NotFound, match="You have not reacted with this emoji"):
            reaction_remove(message_id=message.id, user=other_user, emoji="👍")

    def test_an_outsider_is_told_the_message_does_not_exist(self, message, make_user):
        with pytest.raises(NotFound, match="Message not found"):
            reaction_add(message_id=message.id, user=make_user(), emoji="👍")

    def test_a_deleted_message_loses_its_reactions_and_takes_no_more(self, message, user, other_user):
        reaction_add(message_id=message.id, user=other_user, emoji="👍")
        message_delete(message_id=message.id, actor=user)
        assert reactions_of(message) == []
        assert not Reaction.objects.exists()
        with pytest.raises(BadRequest, match="deleted"):
            reaction_add(message_id=message.id, user=other_user, emoji="👍")

    def test_a_reaction_is_not_an_edit(self, message, other_user):
        before = Message.objects.get(pk=message.pk).updated_at
        reaction_add(message_id=message.id, user=other_user, emoji="👍")
        after = Message.objects.get(pk=message.pk)
        assert (after.updated_at, after.is_edited) == (before, False)

    def test_the_database_holds_one_row_per_user_message_and_emoji(self, message, other_user):
        Reaction.objects.create(message=message, user=other_user, emoji="👍")
        with pytest.raises(IntegrityError), transaction.atomic():
            Reaction.objects.create(message=message, user=other_user, emoji="👍")

    def test_a_deleted_account_leaves_no_reaction_behind(
        self, message, user, other_user, published_events, django_capture_on_commit_callbacks
    ):
        reaction_add(message_id=message.id, user=user, emoji="👍")
        reaction_add(message_id=message.id, user=other_user, emoji="👍")
        reaction_add(message_id=message.id, user=other_user, emoji="🎉")
        listener = published_events(room_group(message.room_id))
        with django_capture_on_commit_callbacks(execute=True):
            user_delete_by_staff(user=other_user)
        assert reactions_of(message) == [{"emoji": "👍", "count": 1, "user_ids": [str(user.id)]}]
        assert sorted(
            (event["type"], event["payload"]["emoji"]) for event in listener.events() if event["type"] != "user_left"
        ) == [("reaction_removed", "🎉"), ("reaction_removed", "👍")]


class TestEvents:
    def test_adding_and_removing_tell_the_room(
        self, message, other_user, published_events, django_capture_on_commit_callbacks
    ):
        listener = published_events(room_group(message.room_id))
        payload = {
            "room_id": str(message.room_id),
            "message_id": str(message.id),
            "emoji": "👍🏽",
            "user_id": str(other_user.id),
        }
        with django_capture_on_commit_callbacks(execute=True):
            reaction_add(message_id=message.id, user=other_user, emoji="👍🏽")
        with django_capture_on_commit_callbacks(execute=True):
            reaction_add(message_id=message.id, user=other_user, emoji="👍🏽")  # already there: silent
        with django_capture_on_commit_callbacks(execute=True):
            reaction_remove(message_id=message.id, user=other_user, emoji="👍🏽")
        assert listener.events() == [
            {"type": "reaction_added", "payload": payload},
            {"type": "reaction_removed", "payload": payload},
        ]

    def test_a_reaction_event_delivers_no_message(self, message, other_user):
        # Hubs drop repeats of events that deliver a message (broadcast.publish.relay_message).
        assert ReactionAdded.of(message, emoji="👍", user_id=other_user.id).message_id() is None


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_identical_reactions_store_one_row(make_room, user, other_user, published_events):
    room = make_room(user, members=[other_user])
    message = Message.objects.create(room=room, sender=user, content="race")
    listener = published_events(room_group(room.id))
    barrier, results = threading.Barrier(2), {}

    def react(key):
        try:
            barrier.wait(5)
            results[key] = reaction_add(message_id=message.id, user=other_user, emoji="👍")[1]
        finally:
            connection.close()

    threads = [threading.Thread(target=react, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results.values()) == [False, True]
    assert Reaction.objects.count() == 1
    assert reactions_of(message) == [{"emoji": "👍", "count": 1, "user_ids": [str(other_user.id)]}]
    assert listener.types() == ["reaction_added"]


def reaction_url(message: Message, emoji: str) -> str:
    return f"/api/v1/messages/{message.id}/reactions/{quote(emoji)}"


class TestApi:
    def test_put_adds_201_then_200_with_the_message(self, message, other_user, api_client_for):
        client = api_client_for(other_user)
        first = client.put(reaction_url(message, "👩🏽‍💻"))
        assert first.status_code == 201
        assert first.json()["id"] == str(message.id)
        assert first.json()["reactions"] == [{"emoji": "👩🏽‍💻", "count": 1, "user_ids": [str(other_user.id)]}]
        again = client.put(reaction_url(message, "👩🏽‍💻"))
        assert (again.status_code, again.json()) == (200, first.json())

    def test_delete_removes_200_then_404(self, message, other_user, api_client_for):
        client = api_client_for(other_user)
        client.put(reaction_url(message, "👍"))
        removed = client.delete(reaction_url(message, "👍"))
        assert (removed.status_code, removed.json()["reactions"]) == (200, [])
        again = client.delete(reaction_url(message, "👍"))
        assert (again.status_code, again.json()) == (404, {"error": "You have not reacted with this emoji"})

    @pytest.mark.parametrize("text", ["thumbsup", "%F0%9F", "👍👍", "%00", "%ZZ"])
    def test_anything_but_one_emoji_is_400(self, message, other_user, api_client_for, text):
        response = api_client_for(other_user).put(f"/api/v1/messages/{message.id}/reactions/{text}")
        assert (response.status_code, response.json()) == (400, {"error": "emoji must be a single emoji"})

    def test_the_twenty_first_emoji_is_409(self, message, other_user, api_client_for):
        client = api_client_for(other_user)
        for emoji in EMOJI[:20]:
            assert client.put(reaction_url(message, emoji)).status_code == 201
        response = client.put(reaction_url(message, EMOJI[20]))
        assert (response.status_code, response.json()) == (
            409,
            {"error": "A message can have at most 20 different reactions"},
        )

    def test_an_outsider_gets_404_like_other_message_endpoints(self, message, make_user, api_client_for):
        response = api_client_for(make_user()).put(reaction_url(message, "👍"))
        assert (response.status_code, response.json()) == (404, {"error": "Message not found"})

    def test_history_shows_reactions(self, message, other_user, api_client_for):
        client = api_client_for(other_user)
        client.put(reaction_url(message, "👍"))
        for query in ("", f"?around={message.id}"):
            [shown] = client.get(f"/api/v1/rooms/{message.room_id}/messages{query}").json()["data"]
            assert shown["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [str(other_user.id)]}]


class TestQueryCounts:
    """Reactions, pins and the rendered text come with each message's row: a history page costs
    the same queries however many messages carry them."""

    @pytest.fixture
    def busy_room(self, chat, user, other_user, make_message):
        messages = [make_message(chat, user, f"m{n}") for n in range(30)]
        for message in messages[::2]:
            reaction_add(message_id=message.id, user=other_user, emoji="👍")
            reaction_add(message_id=message.id, user=user, emoji="🎉")
        return chat, messages

    def _count(self, client, url) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries.captured_queries), response.json()

    def test_history_pages_and_cursors_stay_at_three_queries(self, busy_room, user, api_client_for):
        room, messages = busy_room
        client = api_client_for(user)
        for url in (
            f"/api/v1/rooms/{room.id}/messages?limit=50",
            f"/api/v1/rooms/{room.id}/messages?before={messages[-1].id}&limit=50",
        ):
            count, body = self._count(client, url)
            assert count == 3
            assert sum(1 for shown in body["data"] if shown["reactions"]) == 15

    def test_around_costs_the_same_for_one_reacted_message_or_fifteen(self, busy_room, make_room, user, api_client_for):
        room, messages = busy_room
        client = api_client_for(user)
        many, body = self._count(client, f"/api/v1/rooms/{room.id}/messages?around={messages[15].id}&limit=30")
        assert sum(1 for shown in body["data"] if shown["reactions"]) == 14  # messages 2, 4, ... 28
        quiet_room = make_room(user)
        quiet = [Message.objects.create(room=quiet_room, sender=user, content=f"q{n}") for n in range(30)]
        reaction_add(message_id=quiet[0].id, user=user, emoji="👍")
        few, _ = self._count(client, f"/api/v1/rooms/{quiet_room.id}/messages?around={quiet[15].id}&limit=30")
        # The token, the membership, the target message, the older and the newer ones.
        assert many == few == 5, (many, few)
