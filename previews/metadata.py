"""What a page says about itself: title, description, site name and image, from OpenGraph, Twitter
cards and <title>, parsed with selectolax (the Lexbor engine: an HTML5 parser in C that copes with
any markup a hostile page sends, ~10 ms for a 1 MB page)."""

import codecs
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from previews.models import DESCRIPTION_MAX_LENGTH, SITE_NAME_MAX_LENGTH, TITLE_MAX_LENGTH

# Where a page may declare its encoding without a Content-Type charset: a <meta> near its start.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 2048

# Each field from the first of these that the page has (meta property= or name=, case-insensitive).
_TITLE = ("og:title", "twitter:title")
_DESCRIPTION = ("og:description", "twitter:description", "description")
_SITE_NAME = ("og:site_name", "application-name")
_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")


@dataclass(frozen=True)
class PageMetadata:
    title: str
    description: str
    site_name: str
    image_url: str | None  # absolute http(s), resolved against the page's URL

    def is_empty(self) -> bool:
        return not (self.title or self.description or self.image_url)


def page_metadata(body: bytes, *, content_type: str, url: str) -> PageMetadata:
    """The preview fields of an HTML page fetched from `url` (the last hop of any redirects).

    `content_type`: the answer's Content-Type header, whose charset (if any) decodes the body.
    Texts come out as plain text on one line, cut to their column lengths; the site name falls
    back to the URL's host.
    """
    tree = LexborHTMLParser(body.decode(_encoding(body, content_type), errors="replace"))
    metas: dict[str, str] = {}
    for meta in tree.css("meta"):
        key = (meta.attributes.get("property") or meta.attributes.get("name") or "").strip().lower()
        content = meta.attributes.get("content")
        if key and content and key not in metas:
            metas[key] = content
    title_tag = tree.css_first("title")
    title = _first(metas, _TITLE) or (title_tag.text() if title_tag is not None else "")
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return PageMetadata(
        title=_clean(title, TITLE_MAX_LENGTH),
        description=_clean(_first(metas, _DESCRIPTION), DESCRIPTION_MAX_LENGTH),
        site_name=_clean(_first(metas, _SITE_NAME) or host, SITE_NAME_MAX_LENGTH),
        image_url=_absolute_http(_first(metas, _IMAGE), url),
    )


def _encoding(body: bytes, content_type: str) -> str:
    declared = ""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            declared = value.strip().strip("\"'")
    if not declared:
        found = _META_CHARSET.search(body[:_SNIFF_BYTES])
        declared = found.group(1).decode("ascii") if found else ""
    try:
        return codecs.lookup(declared).name if declared else "utf-8"
    except LookupError:
        return "utf-8"


def _first(metas: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((metas[key] for key in keys if metas.get(key, "").strip()), "")


# Embedding, override and isolate controls: they could turn the text around the preview backwards.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _clean(text: str, limit: int) -> str:
    """One line of text without control characters or bidi overrides (emoji joiners stay), at most
    `limit` characters, cut with an ellipsis."""
    printable = "".join(
        ch for ch in text if ch.isspace() or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )
    line = " ".join(printable.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _absolute_http(reference: str, base: str) -> str | None:
    if not reference.strip():
        return None
    try:
        absolute = urljoin(base, reference.strip())
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") and len(absolute) <= 2000 else None
