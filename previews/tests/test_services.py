"""A message's preview follows its text: a new first link queues a job after the send or edit, and
the preview goes with the link or the message. One fetch per URL per 10 minutes."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from messaging import selectors
from messaging.models import MESSAGE_RELATED, Message
from messaging.serializers import message_json
from messaging.services import message_delete, message_edit, message_send
from previews.models import LinkPreview, MessageLinkPreview
from previews.selectors import url_hash
from previews.services import PreviewInProgress, link_preview_make
from previews.tests.conftest import html, page, png, queued_previews, routes
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_room, user, other_user):
    return make_room(user, members=[other_user])


@pytest.fixture
def site(sites):
    return sites(routes({"/a": html(page(title="Page A")), "/b": html(page(title="Page B")), "/card.png": png()}))


def shown(message) -> dict:
    return message_json(Message.objects.select_related(*MESSAGE_RELATED).get(pk=message.pk))


def test_a_sent_link_queues_its_job_and_shows_no_preview_until_it_has_run(chat, user, site, run_previews):
    message, _ = message_send(room_id=chat.id, sender=user, content=f"look {site.origin()}/a and {site.origin()}/b")

    assert queued_previews() == [
        {"message_id": str(message.id), "room_id": str(chat.id), "sender_id": str(user.id), "url": f"{site.origin()}/a"}
    ]
    assert message_json(message)["link_preview"] is None and shown(message)["link_preview"] is None
    assert site.got_nothing()  # nothing is fetched on the request path

    assert shown(message)["changed_at"] is None
    run_previews()

    assert shown(message)["link_preview"]["title"] == "Page A"
    # A client that missed `link_preview` gets the message again from `resume`, which goes by this.
    assert shown(message)["changed_at"] > shown(message)["created_at"]


def test_a_text_without_a_link_queues_nothing(chat, user):
    message_send(room_id=chat.id, sender=user, content="no link, just ftp://a.example")
    assert queued_previews() == [] and not MessageLinkPreview.objects.exists()


def test_with_link_previews_off_nothing_is_queued(chat, user, site, settings):
    settings.LINK_PREVIEWS = False
    message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
    assert queued_previews() == [] and not MessageLinkPreview.objects.exists()


def test_the_ready_preview_is_announced_to_the_room(
    chat, user, site, run_previews, published_events, django_capture_on_commit_callbacks
):
    message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
    room = published_events(f"room.{chat.id}")

    with django_capture_on_commit_callbacks(execute=True):
        run_previews()

    preview = shown(message)["link_preview"]
    assert room.events() == [
        {
            "type": "link_preview",
            "payload": {"room_id": str(chat.id), "message_id": str(message.id), "link_preview": preview},
        }
    ]
    assert preview["title"] == "Page A" and preview["image_url"].startswith("/media/uploads/")


def test_a_link_that_cannot_be_previewed_is_announced_to_nobody(
    chat, user, sites, run_previews, published_events, django_capture_on_commit_callbacks
):
    missing = sites(routes({}))
    message, _ = message_send(room_id=chat.id, sender=user, content=f"{missing.origin()}/gone")
    room = published_events(f"room.{chat.id}")

    with django_capture_on_commit_callbacks(execute=True):
        run_previews()

    assert room.events() == [] and shown(message)["link_preview"] is None
    assert MessageLinkPreview.objects.get().status == "failed"


class TestEdits:
    def test_an_edit_keeping_the_first_link_keeps_the_preview(self, chat, user, site, run_previews):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        run_previews()
        site.next()

        edited = message_edit(
            message_id=message.id, editor=user, content=f"better: {site.origin()}/a {site.origin()}/b"
        )

        assert message_json(edited)["link_preview"]["title"] == "Page A"  # the edit_message event's JSON
        assert queued_previews() == []

    def test_an_edit_to_another_first_link_previews_that_one(self, chat, user, site, run_previews):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        run_previews()

        edited = message_edit(message_id=message.id, editor=user, content=f"oops, {site.origin()}/b")

        assert message_json(edited)["link_preview"] is None
        assert [job["url"] for job in run_previews()] == [f"{site.origin()}/b"]
        assert shown(message)["link_preview"]["title"] == "Page B"

    def test_a_job_for_a_link_edited_away_fetches_nothing(self, chat, user, site, run_previews):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        message_edit(message_id=message.id, editor=user, content="never mind")

        assert [job["url"] for job in run_previews()] == [f"{site.origin()}/a"]
        assert site.got_nothing() and shown(message)["link_preview"] is None
        assert not MessageLinkPreview.objects.exists()


class TestDeletes:
    def test_a_deleted_message_loses_its_preview(self, chat, user, site, run_previews):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        run_previews()

        message_delete(message_id=message.id, actor=user)

        assert shown(message)["link_preview"] is None and not MessageLinkPreview.objects.exists()

    def test_a_message_deleted_before_its_job_runs_is_not_fetched(self, chat, user, site, run_previews):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        message_delete(message_id=message.id, actor=user)
        run_previews()
        assert site.got_nothing() and not MessageLinkPreview.objects.exists()

    def test_the_image_of_a_deleted_message_goes_at_the_next_upload_cleanup(self, chat, user, site, run_previews):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        run_previews()
        image = Upload.objects.get()
        Upload.objects.update(created_at=timezone.now() - timedelta(days=2))

        call_command("cleanup_uploads", "--older-than=1d")
        assert Upload.objects.filter(pk=image.pk).exists()  # the message and the URL's cache row hold it

        message_delete(message_id=message.id, actor=user)
        call_command("cleanup_uploads", "--older-than=1d")
        assert Upload.objects.filter(pk=image.pk).exists()  # the cache row, for 10 minutes
        LinkPreview.objects.all().delete()
        call_command("cleanup_uploads", "--older-than=1d")
        assert not Upload.objects.filter(pk=image.pk).exists()


class TestOneFetchPerUrl:
    def test_messages_linking_the_same_url_within_ten_minutes_share_one_fetch(
        self, chat, user, other_user, site, run_previews
    ):
        first, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        second, _ = message_send(room_id=chat.id, sender=other_user, content=f"me too {site.origin()}/a")
        run_previews()

        assert shown(first)["link_preview"] == shown(second)["link_preview"]
        assert [site.next().path, site.next().path] == ["/a", "/card.png"]
        assert site.got_nothing()

    def test_a_failure_is_remembered_as_long(self, chat, user, sites, run_previews):
        missing = sites(routes({}))
        for _ in range(2):
            message_send(room_id=chat.id, sender=user, content=f"{missing.origin()}/gone")
        run_previews()
        assert missing.next().path == "/gone" and missing.got_nothing()

    def test_after_ten_minutes_the_url_is_fetched_again(self, chat, user, site, run_previews):
        message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        run_previews()
        later, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        [job] = queued_previews()

        link_preview_make(**job, now=timezone.now() + timedelta(minutes=10, seconds=1))

        assert [site.next().path for _ in range(4)] == ["/a", "/card.png", "/a", "/card.png"]
        assert shown(later)["link_preview"]["title"] == "Page A"
        assert LinkPreview.objects.count() == 1  # the stale row went

    def test_a_url_another_job_is_fetching_is_tried_again_later_and_a_dead_claim_is_taken_over(self, chat, user, site):
        message, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
        [job] = queued_previews()
        # Another job's claim, made just now.
        LinkPreview.objects.create(url_hash=url_hash(job["url"]), url=job["url"], fetched_at=timezone.now())

        with pytest.raises(PreviewInProgress):
            link_preview_make(**job)
        assert site.got_nothing()

        link_preview_make(**job, now=timezone.now() + timedelta(seconds=91))  # that job died
        assert shown(message)["link_preview"]["title"] == "Page A"


def test_history_pages_show_previews_as_message_json_does(chat, user, other_user, site, sites, run_previews):
    """The PostgreSQL-rendered pages against message_json: ready (with and without an image),
    pending, failed, deleted, and no link."""
    plain = sites(routes({"/": html(page(title="No image", image=None))}))
    missing = sites(routes({}))
    for text in (f"{site.origin()}/a", f"{plain.origin()}/", f"{missing.origin()}/x", "no link"):
        message_send(room_id=chat.id, sender=user, content=text)
    run_previews()
    message_send(room_id=chat.id, sender=other_user, content=f"{site.origin()}/b")  # stays pending
    gone, _ = message_send(room_id=chat.id, sender=user, content=f"{site.origin()}/a")
    run_previews()
    message_delete(message_id=gone.id, actor=user)

    rendered = json.loads(selectors.message_page_json(room_id=chat.id, page=1, limit=50).data_json)

    expected = [
        message_json(m)
        for m in Message.objects.filter(room=chat).select_related(*MESSAGE_RELATED).order_by("-created_at", "-id")
    ]
    assert rendered == expected
    assert [m["link_preview"] and m["link_preview"]["title"] for m in rendered] == [
        None,  # deleted
        "Page B",
        None,  # no link
        None,  # failed
        "No image",
        "Page A",
    ]
    assert rendered[4]["link_preview"]["image_url"] is None and rendered[5]["link_preview"]["image_url"]
