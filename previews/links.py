"""Finding the link a message is previewed by: its first http(s) URL."""

import re

# A URL runs to the next space or character that cannot end one in running text; `\b` keeps
# "xhttp://" out.
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
# Sentence punctuation and Markdown emphasis written right after a link are not part of it.
_TRAILING = ".,;:!?'\"*_~"
_CLOSING = {")": "(", "]": "[", "}": "{"}


def first_url(text: str) -> str | None:
    """The first http(s) URL in `text`, as written, without the punctuation that follows it
    ("(see https://a.example/x)." gives https://a.example/x); None if there is none."""
    for match in _URL.finditer(text):
        url = _trimmed(match.group())
        if "://" in url and url.split("://", 1)[1]:
            return url
    return None


def _trimmed(url: str) -> str:
    while url:
        last = url[-1]
        # A closing bracket belongs to the URL only when the URL opened it (Wikipedia's "_(film)").
        unbalanced = last in _CLOSING and url.count(_CLOSING[last]) < url.count(last)
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url
