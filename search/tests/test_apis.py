from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dms.services import dm_get_or_create
from messaging.models import MessageMention
from messaging.services import message_delete, message_edit
from rooms.models import RoomMember
from rooms.services import room_join, room_leave, room_mark_read

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def general(make_room, user, other_user):
    """alice (admin) and bob in a public room."""
    return make_room(user, name="General", members=[other_user])


class TestResults:
    def test_finds_matching_messages_newest_first_with_room_and_ranges(self, user, other_user, general, send, search):
        send(general, user, "deploy the web server")
        send(general, other_user, "lunch at noon?")
        newest = send(general, other_user, "Deploy finished")
        body = search(user, "deploy")
        assert [m["content"] for m in body["data"]] == ["Deploy finished", "deploy the web server"]
        first = body["data"][0]
        assert first["id"] == str(newest.id) and first["sender"]["username"] == "bob"
        assert first["room"] == {"id": str(general.id), "name": "General", "type": "public"}
        assert first["match_ranges"] == [[0, 6]]
        assert body["data"][1]["match_ranges"] == [[0, 6]]
        assert body["limit"] == 20 and body["next_cursor"] is None

    def test_result_is_the_message_json_plus_room_and_ranges(self, user, general, send, api_client_for):
        message = send(general, user, "release notes")
        history = api_client_for(user).get(f"/api/v1/rooms/{general.id}/messages").json()["data"][0]
        found = api_client_for(user).get("/api/v1/search", {"q": "release"}).json()["data"][0]
        assert found.pop("room") == {"id": str(general.id), "name": "General", "type": "public"}
        assert found.pop("match_ranges") == [[0, 7]]
        assert found == history and found["id"] == str(message.id)

    def test_all_words_must_appear(self, user, general, send, contents):
        send(general, user, "deploy the database")
        send(general, user, "deploy the web server")
        assert contents(user, "deploy database") == ["deploy the database"]

    def test_phrase_keeps_words_together_and_in_order(self, user, general, send, contents):
        send(general, user, "the brown big dog")
        send(general, user, "a big brown dog")
        send(general, user, "big dogs are brown")
        assert contents(user, '"big brown"') == ["a big brown dog"]

    def test_minus_excludes_a_word(self, user, general, send, contents):
        send(general, user, "deploy staging")
        send(general, user, "deploy production")
        assert contents(user, "deploy -production") == ["deploy staging"]
        assert contents(user, '-"deploy production"') == ["deploy staging"]

    def test_or_accepts_either_word(self, user, general, send, contents):
        send(general, user, "cats purr")
        send(general, user, "dogs bark")
        send(general, user, "fish swim")
        assert contents(user, "cats OR dogs") == ["dogs bark", "cats purr"]

    def test_words_match_their_stems(self, user, general, send, contents):
        send(general, user, "we deployed it")
        send(general, user, "deploying now")
        assert contents(user, "deploys") == ["deploying now", "we deployed it"]

    def test_accents_are_ignored_both_ways(self, user, general, send, search):
        send(general, user, "Meet at the café")
        send(general, user, "cafe again")
        assert [m["content"] for m in search(user, "cafe ")["data"]] == ["cafe again", "Meet at the café"]
        found = search(user, "café ")["data"]
        assert [m["content"] for m in found] == ["cafe again", "Meet at the café"]
        assert found[1]["match_ranges"] == [[12, 16]]

    def test_last_word_matches_as_a_prefix_while_typing(self, user, general, send, contents):
        send(general, user, "deployment done")
        send(general, user, "deploy it")
        assert contents(user, "deplo") == ["deploy it", "deployment done"]
        assert contents(user, "done deplo") == ["deployment done"]
        # A word followed by a space is finished: no longer a prefix.
        assert contents(user, "deplo ") == []

    def test_unknown_operator_is_searched_as_words(self, user, general, send, contents):
        send(general, user, "see ticket:42 please")
        send(general, user, "ticket closed")
        assert contents(user, "ticket:42") == ["see ticket:42 please"]

    def test_match_ranges_count_code_points_and_cover_every_match(self, user, general, send, search):
        text = "🚀 Deploy, then deploy rockets: deployed!"
        send(general, user, text)
        ranges = search(user, "deploy rocket")["data"][0]["match_ranges"]
        assert [text[start:end] for start, end in ranges] == ["Deploy", "deploy", "rockets", "deployed"]
        assert ranges[0] == [2, 8]

    def test_match_ranges_of_a_prefix(self, user, general, send, search):
        send(general, user, "the deployment")
        assert search(user, "deplo")["data"][0]["match_ranges"] == [[4, 14]]

    def test_operators_alone_have_no_ranges(self, user, other_user, general, send, search):
        send(general, other_user, "hello")
        assert [(m["content"], m["match_ranges"]) for m in search(user, "from:bob")["data"]] == [("hello", [])]


class TestOperators:
    def test_from_finds_one_senders_messages(self, user, other_user, general, send, contents):
        send(general, user, "deploy from alice")
        send(general, other_user, "deploy from bob")
        assert contents(user, "from:bob deploy") == ["deploy from bob"]
        assert contents(user, "deploy from:@BOB") == ["deploy from bob"]
        assert contents(user, "deploy -from:bob") == ["deploy from alice"]
        assert contents(user, "from:nobody deploy") == []

    def test_in_finds_one_rooms_messages_by_name(self, user, general, make_room, send, contents):
        ops = make_room(user, name="Ops team")
        send(general, user, "deploy in general")
        send(ops, user, "deploy in ops")
        assert contents(user, 'in:"ops team" deploy') == ["deploy in ops"]
        assert contents(user, "deploy in:general") == ["deploy in general"]
        assert contents(user, "deploy -in:general") == ["deploy in ops"]
        assert contents(user, "in:nowhere deploy") == []

    def test_in_at_user_finds_the_direct_room_with_them(self, user, other_user, carol, general, send, contents):
        with_bob, _ = dm_get_or_create(user=user, recipient_id=other_user.id)
        with_carol, _ = dm_get_or_create(user=user, recipient_id=carol.id)
        send(with_bob, other_user, "deploy? (bob)")
        send(with_carol, carol, "deploy? (carol)")
        send(general, other_user, "deploy? (general)")
        assert contents(user, "in:@bob deploy") == ["deploy? (bob)"]
        assert contents(user, "in:@Carol") == ["deploy? (carol)"]

    def test_has_finds_attachments_and_links(self, user, general, send, make_upload, contents):
        image = make_upload(user, "image")
        document = make_upload(user, "file")
        send(general, user, "see https://example.com/x")
        send(general, user, "plain text")
        send(general, user, "a photo", type="image", file_url=image.url)
        send(general, user, "a pdf", type="file", file_url=document.url)
        assert contents(user, "has:image") == ["a photo"]
        assert contents(user, "has:file") == ["a pdf", "a photo"]
        assert contents(user, "has:link") == ["see https://example.com/x"]
        assert contents(user, "has:audio") == []
        assert contents(user, "-has:file -has:link") == ["plain text"]

    def test_before_and_after_exclude_the_day_named(self, user, general, send, contents):
        def day(d: int, hour: int = 12) -> datetime:
            return datetime(2024, 5, d, hour, tzinfo=UTC)

        send(general, user, "standup one", at=day(1, 23))
        send(general, user, "standup two", at=day(2, 0))
        send(general, user, "standup three", at=day(3))
        assert contents(user, "standup before:2024-05-02") == ["standup one"]
        assert contents(user, "standup after:2024-05-01") == ["standup three", "standup two"]
        assert contents(user, "after:2024-05-01 before:2024-05-03") == ["standup two"]

    def test_is_unread_finds_others_messages_after_your_read_mark(self, user, other_user, general, send, contents):
        send(general, other_user, "old news", at=timezone.now() - timedelta(minutes=5))
        room_mark_read(room_id=general.id, user=user, now=timezone.now() - timedelta(minutes=1))
        send(general, other_user, "fresh news")
        send(general, user, "my own news")
        assert contents(user, "is:unread news") == ["fresh news"]
        assert contents(user, "news -is:unread") == ["my own news", "old news"]

    def test_is_mention_finds_messages_that_mention_you_by_name_or_room(
        self, user, other_user, carol, general, send, contents
    ):
        room_join(room_id=general.id, user=carol)
        send(general, other_user, "@alice deploy please")
        send(general, other_user, "@room deploy done")
        send(general, other_user, "@carol deploy yours")
        send(general, other_user, "deploy without anyone")
        send(general, user, "@bob deploy mine")
        assert contents(user, "is:mention") == ["@room deploy done", "@alice deploy please"]
        assert contents(user, "is:mention please") == ["@alice deploy please"]
        assert contents(user, "deploy -is:mention") == [
            "@bob deploy mine",
            "deploy without anyone",
            "@carol deploy yours",
        ]
        # bob wrote the @room: his own message does not mention him.
        assert contents(other_user, "is:mention") == ["@bob deploy mine"]
        assert contents(carol, "is:mention") == ["@carol deploy yours", "@room deploy done"]

    def test_is_mention_follows_edits_and_deletions(self, user, other_user, general, send, contents):
        edited = send(general, other_user, "@alice look")
        dropped = send(general, other_user, "@alice gone soon")
        message_edit(message_id=edited.id, editor=other_user, content="nobody to look")
        assert contents(user, "is:mention") == ["@alice gone soon"]
        message_edit(message_id=edited.id, editor=other_user, content="@alice look again")
        message_delete(message_id=dropped.id, actor=other_user)
        assert contents(user, "is:mention") == ["@alice look again"]

    def test_operators_combine(self, user, other_user, general, make_room, send, contents):
        ops = make_room(user, name="Ops", members=[other_user])
        send(ops, other_user, "deploy https://ci.example.com")
        send(ops, other_user, "deploy soon")
        send(general, other_user, "deploy https://ci.example.com")
        send(ops, user, "deploy https://ci.example.com")
        assert contents(user, "from:bob in:ops has:link") == ["deploy https://ci.example.com"]
        assert len(contents(user, "has:link")) == 3


class TestAccess:
    QUERIES = [
        "secret",
        "secre",
        '"secret plan"',
        "secret -nothing",
        "secret OR nothing",
        "-nothing",
        "from:bob",
        "from:bob secret",
        "in:Hideout",
        "in:@bob",
        "has:link",
        "has:file",
        "after:2000-01-01",
        "before:2999-01-01",
        "is:unread",
        "-is:unread",
        "is:mention",
        "is:mention secret",
        "-is:mention",
        "-in:General",
        "-from:alice",
    ]

    @pytest.fixture
    def others_rooms(self, user, other_user, carol, make_room, send):
        """bob's messages "secret plan https://x.example @alice @carol" in rooms alice cannot read any more or
        never could (the left room's still mentions her: she was a member when it was sent)."""
        text = "secret plan https://x.example @alice @carol"
        left = make_room(other_user, name="Hideout", members=[user])
        send(left, other_user, text)
        room_leave(room_id=left.id, user=user)
        private = make_room(other_user, name="Hideout", type="private")
        send(private, other_user, text)
        public = make_room(other_user, name="Hideout")
        send(public, other_user, text)
        direct, _ = dm_get_or_create(user=other_user, recipient_id=carol.id)
        send(direct, other_user, text)
        return [left, private, public, direct]

    @pytest.mark.parametrize("q", QUERIES)
    def test_messages_in_rooms_you_are_not_in_are_never_found(self, q, user, carol, others_rooms, search):
        assert not RoomMember.objects.filter(user=user, room__in=others_rooms).exists()
        assert search(user, q)["data"] == []
        # carol is in the direct room only: she finds that one message, and no other.
        found = {m["room"]["id"] for m in search(carol, q)["data"]}
        assert found <= {str(others_rooms[3].id)}

    def test_a_mention_in_a_room_you_left_is_not_found(self, user, others_rooms, search):
        assert MessageMention.objects.filter(user=user, active=True, message__room=others_rooms[0]).exists()
        assert search(user, "is:mention")["data"] == []

    def test_is_mention_finds_a_direct_rooms_mention_for_its_member(self, carol, others_rooms, search):
        found = search(carol, "is:mention")["data"]
        assert [m["room"]["id"] for m in found] == [str(others_rooms[3].id)]

    def test_the_same_messages_are_found_by_a_member(self, other_user, others_rooms, search):
        found = search(other_user, "secret plan")["data"]
        assert sorted(m["room"]["id"] for m in found) == sorted(str(r.id) for r in others_rooms)
        assert search(other_user, "secret plan")["data"][0]["room"]["type"] == "direct"

    def test_leaving_a_room_hides_its_messages_and_joining_shows_them(
        self, user, other_user, make_room, send, contents
    ):
        room = make_room(other_user, name="Club", members=[user])
        send(room, other_user, "members only")
        assert contents(user, "members") == ["members only"]
        room_leave(room_id=room.id, user=user)
        assert contents(user, "members") == []

    def test_private_and_direct_rooms_are_searched_for_their_members(self, user, other_user, make_room, send, contents):
        private = make_room(other_user, name="Inner", type="private", members=[user])
        direct, _ = dm_get_or_create(user=user, recipient_id=other_user.id)
        send(private, other_user, "quarterly numbers")
        send(direct, other_user, "quarterly bonus")
        assert contents(user, "quarterly") == ["quarterly bonus", "quarterly numbers"]

    def test_anonymous_gets_401(self, api_client):
        assert api_client.get("/api/v1/search", {"q": "x"}).status_code == 401


class TestChanges:
    def test_deleted_messages_are_never_found(self, user, general, send, contents):
        message = send(general, user, "oops wrong room")
        send(general, user, "wrong answer")
        message_delete(message_id=message.id, actor=user)
        assert contents(user, "wrong") == ["wrong answer"]
        assert contents(user, "from:alice") == ["wrong answer"]

    def test_an_edited_message_is_found_by_its_current_text_only(self, user, general, send, contents):
        message = send(general, user, "meeting on monday")
        message_edit(message_id=message.id, editor=user, content="meeting on tuesday")
        assert contents(user, "monday") == []
        assert contents(user, "tuesday") == ["meeting on tuesday"]


class TestPaging:
    def _pages(self, search, user, q: str, **params) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            body = search(user, q, limit=3, **({"cursor": cursor} if cursor else {}), **params)
            pages.append([m["content"] for m in body["data"]])
            cursor = body["next_cursor"]
            if cursor is None:
                return pages
            assert len(pages) < 10

    def test_newest_pages_continue_without_repeats_or_gaps(self, user, general, send, search):
        same_time = timezone.now() - timedelta(minutes=1)
        for i in range(7):
            # Four share one timestamp: the id decides among them, on every page.
            send(general, user, f"note {i}", at=same_time if i < 4 else None)
        send(general, user, "unrelated")
        pages = self._pages(search, user, "note")
        assert [len(p) for p in pages] == [3, 3, 1]
        flat = [c for page in pages for c in page]
        assert sorted(flat) == [f"note {i}" for i in range(7)]
        assert flat[:3] == ["note 6", "note 5", "note 4"]

    def test_relevance_ranks_by_text_then_recency_and_pages_the_same(self, user, general, send, search):
        send(general, user, "deploy deploy deploy deploy")
        for i in range(4):
            send(general, user, f"deploy {i}")
        send(general, user, "something else")
        pages = self._pages(search, user, "deploy", sort="relevance")
        flat = [c for page in pages for c in page]
        assert flat == ["deploy deploy deploy deploy", "deploy 3", "deploy 2", "deploy 1", "deploy 0"]
        assert [len(p) for p in pages] == [3, 2]

    def test_operators_alone_sort_by_relevance_as_newest(self, user, other_user, general, send, contents):
        send(general, other_user, "one")
        send(general, other_user, "two")
        assert contents(user, "from:bob", sort="relevance") == ["two", "one"]

    def test_a_cursor_belongs_to_its_query(self, user, general, send, search, api_client_for):
        for i in range(3):
            send(general, user, f"note {i}")
        cursor = search(user, "note", limit=1)["next_cursor"]
        client = api_client_for(user)
        for params in ({"q": "other"}, {"q": "note", "sort": "relevance"}, {"q": "note", "cursor": "bm90IGpzb24"}):
            response = client.get("/api/v1/search", {"limit": 1, "cursor": cursor, **params})
            assert response.status_code == 400, params
            assert response.json() == {"error": "cursor is not one this search returned"}

    def test_limit_is_capped_at_50(self, user, general, send, search):
        send(general, user, "x marks")
        assert search(user, "marks", limit=500)["limit"] == 50


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "error"),
        [
            ({"q": ""}, "q must have a word or an operator to search for"),
            ({"q": "   "}, "q must have a word or an operator to search for"),
            ({"q": "from:"}, "q must have a word or an operator to search for"),
            ({"q": "has:banana"}, "has: takes one of file, image, link, audio"),
            ({"q": "is:happy"}, "is: takes one of mention, unread"),
            ({"q": "before:yesterday"}, "before: takes a date as YYYY-MM-DD, e.g. before:2024-05-31"),
            ({"q": "after:2024-02-30"}, "after: takes a date as YYYY-MM-DD, e.g. after:2024-05-31"),
            ({"q": "x", "sort": "oldest"}, "sort must be one of: newest, relevance"),
            ({"q": "x" * 501}, "q must be at most 500 characters"),
            ({"q": " ".join(["w"] * 33)}, "A search may have at most 32 words and operators"),
            ({"q": "x", "limit": "0"}, "limit must be a positive integer"),
        ],
    )
    def test_answers_400_saying_what_is_wrong(self, user, api_client_for, params, error):
        response = api_client_for(user).get("/api/v1/search", params)
        assert response.status_code == 400
        assert response.json() == {"error": error}

    @pytest.mark.parametrize(
        "q",
        ["it's", "back\\slash", "a & b | !c", "(paren) <-> :* 'quote'", 'un"balanced', "- -- -x", "a OR", "a OR OR b"]
        + ["NEAR(a b) ^start col:umn", "x:", "from:a:b", 'in:"unclosed', "-from:\\", "ticket:#1 & more"],
    )
    def test_any_text_is_a_search_not_an_error(self, user, general, send, search, q):
        send(general, user, "it's a back\\slash (paren) 'quote' 🚀")
        body = search(user, q)
        assert isinstance(body["data"], list)

    @pytest.mark.parametrize("q", ['"', '""', "*", "OR", 'in:""', "🚀", "-", "- ' !"])
    def test_text_without_a_word_is_an_empty_search(self, user, api_client_for, q):
        response = api_client_for(user).get("/api/v1/search", {"q": q})
        assert response.status_code == 400
        assert response.json() == {"error": "q must have a word or an operator to search for"}

    def test_punctuation_in_words_still_finds_them(self, user, general, send, contents):
        send(general, user, "it's a back\\slash (paren) 'quote'")
        assert contents(user, "'quote'") == ["it's a back\\slash (paren) 'quote'"]
        assert contents(user, "(paren)") == ["it's a back\\slash (paren) 'quote'"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index")
def test_text_is_matched_against_the_indexed_column_with_the_search_configuration(user, general, send):
    """The form messaging.fulltext's GIN index answers (messaging/tests/test_fulltext.py shows it used)."""
    from django.test.utils import CaptureQueriesContext

    from search.selectors import message_search

    send(general, user, "deploy it")
    with CaptureQueriesContext(connection) as captured:
        page = message_search(user=user, q='deploy -"roll back" fix OR patc')
    assert page.hits == []
    select = next(q["sql"] for q in captured.captured_queries if "@@" in q["sql"])
    tsquery = "'deploy' & ( 'fix' | 'patc':* ) & !'roll back'".replace("'", "''")
    assert f"\"messaging_message\".search_vector @@ (to_tsquery('chatapp_search'::regconfig, '{tsquery}'))" in select
