"""The search scenario's data: a message history bulk-loaded with COPY, and the plan of one query.

    python bench/search_data.py load '{"messages": 1000000, "rooms": 1000, "member_rooms": 50}'
    python bench/search_data.py explain '<q>' <user_id>

Runs inside the application's Django (cwd = the app, DJANGO_SETTINGS_MODULE=chatapp.settings).
`load` creates 1 searcher, a few senders per room, the rooms (the searcher in `member_rooms` of
them, a third of those private) and the messages: text drawn from WORDS with a Zipf-like skew,
some links, some file and image messages, spread over a year. Rows go in with COPY, with the GIN
index dropped during the load and built after, as any bulk import would. A database that already
holds this exact load keeps it (it takes minutes on this machine). Prints one JSON line: the
searcher's id and token, the room names the searcher can see, sender usernames, load seconds.
`explain` prints the EXPLAIN (ANALYZE, BUFFERS) of the message query `search.selectors` runs for q.
"""

import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

# Words people write in a team chat, most frequent first; the vocabulary continues with made-up
# words (SYLLABLES) so the long tail has a thousand distinct rare words, as real text does.
WORDS = (
    "deploy build test server release merge review issue branch update error database query meeting "
    "customer design ticket feature change config cache login user page report fix bug incident alert "
    "monitor backup network latency memory docker cluster staging production rollback migration schema "
    "index search queue worker timeout retry token session browser mobile android iphone payment invoice "
    "account password email notification calendar schedule lunch coffee weekend holiday vacation office "
    "remote team project deadline sprint roadmap planning estimate budget contract vendor partner launch "
    "marketing campaign website landing analytics dashboard metric chart export import upload download "
    "storage bucket image video audio file folder document spreadsheet slide presentation demo question "
    "answer idea proposal decision summary notes agenda followup reminder status blocked done started "
    "waiting approved rejected urgent priority minor major critical security patch vulnerability audit "
    "compliance license upgrade version library package dependency pipeline runner artifact container "
    "kubernetes terraform ansible python javascript typescript golang rust postgres redis kafka nginx "
    "certificate domain dns proxy firewall loadbalancer replica failover outage postmortem oncall pager "
    "café résumé naïve coördinate jalapeño"
).split()
SYLLABLES = "ka lo mi ne ru sa to vi ze bo da fe gu hi jo ku le mo nu pa qui ri su ta vo wu xa yo zu".split()
MADE_UP = 1000
LINK_SHARE, FILE_SHARE, IMAGE_SHARE = 0.04, 0.01, 0.01
SENDERS_PER_ROOM = 5
SPAN_DAYS = 365


def vocabulary() -> list[str]:
    rng = random.Random(7)
    made_up: list[str] = []
    seen = set(WORDS)
    while len(made_up) < MADE_UP:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            made_up.append(word)
    return [*WORDS, *made_up]


def _weights(n: int) -> list[float]:
    # Zipf-Mandelbrot (s = 1, q = 10): the commonest word is in about one message in six, the
    # rarest in about one in 5,000, rather than the stop words' "in every message".
    return [1 / (rank + 10) for rank in range(n)]


def _spec_tag(spec: dict) -> str:
    return f"search bench {spec['messages']}x{spec['rooms']}x{spec['member_rooms']}"


def load(spec: dict) -> dict:
    from django.db import connection, transaction

    from accounts.models import User
    from accounts.tokens import token_issue
    from messaging import fulltext
    from messaging.models import Message
    from rooms.models import Room

    tag = _spec_tag(spec)
    started = time.monotonic()
    searcher = User.objects.filter(username="searchbench").first()
    loaded = (
        searcher is not None
        and Room.objects.filter(description=tag).count() == spec["rooms"]
        and Message.objects.filter(room__description=tag).count() == spec["messages"]
    )
    if not loaded:
        _clear()
        with transaction.atomic():
            searcher = _create(spec, tag)
            _copy_messages(spec, tag)
    assert searcher is not None
    with connection.cursor() as cursor:
        # Built after the load (its transaction committed): far faster than row by row.
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {fulltext.VECTOR_INDEX} ON messaging_message USING gin (search_vector)"
        )
        cursor.execute("ANALYZE messaging_message")
    rooms = list(Room.objects.filter(description=tag, memberships__user=searcher).values_list("name", flat=True))
    senders = (
        User.objects.filter(room_memberships__room__description=tag, room_memberships__room__name__in=rooms)
        .exclude(pk=searcher.pk)
        .values_list("username", flat=True)
        .distinct()
    )
    return {
        "user_id": str(searcher.pk),
        "token": token_issue(searcher),
        "rooms": sorted(rooms),
        "senders": sorted(senders)[:20],
        "messages": Message.objects.filter(room__description=tag).count(),
        "reused": loaded,
        "load_seconds": time.monotonic() - started,
    }


def _clear() -> None:
    """Removes an earlier search load (of any size)."""
    from django.db import connection

    from accounts.models import User
    from rooms.models import Room

    rooms = Room.objects.filter(description__startswith="search bench")
    with connection.cursor() as cursor:
        # In SQL: the ORM's cascade would load every message to null the replies to it first.
        cursor.execute(
            "DELETE FROM messaging_message WHERE room_id IN (SELECT id FROM rooms_room WHERE description LIKE %s)",
            ["search bench%"],
        )
    rooms.delete()
    User.objects.filter(username__startswith="searchbench").delete()


def _create(spec: dict, tag: str):
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from rooms.models import Room, RoomMember

    unusable = make_password(None)
    rng = random.Random(11)
    searcher = User.objects.create(username="searchbench", email="searchbench@bench.invalid", password=unusable)
    senders = [
        User(id=uuid.uuid4(), username=f"searchbench{i}", email=f"searchbench{i}@bench.invalid", password=unusable)
        for i in range(spec["rooms"] * 2)
    ]
    User.objects.bulk_create(senders, batch_size=2000)
    member = set(rng.sample(range(spec["rooms"]), spec["member_rooms"]))
    rooms, memberships = [], []
    for r in range(spec["rooms"]):
        private = r in member and r % 3 == 0
        room = Room(
            id=uuid.uuid4(),
            name=f"room {r}",
            description=tag,
            type=Room.Type.PRIVATE if private else Room.Type.PUBLIC,
            created_by=senders[(r * 2) % len(senders)],
        )
        rooms.append(room)
        for s in range(SENDERS_PER_ROOM):
            memberships.append(RoomMember(room=room, user=senders[(r * 2 + s) % len(senders)]))
        if r in member:
            memberships.append(RoomMember(room=room, user=searcher))
    Room.objects.bulk_create(rooms, batch_size=2000)
    RoomMember.objects.bulk_create(memberships, batch_size=5000)
    return searcher


def _copy_messages(spec: dict, tag: str) -> None:
    from django.db import connection

    from messaging import fulltext
    from rooms.models import Room, RoomMember

    rooms = list(Room.objects.filter(description=tag).order_by("name").values_list("id", flat=True))
    members: dict = {}
    for room_id, user_id in RoomMember.objects.filter(room_id__in=rooms).values_list("room_id", "user_id"):
        members.setdefault(room_id, []).append(user_id)
    words = vocabulary()
    weights = _weights(len(words))
    cumulative = []
    total = 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    rng = random.Random(13)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    step = timedelta(days=SPAN_DAYS) / spec["messages"]
    start = end - timedelta(days=SPAN_DAYS)
    columns = "(id, room_id, sender_id, content, type, file_url, file_name, file_size, is_edited, is_deleted, created_at, updated_at, mentions, mentions_room)"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {fulltext.VECTOR_INDEX}")
        with cursor.copy(f"COPY messaging_message {columns} FROM STDIN") as copy:
            for i in range(spec["messages"]):
                room_id = rooms[rng.randrange(len(rooms))]
                sender = rng.choice(members[room_id])
                text = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(4, 16)))
                kind, file_url, file_name, file_size = "text", "", "", None
                roll = rng.random()
                if roll < LINK_SHARE:
                    text += f" https://example.com/{words[rng.randrange(len(words))]}/{i}"
                elif roll < LINK_SHARE + FILE_SHARE:
                    kind, file_url, file_name, file_size = "file", f"/media/bench/{i}.pdf", f"{i}.pdf", 1000
                elif roll < LINK_SHARE + FILE_SHARE + IMAGE_SHARE:
                    kind, file_url, file_name, file_size = "image", f"/media/bench/{i}.png", f"{i}.png", 1000
                at = start + step * i
                copy.write_row(
                    (
                        uuid.uuid4(),
                        room_id,
                        sender,
                        text,
                        kind,
                        file_url,
                        file_name,
                        file_size,
                        False,
                        False,
                        at,
                        at,
                        "[]",
                        False,
                    )
                )


def explain(q: str, user_id: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from search.selectors import message_search

    user = User.objects.get(pk=user_id)
    with CaptureQueriesContext(connection) as captured:
        message_search(user=user, q=q)
    select = next(query["sql"] for query in captured.captured_queries if "@@" in query["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + select)
        plan = [row[0] for row in cursor.fetchall()]
    return {"q": q, "plan": plan, "gin_used": any("message_search_idx" in line for line in plan)}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")
    import django

    django.setup()
    command = sys.argv[1]
    if command == "load":
        result = load(json.loads(sys.argv[2]))
    elif command == "explain":
        result = explain(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print("\n" + json.dumps(result))


if __name__ == "__main__":
    main()


# --- The queries (harness side: no Django) ------------------------------------------------------

# Real words from the head, middle and tail of WORDS' frequencies, and forms that only match
# through their stems or without their accents.
QUERY_WORDS = (
    "deploy build server release database meeting customer ticket login cache alert backup docker "
    "migration timeout payment invoice calendar vacation roadmap budget launch analytics dashboard "
    "spreadsheet proposal postmortem failover certificate kubernetes terraform vulnerability "
    "deploying servers builds tested releases migrations cafe resume naive jalapeno"
).split()
TEMPLATES = (
    ("word", "{w}"),
    ("two words", "{w} {v}"),
    ("phrase", '"{w} {v}"'),
    ("prefix", "{p}"),
    ("exclusion", "{w} -{v}"),
    ("or", "{w} OR {v}"),
    ("relevance", "{w} {v}|relevance"),
    ("from:", "from:{sender} {w}"),
    ("in:", 'in:"{room}" {w}'),
    ("has:link", "has:link {w}"),
    ("has:file", "has:file"),
    ("after:", "after:2026-09-01 {w}"),
    ("before:", "before:2026-01-15 {w}"),
    ("is:unread", "is:unread {w}"),
    ("operators alone", "from:{sender} has:link"),
)


def queries(n: int, *, rooms: list[str], senders: list[str], seed: int = 5) -> list[dict]:
    """`n` queries, each {"kind", "q", "sort", "operators"}: the templates in turn, words drawn at random."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind, template = TEMPLATES[i % len(TEMPLATES)]
        w, v = rng.sample(QUERY_WORDS, 2)
        text = template.format(w=w, v=v, p=w[: max(3, len(w) - 3)], sender=rng.choice(senders), room=rng.choice(rooms))
        q, _, sort = text.partition("|")
        out.append({"kind": kind, "q": q, "sort": sort or "newest", "operators": ":" in q})
    return out
