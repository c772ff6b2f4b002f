"""Serving stored uploads under /media/ (in production too: daphne is the only server).

Anyone holding a file's URL can fetch it: names carry 128 random bits and are only handed to the
uploader (and whoever they share the message or avatar with). The headers make sure a file can
never act as a page of this site: no sniffing, a sandboxing CSP, and a download for anything that
is not an image or audio.
"""

import re
from typing import Literal

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from uploads.models import Upload
from uploads.selectors import upload_get_by_stored_name

MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def _is_safe_name(name: str) -> bool:
    return bool(name) and not name.startswith("/") and "\\" not in name and "\x00" not in name and ".." not in name


_SINGLE_BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# Any position with more significant digits lies beyond every file; reading it as "huge" keeps
# int() away from numbers past Python's 4,300-digit conversion limit (a ValueError, so a 500).
_MAX_POSITION_DIGITS = 18


def _position(digits: str) -> int:
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= _MAX_POSITION_DIGITS else 10**_MAX_POSITION_DIGITS


def _requested_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """The byte range asked for as (first, last), inclusive; None to send the whole file.

    False when the range lies beyond the file (416). Only one range is served: a list of ranges,
    or anything unparsable, gets the whole file, which RFC 9110 allows.
    """
    match = _SINGLE_BYTE_RANGE.fullmatch(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        suffix = _position(last)
        return (max(size - suffix, 0), size - 1) if suffix and size else False
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if last and _position(last) < start:
        return None
    return (start, end) if start < size else False


def _partial(handle: File, upload: Upload, byte_range: tuple[int, int] | Literal[False], size: int) -> HttpResponse:
    """206 with the requested bytes (uploads are at most 4 MB, so they are read into memory)."""
    if byte_range is False:
        handle.close()
        return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
    first, last = byte_range
    with handle:
        handle.seek(first)
        body = handle.read(last - first + 1)
    return HttpResponse(
        body, status=206, content_type=upload.mime, headers={"Content-Range": f"bytes {first}-{last}/{size}"}
    )


@require_safe
def media_serve(request: HttpRequest, name: str) -> HttpResponseBase:
    # Only names recorded in the database are served, which also rules out path traversal.
    upload = upload_get_by_stored_name(name=name) if _is_safe_name(name) else None
    if upload is None:
        raise Http404("Not found")
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("Not found") from None
    inline = upload.is_image or upload.is_audio
    # Audio players seek (and Safari starts playback) with Range requests.
    byte_range = _requested_range(request.headers.get("Range", ""), handle.size)
    response: HttpResponseBase
    if byte_range is not None:
        response = _partial(handle, upload, byte_range, handle.size)
        if not inline:
            response["Content-Disposition"] = content_disposition_header(True, upload.original_name)
    else:
        response = FileResponse(
            handle,
            content_type=upload.mime,
            as_attachment=not inline,
            filename=upload.original_name,
        )
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response
