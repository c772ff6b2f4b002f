"""Every write to link previews: following a message's first link, and making its preview."""

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

import jobs
import outbound
from broadcast.groups import room_group
from broadcast.publish import publish
from chatapp.errors import DomainError
from previews.event_types import LinkPreviewReady
from previews.fetch import NotAPage, fetch_page
from previews.links import first_url
from previews.models import FETCH_INTERVAL, LinkPreview, MessageLinkPreview
from previews.selectors import link_preview_awaited, page_cached, url_hash
from previews.signals import preview_ready
from uploads.models import Upload
from uploads.services import image_upload_create

logger = logging.getLogger("chatapp.previews")

# A preview image is shown small: stored at most this many pixels a side.
IMAGE_MAX_SIDE = 400
# A fetch claimed this long ago and not finished belongs to a job that died: it may be taken over.
# (A fetch takes at most 5 s for the page, 5 s for its image, and their turns for a fetch slot.)
CLAIM_SECONDS = 90


class PreviewInProgress(Exception):
    """Another job is fetching this URL right now: this one tries again later (jobs' retries)."""


def link_preview_follow(*, message: models.Model, room_id: UUID, sender_id: UUID, text: str, new: bool = False) -> None:
    """Keeps a message's link preview in step with its text; messaging calls it in the transaction
    of every send, edit and delete (`text` is "" for a deleted message).

    A first link that is new (a new message, or an edit that changed it) gets a pending preview and
    a `link_preview` job, which runs after the transaction commits; a preview whose link is no
    longer the first one, or whose message is deleted, goes. An unchanged link keeps its preview.
    With LINK_PREVIEWS off nothing new is queued (previews already made stay). Leaves
    `message.link_preview` loaded, so the message JSON built next runs no query for it.
    """
    wanted = first_url(text)
    current = None if new else getattr(message, "link_preview", None)  # loaded with the message
    if current is not None and current.url == wanted:
        return
    if current is not None:
        current.delete()
    preview = None
    if wanted is not None and settings.LINK_PREVIEWS:
        preview = MessageLinkPreview.objects.create(message_id=message.pk, url=wanted)
        jobs.enqueue(
            "link_preview", message_id=str(message.pk), room_id=str(room_id), sender_id=str(sender_id), url=wanted
        )
    if new or current is not None or preview is not None:
        _remember(message, preview)


def _remember(message: models.Model, preview: MessageLinkPreview | None) -> None:
    """Sets what `message.link_preview` answers, with public APIs only: assigning the reverse
    one-to-one caches a preview; for none, the assignment forgets the old one and a prefetch from
    an empty queryset (which runs no query) records that there is none."""
    setattr(message, "link_preview", preview)  # noqa: B010 (the relation is declared on this side)
    if preview is None:
        prefetch_related_objects([message], Prefetch("link_preview", queryset=MessageLinkPreview.objects.none()))


def link_preview_make(
    *, message_id: str, room_id: str, sender_id: str, url: str, now: datetime | None = None
) -> MessageLinkPreview | None:
    """Makes the preview a message waits for: what `url` shows, fetched now or taken from a fetch
    less than FETCH_INTERVAL old, and announces it to the room (`link_preview`). Returns the
    message's preview, or None if it no longer waits for this one (deleted, or edited to another
    link). The `link_preview` job runs it after the message commits.

    A link that cannot be previewed (refused by the guard, unreachable, not HTML, nothing to show)
    leaves the message with no preview. Raises PreviewInProgress while another job fetches the URL.
    """
    if not settings.LINK_PREVIEWS or not link_preview_awaited(message_id=message_id, url=url):
        return None
    page = _page(url=url, owner_id=sender_id, now=now or timezone.now())
    with transaction.atomic():
        preview = (
            MessageLinkPreview.objects.select_for_update()
            .filter(message_id=message_id, url=url, status=MessageLinkPreview.Status.PENDING)
            .first()
        )
        if preview is None:
            return None  # deleted or edited while the page was fetched
        if page.status != LinkPreview.Status.READY:
            preview.status = MessageLinkPreview.Status.FAILED
            preview.save(update_fields=["status"])
            return preview
        preview.status = MessageLinkPreview.Status.READY
        preview.title, preview.description, preview.site_name = page.title, page.description, page.site_name
        preview.image = page.image
        preview.save(update_fields=["status", "title", "description", "site_name", "image"])
        preview_ready.send(sender=MessageLinkPreview, message_id=message_id, at=timezone.now())
        publish(LinkPreviewReady.of(preview, room_id=room_id), to=[room_group(room_id)])
    return preview


def _page(*, url: str, owner_id: str, now: datetime) -> LinkPreview:
    """`url`'s cache row, READY or FAILED: a fresh one as it is, else fetched now by this job."""
    cached = page_cached(url=url, now=now)
    if cached is not None and cached.status != LinkPreview.Status.FETCHING:
        return cached
    page, claimed = _claim(url=url, now=now)
    if not claimed:
        if page.status == LinkPreview.Status.FETCHING:
            raise PreviewInProgress(f"another job is fetching {url}")
        return page
    try:
        _fetch_into(page, owner_id=owner_id)
    except BaseException:
        # Not a verdict on the link (a bug, the database, the job's time limit): let a retry fetch.
        LinkPreview.objects.filter(pk=page.pk, status=LinkPreview.Status.FETCHING).delete()
        raise
    return page


@transaction.atomic
def _claim(*, url: str, now: datetime) -> tuple[LinkPreview, bool]:
    """`url`'s cache row, and whether this job claimed it to fetch: no fresh row (stale ones are
    pruned here, for every URL), or a claim abandoned CLAIM_SECONDS ago by a job that died."""
    LinkPreview.objects.filter(fetched_at__lt=now - FETCH_INTERVAL).delete()
    key = url_hash(url)
    page = LinkPreview.objects.select_for_update().filter(url_hash=key).first()
    if page is None:
        try:
            with transaction.atomic():
                return LinkPreview.objects.create(url_hash=key, url=url, fetched_at=now), True
        except IntegrityError:  # another job claimed it between the read and the insert
            page = LinkPreview.objects.select_for_update().get(url_hash=key)
    if page.status == LinkPreview.Status.FETCHING and page.fetched_at < now - timedelta(seconds=CLAIM_SECONDS):
        page.fetched_at = now
        page.save(update_fields=["fetched_at"])
        return page, True
    return page, False


def _fetch_into(page: LinkPreview, *, owner_id: str) -> None:
    """Fetches the page (and its image) and records the outcome in its claimed cache row."""
    try:
        fetched = fetch_page(page.url)
    except (outbound.Refused, outbound.Failed, NotAPage) as error:
        logger.info("link not previewed", extra={"url": page.url, "reason": str(error)})
        page.status = LinkPreview.Status.FAILED
        page.save(update_fields=["status"])
        return
    metadata = fetched.metadata
    page.title, page.description, page.site_name = metadata.title, metadata.description, metadata.site_name
    page.image = _stored_image(fetched.image, owner_id=owner_id, url=page.url)
    page.status = LinkPreview.Status.READY
    page.save(update_fields=["status", "title", "description", "site_name", "image"])


def _stored_image(data: bytes | None, *, owner_id: str, url: str) -> Upload | None:
    if not data:
        return None
    try:
        return image_upload_create(owner_id=owner_id, data=data, original_name="link-preview", max_side=IMAGE_MAX_SIDE)
    except DomainError as error:  # not an image, over the pixel budget, or image slots all busy
        logger.info("link preview image not stored", extra={"url": url, "reason": error.message})
        return None
