"""History pages rendered to JSON by PostgreSQL: no model instance and no datetime object per row.

Through the ORM and `message_json`, a 50-message page cost about 10 ms of Python (a Message and a
User built per row, four timestamps parsed and formatted again), most of a history request.
PostgreSQL builds the same JSON in a fraction of a millisecond. Other databases (the embedded
SQLite of `make run`) and other time zones take the ORM path. messaging/tests/test_rendering.py
holds both equal to `message_json`, field by field.
"""

import json
from uuid import UUID

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet

from accounts.models import User
from messaging.models import Message
from messaging.serializers import message_json
from previews.models import MessageLinkPreview
from uploads.models import Upload


def _iso_sql(column: str) -> str:
    """`messaging.serializers.iso_datetime` in SQL: ISO 8601 in UTC, microseconds only when non-zero, `Z`."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN to_char({utc}, 'US') = '000000' THEN '' ELSE '.' || to_char({utc}, 'US') END || 'Z'"
    )


def _link_preview_json_sql() -> str:
    """`previews.serializers.link_preview_json` of the message's preview `lp` (its image `li`)."""
    # MEDIA_URL inside an SQL literal: quotes doubled, and % doubled for the driver's placeholders.
    media_url = settings.MEDIA_URL.replace("'", "''").replace("%", "%%")
    ready = MessageLinkPreview.Status.READY.value
    return f"""CASE WHEN m.is_deleted OR lp.status IS DISTINCT FROM '{ready}' THEN NULL ELSE json_build_object(
            'url', lp.url, 'title', lp.title, 'description', lp.description, 'site_name', lp.site_name,
            'image_url', CASE WHEN li.id IS NULL THEN NULL ELSE '{media_url}' || li.file END) END"""


def _message_json_sql() -> str:
    """One message as `message_json` renders it (deleted messages blanked the same way)."""
    return f"""json_build_object(
        'id', m.id, 'room_id', m.room_id, 'sender_id', m.sender_id,
        'sender', json_build_object('id', s.id, 'username', s.username, 'avatar', s.avatar),
        'content', CASE WHEN m.is_deleted THEN '' ELSE m.content END,
        'content_html', CASE WHEN m.is_deleted THEN '' ELSE m.content_html END,
        'type', m.type,
        'file_url', CASE WHEN m.is_deleted THEN '' ELSE m.file_url END,
        'file_name', CASE WHEN m.is_deleted THEN '' ELSE m.file_name END,
        'file_size', CASE WHEN m.is_deleted THEN NULL ELSE m.file_size END,
        'is_edited', m.is_edited, 'is_deleted', m.is_deleted,
        'reply_to_id', m.reply_to_id,
        'reply_to', CASE WHEN r.id IS NULL THEN NULL ELSE json_build_object(
            'id', r.id,
            'content', CASE WHEN r.is_deleted THEN '' ELSE r.content END,
            'sender', json_build_object('id', rs.id, 'username', rs.username)) END,
        'mentions', CASE WHEN m.is_deleted THEN '[]'::jsonb ELSE m.mentions END,
        'mentions_room', m.mentions_room AND NOT m.is_deleted,
        'reactions', CASE WHEN m.is_deleted THEN '[]'::json ELSE (
            SELECT coalesce(json_agg(json_build_object(
                'emoji', e->'emoji', 'count', e->'count', 'user_ids', e->'user_ids') ORDER BY n), '[]'::json)
            FROM jsonb_array_elements(m.reactions) WITH ORDINALITY AS r(e, n)) END,
        'pinned', m.pinned_at IS NOT NULL AND NOT m.is_deleted,
        'client_msg_id', m.client_msg_id,
        'created_at', {_iso_sql("m.created_at")},
        'updated_at', {_iso_sql("m.updated_at")},
        'changed_at', {_iso_sql("m.changed_at")},
        'link_preview', {_link_preview_json_sql()})"""


def in_database() -> bool:
    """Whether the database renders pages (PostgreSQL, timestamps in UTC as `iso_datetime` writes them)."""
    return connections["default"].vendor == "postgresql" and settings.TIME_ZONE == "UTC"


def _rendered(inner: str, direction: str, extra_columns: str = "") -> str:
    messages, users = Message._meta.db_table, User._meta.db_table
    previews, uploads = MessageLinkPreview._meta.db_table, Upload._meta.db_table
    # Rows read (a look-ahead row included), then the array of at most `limit` of them in order.
    return f"""SELECT count(*),
        coalesce(json_agg({_message_json_sql()} ORDER BY page.n) FILTER (WHERE page.n <= %s), '[]')::text
        {extra_columns}
    FROM (
        SELECT q.*, row_number() OVER (ORDER BY q.created_at {direction}, q.id {direction}) AS n
        FROM ({inner}) AS q
    ) AS page
    JOIN {messages} m ON m.id = page.id
    JOIN {users} s ON s.id = m.sender_id
    LEFT JOIN {messages} r ON r.id = m.reply_to_id
    LEFT JOIN {users} rs ON rs.id = r.sender_id
    LEFT JOIN {previews} lp ON lp.message_id = m.id
    LEFT JOIN {uploads} li ON li.id = lp.image_id"""


def page_json(*, room_id: UUID, offset: int, limit: int) -> tuple[str, int | None]:
    """One offset page of the room, newest first: the JSON array and the room's message count.

    The count comes with the rows (a window over the whole room); None when the page is empty.
    """
    messages = Message._meta.db_table
    inner = (
        f"SELECT id, created_at, count(*) OVER () AS total FROM {messages} WHERE room_id = %s "
        "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(_rendered(inner, "DESC", ", max(page.total)"), [limit, room_id, limit, offset])
        _, text, total = cursor.fetchone()
    return text, total


def slice_json(*, room_id: UUID, anchor_id: UUID, older: bool, limit: int) -> tuple[str, int, bool]:
    """Up to `limit` messages older (newest first) or newer (oldest first) than the anchor message.

    Returns the JSON array, the rows read (one look-ahead row tells whether more follow) and
    whether the anchor is a message of this room.
    """
    messages = Message._meta.db_table
    direction, compare = ("DESC", "<") if older else ("ASC", ">")
    inner = (
        f"SELECT id, created_at FROM {messages} WHERE room_id = %s AND (created_at, id) {compare} "
        f"(SELECT created_at, id FROM {messages} WHERE id = %s AND room_id = %s) "
        f"ORDER BY created_at {direction}, id {direction} LIMIT %s"
    )
    anchor = f", EXISTS (SELECT 1 FROM {messages} WHERE id = %s AND room_id = %s)"
    params: list[int | UUID] = [limit, anchor_id, room_id, room_id, anchor_id, room_id, limit + 1]
    with connections["default"].cursor() as cursor:
        cursor.execute(_rendered(inner, direction, anchor), params)
        rows, text, anchor_found = cursor.fetchone()
    return text, rows, anchor_found


def render_queryset(messages: QuerySet | list) -> str:
    """The ORM way to the same JSON (databases other than PostgreSQL)."""
    return json.dumps([message_json(message) for message in messages], separators=(",", ":"))
