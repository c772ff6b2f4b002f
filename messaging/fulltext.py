"""Where message text is indexed for search, per database; the `search` app queries it.

PostgreSQL: `messaging_message.search_vector`, a stored generated `tsvector` of the content with a
GIN index. The database keeps it in step with every insert and update, so no Python runs for it.
It uses the text search configuration `chatapp_search`: a copy of `SEARCH_LANGUAGE`'s (stemming,
stop words) whose word dictionaries go through `unaccent` first, so "café" and "cafe" are one word.
A configuration rather than `unaccent()` in the column's expression because a generated column
needs an immutable expression, and `unaccent()` is only stable.

SQLite (the embedded default): an FTS5 table of the content, written by the services that write
messages (`index_message` on send and edit, `unindex_message` on delete). FTS5 addresses rows by an
integer; message ids are UUIDs, so `messaging_message_fts_key` gives each indexed message one.

None of this is on the Message model: a field would put the vector in every message the ORM loads,
and SQLite could not create the column or the GIN index at all. `install` creates it all; the
migration runs it, and so does the test setup (which builds tables from the models, without
migrations). The column and index are pinned by messaging/tests/test_fulltext.py.
"""

import re
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from messaging.models import Message

SEARCH_CONFIG = "chatapp_search"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "message_search_idx"
FTS_TABLE = "messaging_message_fts"
FTS_KEY_TABLE = "messaging_message_fts_key"
# The token types of words with letters outside ASCII: only those can carry accents.
_ACCENTED_TOKEN_TYPES = ("hword", "hword_part", "word")


def _language() -> str:
    language = settings.SEARCH_LANGUAGE
    if not re.fullmatch(r"[a-z_]+", language):
        raise ImproperlyConfigured(f"SEARCH_LANGUAGE must be a text search configuration name, got {language!r}")
    return language


def stems_words(connection: BaseDatabaseWrapper) -> bool:
    """Whether the index of this database reduces words to their stems (SQLite: English only)."""
    return connection.vendor == "postgresql" or _language() == "english"


def install(connection: BaseDatabaseWrapper, *, rebuild: bool = False) -> None:
    """Creates what this database indexes messages with, if missing, and indexes every message.

    `rebuild` applies a changed SEARCH_LANGUAGE: the configuration (or FTS5 tokenizer) is made
    again and every message indexed again with it.
    """
    if connection.vendor == "postgresql":
        _install_postgresql(connection, rebuild=rebuild)
    elif connection.vendor == "sqlite":
        _install_sqlite(connection, rebuild=rebuild)


def _install_postgresql(connection: BaseDatabaseWrapper, *, rebuild: bool) -> None:
    language = _language()
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_ts_config WHERE cfgname = %s AND cfgnamespace = 'pg_catalog'::regnamespace", [language]
        )
        if cursor.fetchone() is None:
            raise ImproperlyConfigured(f"SEARCH_LANGUAGE={language!r} is not a PostgreSQL text search configuration")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cursor.execute(
            "SELECT obj_description(oid, 'pg_ts_config') FROM pg_ts_config WHERE cfgname = %s", [SEARCH_CONFIG]
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} (PARSER = default)")
            _map_like(cursor, language)
        elif rebuild and row[0] != language:
            # Mapped again in place: the generated column depends on the configuration, so it stays.
            _map_like(cursor, language)
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s AND column_name = %s",
            [Message._meta.db_table, VECTOR_COLUMN],
        )
        if cursor.fetchone() is None:
            cursor.execute(
                f"ALTER TABLE {table} ADD COLUMN {VECTOR_COLUMN} tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('{SEARCH_CONFIG}'::regconfig, content)) STORED"
            )
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON {table} USING gin ({VECTOR_COLUMN})")
        elif row is not None and rebuild and row[0] != language:
            # A stored generated column is computed again whenever its row is written.
            cursor.execute(f"UPDATE {table} SET content = content")


def _map_like(cursor: CursorWrapper, language: str) -> None:
    """Maps every token type as `language`'s configuration does, words through unaccent first."""
    cursor.execute("SELECT alias FROM ts_token_type('default')")
    every_type = ", ".join(alias for (alias,) in cursor.fetchall())
    cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} DROP MAPPING IF EXISTS FOR {every_type}")
    cursor.execute(
        "SELECT t.alias, string_agg(m.mapdict::regdictionary::text, ', ' ORDER BY m.mapseqno)"
        " FROM pg_ts_config_map m JOIN ts_token_type('default') t ON t.tokid = m.maptokentype"
        " WHERE m.mapcfg = %s::regconfig GROUP BY t.alias",
        [f"pg_catalog.{language}"],
    )
    for alias, dictionaries in cursor.fetchall():
        if alias in _ACCENTED_TOKEN_TYPES:
            dictionaries = f"unaccent, {dictionaries}"
        cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} ADD MAPPING FOR {alias} WITH {dictionaries}")
    # The language it was made from, so a rebuild knows whether it changed.
    cursor.execute(f"COMMENT ON TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} IS '{language}'")


def _tokenizer() -> str:
    # FTS5 stems English only (porter); other languages are matched word for word.
    stemmer = "porter " if _language() == "english" else ""
    return f"{stemmer}unicode61 remove_diacritics 2"


def _install_sqlite(connection: BaseDatabaseWrapper, *, rebuild: bool) -> None:
    messages = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        if rebuild:
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_KEY_TABLE}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FTS_KEY_TABLE} (id INTEGER PRIMARY KEY, message_id char(32) NOT NULL UNIQUE)"
        )
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(content, tokenize = '{_tokenizer()}')"
        )
        cursor.execute(
            f"INSERT INTO {FTS_KEY_TABLE} (message_id) SELECT m.id FROM {messages} m WHERE NOT m.is_deleted "
            f"AND m.id NOT IN (SELECT message_id FROM {FTS_KEY_TABLE})"
        )
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, content) SELECT k.id, m.content FROM {FTS_KEY_TABLE} k "
            f"JOIN {messages} m ON m.id = k.message_id WHERE k.id NOT IN (SELECT rowid FROM {FTS_TABLE})"
        )


def _sqlite() -> BaseDatabaseWrapper | None:
    connection = connections["default"]
    return connection if connection.vendor == "sqlite" else None


def index_message(message: Message) -> None:
    """Indexes a new message, or a changed one's current text (SQLite; PostgreSQL does it itself)."""
    connection = _sqlite()
    if connection is None:
        return
    key = message.id.hex
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {FTS_KEY_TABLE} WHERE message_id = %s", [key])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(f"INSERT INTO {FTS_KEY_TABLE} (message_id) VALUES (%s)", [key])
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, content) VALUES (%s, %s)", [cursor.lastrowid, message.content]
            )
        else:
            cursor.execute(f"UPDATE {FTS_TABLE} SET content = %s WHERE rowid = %s", [message.content, row[0]])


def unindex_message(message_id: UUID) -> None:
    """Takes a deleted message out of the index (SQLite; PostgreSQL's vector of "" matches nothing)."""
    connection = _sqlite()
    if connection is None:
        return
    with connection.cursor() as cursor:
        key = message_id.hex
        cursor.execute(
            f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM {FTS_KEY_TABLE} WHERE message_id = %s)", [key]
        )
        cursor.execute(f"DELETE FROM {FTS_KEY_TABLE} WHERE message_id = %s", [key])


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Removes what `install` made (unapplying the migration)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(Message._meta.db_table)
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}")
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {SEARCH_CONFIG}")
        elif connection.vendor == "sqlite":
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_KEY_TABLE}")
