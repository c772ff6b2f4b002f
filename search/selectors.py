"""Message search: the messages a user may read that match a query, a page at a time.

Like Zulip's NarrowBuilder, every operator only narrows: the query starts from the messages of the
rooms the user is a member of now (public, private and direct alike), not deleted, and each
operator, word and cursor adds a condition to it. Nothing is ever added back, so no operator can
reach a room the user left or was never in.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID

from django.contrib.postgres.search import SearchHeadline, SearchRank, SearchVectorField
from django.contrib.postgres.search import SearchQuery as PgSearchQuery
from django.db import connection
from django.db.models import Exists, Expression, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from accounts.models import User
from chatapp.errors import BadRequest
from chatapp.ids import parse_uuid
from messaging import fulltext
from messaging.models import FILE_TYPES, MESSAGE_RELATED, Message, MessageMention
from rooms.models import Room, RoomMember
from search import query as search_query
from search.query import Filter, SearchQuery

MAX_LIMIT = 50
SORTS = ("newest", "relevance")
# Marks around matched words in the text the database returns; taken out again to find their
# offsets. Private-use characters: no keyboard types them, and text that holds one anyway gets no
# ranges rather than wrong ones.
_START, _STOP = "\ue000", "\ue001"


@dataclass(frozen=True)
class RoomRef:
    id: UUID
    name: str
    type: str


@dataclass(frozen=True)
class SearchHit:
    message: Message
    room: RoomRef
    match_ranges: list[list[int]]  # [start, end) offsets into message.content, in characters


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    next_cursor: str | None


@dataclass(frozen=True)
class _Membership:
    room: RoomRef
    direct_users: tuple[UUID | None, UUID | None]
    read_at: datetime | None


class _MessageVector(Expression):
    """`messaging_message.search_vector` (PostgreSQL), the column messaging.fulltext adds."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(Message._meta.db_table)
        return f"{table}.{fulltext.VECTOR_COLUMN}", []


def _memberships(user: User) -> list[_Membership]:
    rows = RoomMember.objects.filter(user_id=user.id).values_list(
        "room_id", "room__name", "room__type", "room__direct_user_low_id", "room__direct_user_high_id", "read_at"
    )
    return [
        _Membership(RoomRef(room_id, name, kind), (low, high), read_at)
        for room_id, name, kind, low, high, read_at in rows
    ]


def _users_named(username: str) -> QuerySet:
    # Lower() rather than iexact (UPPER) so the lookup uses the unique index on lower(username).
    return User.objects.alias(name=Lower("username")).filter(name=username.lower())


def _user_ids(username: str) -> set[UUID]:
    return set(_users_named(username).values_list("id", flat=True))


def _in_room(filter_: Filter, membership: _Membership, user: User, named: set[UUID] | None) -> bool:
    if named is not None:  # in:@username, the direct room with that user
        others = {u for u in membership.direct_users if u is not None and u != user.id}
        return membership.room.type == Room.Type.DIRECT and bool(others & named)
    return membership.room.name.casefold() == filter_.value.casefold()


def _rooms(memberships: list[_Membership], filters: tuple[Filter, ...], user: User) -> list[_Membership]:
    """The memberships `in:` operators leave (all of them when there is none)."""
    for filter_ in filters:
        if filter_.name != "in":
            continue
        named = _user_ids(filter_.value[1:]) if filter_.value.startswith("@") else None
        memberships = [m for m in memberships if _in_room(filter_, m, user, named) != filter_.negated]
    return memberships


def _day_start(day: str) -> datetime:
    return timezone.make_aware(datetime.combine(datetime.fromisoformat(day).date(), time.min))


def _unread(memberships: list[_Membership], user: User) -> Q:
    """The rule of the unread counts: from someone else, after the member's read mark in its room.

    Written out per room from the memberships already read, rather than as a subquery per message:
    over the tens of thousands of messages a common word matches, that lookup was most of the time.
    """
    never_read = [m.room.id for m in memberships if m.read_at is None]
    unread = Q(room_id__in=never_read)
    for m in memberships:
        if m.read_at is not None:
            unread |= Q(room_id=m.room.id, created_at__gt=m.read_at)
    return unread & ~Q(sender_id=user.id)


def _mentions_of(user: User) -> Q:
    """Messages whose current text mentions `user`, by name or with @room (the mentions inbox's rule).

    The rows outlive an edit that drops the mention, so only active ones count; a member's own
    messages have none. Room access is not decided here: the query is already narrowed to the
    rooms the user is a member of now.
    """
    rows = MessageMention.objects.filter(message_id=OuterRef("pk"), user_id=user.id, active=True)
    return Q(Exists(rows))


def _condition(filter_: Filter, user: User, memberships: list[_Membership]) -> Q:
    name, value = filter_.name, filter_.value
    if name == "from":
        return Q(sender_id__in=_users_named(value).values("id"))
    if name == "has":
        return {
            "file": Q(type__in=FILE_TYPES),
            "image": Q(type=Message.Type.IMAGE),
            "audio": Q(type=Message.Type.AUDIO),
            # What the web client turns into a link.
            "link": Q(content__icontains="http://") | Q(content__icontains="https://"),
        }[value]
    if name == "before":
        return Q(created_at__lt=_day_start(value))
    if name == "after":  # after the whole day named
        return Q(created_at__gte=_day_start(value) + timedelta(days=1))
    if name == "is" and value == "unread":
        return _unread(memberships, user)
    if name == "is" and value == "mention":
        return _mentions_of(user)
    raise BadRequest(f"{name}:{value} is not supported")


def _fingerprint(text: str, sort: str) -> str:
    return hashlib.sha256(f"{sort}\n{text}".encode()).hexdigest()[:16]


def _encode_cursor(fingerprint: str, last_id: UUID, last_at: datetime, rank: float | None) -> str:
    payload = json.dumps([fingerprint, rank, last_at.isoformat(), str(last_id)])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> tuple[float | None, datetime, UUID]:
    invalid = BadRequest("cursor is not one this search returned")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mark, rank, created_at, message_id = json.loads(raw)
        when = datetime.fromisoformat(created_at)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    parsed_id = parse_uuid(message_id)
    if mark != fingerprint or parsed_id is None or timezone.is_naive(when):
        raise invalid
    if rank is not None and not isinstance(rank, (int, float)):
        raise invalid
    return rank, when, parsed_id


def _text_postgresql(queryset: QuerySet, parsed: SearchQuery, ranked: bool) -> QuerySet:
    text = search_query.to_tsquery(parsed)
    if not text:
        return queryset
    tsquery = PgSearchQuery(text, search_type="raw", config=fulltext.SEARCH_CONFIG)
    queryset = queryset.alias(document=_MessageVector()).filter(document=tsquery)
    if ranked:
        # ts_rank is a float4; as float8 it reaches Python exactly, so the cursor's rank compares equal.
        queryset = queryset.annotate(rank=Cast(SearchRank(_MessageVector(), tsquery), FloatField()))
    return queryset


def _fts5_ids(match: str) -> RawSQL:
    table, keys = fulltext.FTS_TABLE, fulltext.FTS_KEY_TABLE
    return RawSQL(
        f"SELECT k.message_id FROM {table} JOIN {keys} k ON k.id = {table}.rowid WHERE {table} MATCH %s", [match]
    )


def _text_sqlite(queryset: QuerySet, parsed: SearchQuery, ranked: bool) -> QuerySet:
    match = search_query.to_fts5(parsed)
    if match:
        queryset = queryset.filter(id__in=_fts5_ids(match))
    elif parsed.excluded:
        queryset = queryset.exclude(id__in=_fts5_ids(search_query.fts5_excluded(parsed)))
    if ranked and match:
        # bm25 is lower for a better match; negated so that, as with PostgreSQL's rank, higher is better.
        table, keys, messages = fulltext.FTS_TABLE, fulltext.FTS_KEY_TABLE, Message._meta.db_table
        rank = RawSQL(
            f"(SELECT -bm25({table}) FROM {table} JOIN {keys} k ON k.id = {table}.rowid "
            f'WHERE {table} MATCH %s AND k.message_id = "{messages}"."id")',
            [match],
            output_field=FloatField(),
        )
        queryset = queryset.annotate(rank=rank)
    return queryset


def _after_cursor(queryset: QuerySet, rank: float | None, created_at: datetime, message_id: UUID) -> QuerySet:
    older = Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=message_id)
    if rank is None:
        return queryset.filter(older)
    return queryset.filter(Q(rank__lt=rank) | (Q(rank=rank) & older))


def _ranges(marked: str, content: str) -> list[list[int]]:
    ranges, position, start = [], 0, None
    for char in marked:
        if char == _START:
            start = position
        elif char == _STOP and start is not None:
            ranges.append([start, position])
            start = None
        else:
            position += 1
    plain = marked.replace(_START, "").replace(_STOP, "")
    if plain != content or _START in content or _STOP in content:
        return []
    return ranges


def _marked_postgresql(parsed: SearchQuery, ids: list[UUID]) -> dict[UUID, str]:
    terms = PgSearchQuery(search_query.highlight_tsquery(parsed), search_type="raw", config=fulltext.SEARCH_CONFIG)
    headline = SearchHeadline(
        "content", terms, config=fulltext.SEARCH_CONFIG, start_sel=_START, stop_sel=_STOP, highlight_all=True
    )
    return dict(Message.objects.filter(id__in=ids).annotate(marked=headline).values_list("id", "marked"))


def _marked_sqlite(parsed: SearchQuery, ids: list[UUID]) -> dict[UUID, str]:
    table, keys = fulltext.FTS_TABLE, fulltext.FTS_KEY_TABLE
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.message_id, highlight({table}, 0, %s, %s) FROM {table} JOIN {keys} k ON k.id = {table}.rowid "
            f"WHERE {table} MATCH %s AND k.message_id IN ({placeholders})",
            [_START, _STOP, search_query.highlight_fts5(parsed), *(i.hex for i in ids)],
        )
        return {UUID(key): marked for key, marked in cursor.fetchall()}


def message_search(
    *, user: User, q: str, sort: str = "newest", limit: int = 20, cursor: str | None = None
) -> SearchPage:
    """One page of the messages `user` may read that match `q`, and the cursor of the next page.

    `newest` orders by (created_at, id), newest first; `relevance` by text rank, then the same
    (a query of operators alone has no rank and is ordered newest first). BadRequest for a
    query or cursor that cannot be read.
    """
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of: {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    parsed = search_query.parse(q)
    fingerprint = _fingerprint(q.strip(), sort)
    after = _decode_cursor(cursor, fingerprint) if cursor else None
    ranked = sort == "relevance" and bool(parsed.required)

    memberships = _rooms(_memberships(user), parsed.filters, user)
    rooms = {m.room.id: m.room for m in memberships}
    if not rooms:
        return SearchPage(hits=[], next_cursor=None)
    queryset = Message.objects.filter(room_id__in=list(rooms), is_deleted=False)
    for filter_ in parsed.filters:
        if filter_.name != "in":
            condition = _condition(filter_, user, memberships)
            queryset = queryset.filter(~condition if filter_.negated else condition)
    if connection.vendor == "postgresql":
        queryset = _text_postgresql(queryset, parsed, ranked)
    else:
        queryset = _text_sqlite(queryset, parsed, ranked)
    if after is not None:
        rank, created_at, message_id = after
        if ranked != (rank is not None):
            raise BadRequest("cursor is not one this search returned")
        queryset = _after_cursor(queryset, rank, created_at, message_id)
    order: list[str | OrderBy] = ["-created_at", "-id"]
    if ranked:
        order.insert(0, F("rank").desc())
    # The matching page's keys first, then its messages by primary key: joined to their senders in
    # the search itself, a misestimated filter (has:link: "1 row" for hundreds) once made the
    # planner scan the users table for every match: 390 ms, against 130 ms this way (bench, 1M rows).
    keys = list(queryset.order_by(*order).values_list("id", "created_at", "rank" if ranked else "id")[: limit + 1])
    found = Message.objects.select_related(*MESSAGE_RELATED).in_bulk([key[0] for key in keys[:limit]])
    page = [found[key[0]] for key in keys[:limit] if key[0] in found]

    marked: dict[UUID, str] = {}
    if page and parsed.highlighted:
        ids = [message.id for message in page]
        marked = (_marked_postgresql if connection.vendor == "postgresql" else _marked_sqlite)(parsed, ids)
    hits = [
        SearchHit(
            message=message,
            room=rooms[message.room_id],
            match_ranges=_ranges(marked[message.id], message.content) if message.id in marked else [],
        )
        for message in page
    ]
    next_cursor = None
    if len(keys) > limit:
        last_id, last_at, last_rank = keys[limit - 1]
        next_cursor = _encode_cursor(fingerprint, last_id, last_at, float(last_rank) if ranked else None)
    return SearchPage(hits=hits, next_cursor=next_cursor)
