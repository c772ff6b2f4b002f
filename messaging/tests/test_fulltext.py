"""The search index messaging.fulltext builds beside the messages table, per database."""

import pytest
from django.core.management import call_command
from django.db import connection

from messaging import fulltext
from messaging.models import Message

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's index")


def _vector(message: Message) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM messaging_message WHERE id = %s", [message.id])
        return cursor.fetchone()[0]


@postgresql_only
def test_the_column_is_generated_from_the_content_with_the_search_configuration():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(d.adbin, d.adrelid), a.attgenerated FROM pg_attribute a"
            " JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE a.attrelid = 'messaging_message'::regclass AND a.attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("to_tsvector('chatapp_search'::regconfig, (content)::text)", "s")
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'message_search_idx'")
        assert cursor.fetchone()[0].endswith("USING gin (search_vector)")


@postgresql_only
def test_words_are_stemmed_and_unaccented_and_follow_every_edit(make_room, make_message, user):
    message = make_message(make_room(user), user, "Déployé the deployments")
    assert _vector(message) == "'deploy':1,3"
    Message.objects.filter(pk=message.pk).update(content="Crème brûlée")
    message.refresh_from_db()
    assert _vector(message) == "'brule':2 'creme':1"


@postgresql_only
def test_a_text_query_is_answered_from_the_gin_index(make_room, make_message, user):
    make_message(make_room(user), user, "deploy")
    with connection.cursor() as cursor:
        # A near-empty table is cheaper to read whole; without that choice the plan must use the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM messaging_message"
            " WHERE search_vector @@ to_tsquery('chatapp_search'::regconfig, '''deplo'':*')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on message_search_idx" in plan, plan


@postgresql_only
def test_reindex_applies_a_new_language(make_room, make_message, user, settings):
    message = make_message(make_room(user), user, "deployments")
    assert _vector(message) == "'deploy':1"
    settings.SEARCH_LANGUAGE = "simple"
    call_command("search_reindex", stdout=None)  # undone with the test's transaction
    assert _vector(message) == "'deployments':1"


@sqlite_only
def test_the_fts5_table_follows_the_message_services(make_room, user):
    from messaging.services import message_delete, message_edit, message_send

    def indexed() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT k.message_id, f.content FROM {fulltext.FTS_TABLE} f"
                f" JOIN {fulltext.FTS_KEY_TABLE} k ON k.id = f.rowid ORDER BY k.id"
            )
            return cursor.fetchall()

    room = make_room(user)
    message, _ = message_send(room_id=room.id, sender=user, content="first draft")
    assert indexed() == [(message.id.hex, "first draft")]
    message_edit(message_id=message.id, editor=user, content="second draft")
    assert indexed() == [(message.id.hex, "second draft")]
    message_delete(message_id=message.id, actor=user)
    assert indexed() == []
