"""How large a request body each path accepts, decided from the request's head alone.

Both places that read bodies use it before reading one: the HTTP edge under daphne
(realtime.transport.http), which sees the bytes as they arrive, and the ASGI handler (chatapp.handlers), for
any other ASGI server. Nothing here imports an app, so the upload limit is restated and
chatapp/tests/test_request_limits.py checks it against uploads.validation.
"""

from dataclasses import dataclass
from urllib.parse import unquote

KIB = 1024
# The largest JSON a client sends is a message: 2,000 characters, each up to 12 bytes when escaped
# (a surrogate pair of \\uXXXX), is 24 KB; everything else is a few hundred bytes.
MAX_BODY_BYTES = 64 * KIB
# A 4 MB file plus the multipart boundaries and part headers around it (uploads.validation).
MAX_UPLOAD_BODY_BYTES = 4 * KIB * KIB + 64 * KIB
UPLOAD_PATHS = frozenset({"/api/v1/upload"})
# Endpoints that only ever parse JSON: a multipart body there is refused before it is read.
_JSON_ONLY_PREFIXES = ("/api/", "/health")


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str  # the HTTP reason phrase
    error: str  # the `{"error": ...}` a client sees


TOO_LARGE = Refusal(413, "Content Too Large", "Request body too large")
UPLOAD_TOO_LARGE = Refusal(413, "Content Too Large", "File too large. Maximum size is 4 MB")
NOT_MULTIPART = Refusal(415, "Unsupported Media Type", "Unsupported content type")


def request_path(raw_path: bytes | str) -> str:
    """The path Django routes on: the query string cut off and percent-escapes decoded, as daphne does."""
    if isinstance(raw_path, bytes):
        raw_path = raw_path.decode("latin-1")
    return unquote(raw_path.partition("?")[0])


def body_limit(path: str) -> int:
    return MAX_UPLOAD_BODY_BYTES if path in UPLOAD_PATHS else MAX_BODY_BYTES


def too_large(path: str) -> Refusal:
    return UPLOAD_TOO_LARGE if path in UPLOAD_PATHS else TOO_LARGE


def refusal_for_head(*, path: str, content_type: str, content_length: int | None) -> Refusal | None:
    """Why a request must be refused before a byte of its body is read, or None.

    `content_length` is None for a chunked body: that one is counted as it arrives instead.
    """
    if (
        content_type.strip().lower().startswith("multipart/")
        and path.startswith(_JSON_ONLY_PREFIXES)
        and path not in UPLOAD_PATHS
    ):
        return NOT_MULTIPART
    if content_length is not None and content_length > body_limit(path):
        return too_large(path)
    return None
