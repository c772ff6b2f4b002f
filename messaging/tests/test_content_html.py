"""`content_html`: rendered when text is written, shown wherever a message is, rendered again on demand."""

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from dms.services import dm_get_or_create
from messaging import markdown
from messaging.models import Message
from messaging.services import message_delete, message_edit, message_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_room, user, other_user):
    """alice (admin) and bob (member) in a public room."""
    return make_room(user, members=[other_user])


def bob_span(bob) -> str:
    return f'<span class="mention" data-user-id="{bob.id}">@bob</span>'


class TestWrites:
    def test_a_send_stores_the_rendered_text_and_the_renderer_version(self, chat, user, other_user):
        message, _ = message_send(room_id=chat.id, sender=user, content="**look** @bob <i>")
        stored = Message.objects.get(pk=message.pk)
        assert stored.content_html == f"<p><strong>look</strong> {bob_span(other_user)} &lt;i&gt;</p>"
        assert stored.render_version == markdown.RENDERER_VERSION

    def test_an_edit_renders_again(self, chat, user, other_user):
        message, _ = message_send(room_id=chat.id, sender=user, content="plain")
        message_edit(message_id=message.id, editor=user, content="~~plain~~ @bob")
        assert Message.objects.get(pk=message.pk).content_html == f"<p><s>plain</s> {bob_span(other_user)}</p>"

    def test_a_file_message_without_text_has_no_html(self, chat, user, make_upload):
        upload = make_upload(user)
        message, _ = message_send(room_id=chat.id, sender=user, type="image", file_url=upload.url)
        assert message.content_html == ""

    def test_a_deleted_message_shows_no_html(self, chat, user, api_client_for):
        message, _ = message_send(room_id=chat.id, sender=user, content="**secret**")
        message_delete(message_id=message.id, actor=user)
        assert Message.objects.get(pk=message.pk).content_html == ""
        [shown] = api_client_for(user).get(f"/api/v1/rooms/{chat.id}/messages").json()["data"]
        assert shown["content_html"] == ""


class TestEverywhereAMessageIsShown:
    def test_rest_send_history_mentions_search_and_room_lists(self, chat, user, other_user, api_client_for):
        alice, bob = api_client_for(user), api_client_for(other_user)
        sent = alice.post(f"/api/v1/rooms/{chat.id}/messages", {"content": "*deploy* @bob"}, format="json").json()
        html = f"<p><em>deploy</em> {bob_span(other_user)}</p>"
        assert sent["content_html"] == html
        assert bob.get(f"/api/v1/rooms/{chat.id}/messages").json()["data"][0]["content_html"] == html
        assert bob.get("/api/v1/mentions").json()["data"][0]["content_html"] == html
        assert bob.get("/api/v1/search", {"q": "deploy"}).json()["data"][0]["content_html"] == html
        rooms = bob.get("/api/v1/rooms/me").json()["data"]
        assert rooms[0]["last_message"]["content_html"] == html

    def test_direct_messages(self, user, other_user, api_client_for):
        room, _ = dm_get_or_create(user=user, recipient_id=other_user.id)
        message_send(room_id=room.id, sender=user, content="`code`")
        [conversation] = api_client_for(other_user).get("/api/v1/dm").json()["data"]
        assert conversation["last_message"]["content_html"] == "<p><code>code</code></p>"


class TestRenderingAgain:
    def test_the_command_renders_messages_of_older_renderer_versions_only(self, chat, user, other_user, make_message):
        stale = make_message(
            chat, user, "**old** @bob", mentions=[{"id": str(other_user.id), "username": "bob"}], render_version=0
        )
        current = make_message(chat, user, "**kept**", content_html="<p>as stored</p>", render_version=1)
        deleted = make_message(chat, user, "", is_deleted=True, content_html="<p>left over</p>", render_version=0)
        updated_at = Message.objects.get(pk=stale.pk).updated_at
        out = StringIO()
        call_command("rerender_messages", "--batch-size", "1", stdout=out)
        assert out.getvalue() == "Rendered 2 message(s) with renderer version 1.\n"
        stale.refresh_from_db()
        assert (stale.content_html, stale.render_version) == (f"<p><strong>old</strong> {bob_span(other_user)}</p>", 1)
        assert stale.updated_at == updated_at  # not an edit
        assert Message.objects.get(pk=current.pk).content_html == "<p>as stored</p>"
        assert Message.objects.get(pk=deleted.pk).content_html == ""

    def test_all_renders_every_message(self, chat, user, make_message):
        current = make_message(chat, user, "**kept**", content_html="<p>as stored</p>", render_version=1)
        call_command("rerender_messages", "--all", stdout=StringIO())
        assert Message.objects.get(pk=current.pk).content_html == "<p><strong>kept</strong></p>"

    def test_the_migration_renders_what_was_written_before_content_html(self, chat, user, make_message):
        migration = importlib.import_module("messaging.migrations.0005_render_existing_messages")
        old = [make_message(chat, user, f"_m{n}_") for n in range(3)]
        migration.render_existing(apps, SimpleNamespace(connection=connection))
        assert [Message.objects.get(pk=m.pk).content_html for m in old] == [f"<p><em>m{n}</em></p>" for n in range(3)]
