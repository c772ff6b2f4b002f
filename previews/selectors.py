"""Reads with a rule in them for link previews."""

import hashlib
from datetime import datetime

from previews.models import FETCH_INTERVAL, LinkPreview, MessageLinkPreview


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def link_preview_awaited(*, message_id: str, url: str) -> bool:
    """Whether the message still waits for a preview of `url`: not deleted, not edited to another
    first link, not previewed yet."""
    return MessageLinkPreview.objects.filter(
        message_id=message_id, url=url, status=MessageLinkPreview.Status.PENDING
    ).exists()


def page_cached(*, url: str, now: datetime) -> LinkPreview | None:
    """What `url` showed at a fetch that began less than FETCH_INTERVAL before `now` (finished or
    still running), with its image."""
    return (
        LinkPreview.objects.select_related("image")
        .filter(url_hash=url_hash(url), fetched_at__gte=now - FETCH_INTERVAL)
        .first()
    )
