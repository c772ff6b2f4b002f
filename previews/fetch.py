"""Fetching a page and its image for a preview, through the outbound guard, a few at a time."""

import ipaddress
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings

import outbound
from previews.metadata import PageMetadata, page_metadata
from uploads.validation import MAX_UPLOAD_BYTES

logger = logging.getLogger("chatapp.previews")

# What a preview fetch may reach and read (issue: 5 s in all, 3 redirects, 1 MB of HTML).
PORTS = frozenset({80, 443})
TIMEOUT_SECONDS = 5
MAX_REDIRECTS = 3
MAX_PAGE_BYTES = 1024 * 1024
# The image is read whole, like an upload (and decoded under the upload pixel budget).
MAX_IMAGE_BYTES = MAX_UPLOAD_BYTES
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Requests in flight per process: a burst of links waits its turn rather than opening sockets
# (and holding memory for 1 MB pages) by the dozen.
CONCURRENT_FETCHES = 2
SLOT_WAIT_SECONDS = 30
HEADERS = {
    "User-Agent": "Mozilla/5.0 (compatible; chatapp-link-preview/1.0)",
    "Accept-Language": "en;q=0.9, *;q=0.5",
}
PAGE_ACCEPT = "text/html;q=1, */*;q=0.1"
IMAGE_ACCEPT = ", ".join(sorted(IMAGE_TYPES))

_slots = threading.BoundedSemaphore(CONCURRENT_FETCHES)


class FetchBusy(Exception):
    """Every fetch slot stayed taken: no verdict on the link, its job tries again later."""


class NotAPage(Exception):
    """The answer was not an HTML page worth previewing (a 404, an image, nothing to show)."""


@dataclass(frozen=True)
class FetchedPage:
    metadata: PageMetadata
    image: bytes | None  # the image's bytes as fetched, not yet decoded


def _policy(*, content_types: frozenset[str], max_bytes: int, truncate: bool) -> outbound.Policy:
    networks = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in settings.LINK_PREVIEW_ALLOWED_NETWORKS)
    return outbound.Policy(
        schemes=frozenset({"http", "https"}),
        ports=PORTS,
        allowed_networks=networks,
        max_redirects=MAX_REDIRECTS,
        timeout=TIMEOUT_SECONDS,
        max_bytes=max_bytes,
        content_types=content_types,
        truncate=truncate,
    )


def page_policy() -> outbound.Policy:
    """http(s) on ports 80 and 443 to public addresses (and LINK_PREVIEW_ALLOWED_NETWORKS), 3
    redirects each checked again, 5 s in all, only text/html, its first 1 MB."""
    return _policy(content_types=frozenset({"text/html"}), max_bytes=MAX_PAGE_BYTES, truncate=True)


def image_policy() -> outbound.Policy:
    """The page's rules for its image, with image types and the upload size limit instead."""
    return _policy(content_types=IMAGE_TYPES, max_bytes=MAX_IMAGE_BYTES, truncate=False)


@contextmanager
def _fetch_slot() -> Iterator[None]:
    if not _slots.acquire(timeout=SLOT_WAIT_SECONDS):
        raise FetchBusy(f"no fetch slot came free within {SLOT_WAIT_SECONDS} s")
    try:
        yield
    finally:
        _slots.release()


def _get(url: str, policy: outbound.Policy, *, accept: str) -> outbound.Response:
    with _fetch_slot():
        return outbound.request("GET", url, policy=policy, headers={**HEADERS, "Accept": accept})


def fetch_page(url: str) -> FetchedPage:
    """The preview fields of the page at `url`, and its image's bytes when it has one that could be
    fetched. Raises outbound.Refused (the guard said no), outbound.Failed (network, time, size),
    NotAPage, or FetchBusy."""
    answer = _get(url, page_policy(), accept=PAGE_ACCEPT)
    if not 200 <= answer.status < 300 or answer.content_type != "text/html":
        raise NotAPage(f"answered {answer.status} {answer.content_type or 'without a content type'}")
    metadata = page_metadata(answer.body, content_type=answer.headers.get("content-type", ""), url=answer.url)
    if metadata.is_empty():
        raise NotAPage("the page has no title, description or image")
    image = None
    if metadata.image_url is not None:
        try:
            picture = _get(metadata.image_url, image_policy(), accept=IMAGE_ACCEPT)
            if 200 <= picture.status < 300 and picture.content_type in IMAGE_TYPES:
                image = picture.body
        except (outbound.Refused, outbound.Failed, FetchBusy) as error:
            # The preview goes out without it; a page's image is the page's choice of target.
            logger.info("link preview image not fetched", extra={"url": url, "error": str(error)})
    return FetchedPage(metadata, image)
