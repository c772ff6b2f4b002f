"""The hand-built message JSON must stay exactly what DRF's generic rendering of the contract gives."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from messaging.models import MESSAGE_RELATED, Message
from messaging.serializers import MessageSerializer, message_json

pytestmark = pytest.mark.django_db


def REACTIONS(user) -> list[dict]:  # noqa: N802
    """A stored summary, with the `first_at` the wire leaves out."""
    return [
        {"emoji": "👍🏽", "count": 3, "user_ids": [str(user.id)], "first_at": "2026-01-01T00:00:00.000000+00:00"},
        {"emoji": "🎉", "count": 1, "user_ids": [str(user.id)], "first_at": "2026-01-01T00:00:01.000000+00:00"},
    ]


def drf_rendering(message: Message) -> dict:
    """DRF's own field-by-field rendering of MessageSerializer's declared fields."""
    data = serializers.ModelSerializer.to_representation(MessageSerializer(), message)
    if message.is_deleted:
        data.update(
            content="",
            content_html="",
            file_url="",
            file_name="",
            file_size=None,
            mentions=[],
            mentions_room=False,
            reactions=[],
            pinned=False,
        )
    if data["reply_to"] is not None and message.reply_to.is_deleted:
        data["reply_to"]["content"] = ""
    return data


def test_every_kind_of_message_renders_exactly_as_drf_does(make_room, user, other_user, make_message):
    room = make_room(user, members=[other_user])
    whole_second = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    original = make_message(room, other_user, "original")
    gone_original = make_message(room, other_user, "secret", is_deleted=True)
    variants = [
        make_message(room, user, "plain"),
        make_message(room, user, "on the second", created_at=whole_second),
        make_message(room, user, "fixed", is_edited=True, client_msg_id="c-42"),
        make_message(room, user, "", type="file", file_url="/media/uploads/a.pdf", file_name="a.pdf", file_size=1234),
        make_message(
            room, user, "x", is_deleted=True, type="image", file_url="/media/u/b.png", file_name="b.png", file_size=9
        ),
        make_message(room, user, "re", reply_to=original),
        make_message(room, user, "re gone", reply_to=gone_original),
        make_message(
            room, user, "@bob @room", mentions=[{"id": str(other_user.id), "username": "bob"}], mentions_room=True
        ),
        make_message(
            room,
            user,
            "",
            is_deleted=True,
            mentions=[{"id": str(other_user.id), "username": "bob"}],
            mentions_room=True,
        ),
        make_message(
            room,
            user,
            "**rich** 👍",
            content_html="<p><strong>rich</strong> 👍</p>",
            reactions=REACTIONS(other_user),
            pinned_at=whole_second,
            pinned_by=other_user,
        ),
        make_message(
            room,
            user,
            "",
            is_deleted=True,
            content_html="<p>left over</p>",
            reactions=REACTIONS(other_user),
            pinned_at=whole_second,
        ),
    ]
    for message in Message.objects.filter(pk__in=[m.pk for m in variants]).select_related(*MESSAGE_RELATED):
        assert message_json(message) == drf_rendering(message), message.content
        assert list(message_json(message)) == list(drf_rendering(message)), "same key order"


def test_link_previews_render_exactly_as_drf_does(make_room, user, make_message, make_upload):
    from previews.models import MessageLinkPreview

    room = make_room(user)
    fields = {"url": "https://a.example/", "title": "A", "description": "About A", "site_name": "a.example"}
    ready = make_message(room, user, "https://a.example/ ready")
    MessageLinkPreview.objects.create(message=ready, status="ready", image=make_upload(user), **fields)
    without_image = make_message(room, user, "https://a.example/ no image")
    MessageLinkPreview.objects.create(message=without_image, status="ready", **fields)
    pending = make_message(room, user, "https://a.example/ pending")
    MessageLinkPreview.objects.create(message=pending, url="https://a.example/")
    failed = make_message(room, user, "https://a.example/ failed")
    MessageLinkPreview.objects.create(message=failed, url="https://a.example/", status="failed")

    loaded = Message.objects.select_related(*MESSAGE_RELATED).in_bulk(
        [ready.pk, without_image.pk, pending.pk, failed.pk]
    )
    for message in loaded.values():
        assert message_json(message) == drf_rendering(message), message.content
    assert message_json(loaded[ready.pk])["link_preview"] == {**fields, "image_url": ready.link_preview.image.url}
    assert message_json(loaded[without_image.pk])["link_preview"] == {**fields, "image_url": None}
    assert message_json(loaded[pending.pk])["link_preview"] is None
    assert message_json(loaded[failed.pk])["link_preview"] is None
