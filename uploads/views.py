"""Serving stored uploads under /media/ (in production too: daphne is the only server).

Anyone holding a file's URL can fetch it: names carry 128 random bits and are only handed to the
uploader (and whoever they share the message or avatar with). The headers make sure a file can
never act as a page of this site: no sniffing, a sandboxing CSP, and a download for anything that
is not an image or audio.
"""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from uploads.selectors import upload_get_by_stored_name

MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def _is_safe_name(name: str) -> bool:
    return bool(name) and not name.startswith("/") and "\\" not in name and "\x00" not in name and ".." not in name


@require_safe
def media_serve(request: HttpRequest, name: str) -> FileResponse:
    # Only names recorded in the database are served, which also rules out path traversal.
    found = upload_get_by_stored_name(name=name) if _is_safe_name(name) else None
    if found is None:
        raise Http404("Not found")
    upload, _is_thumbnail = found
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("Not found") from None
    inline = upload.is_image or upload.is_audio
    response = FileResponse(
        handle,
        content_type=upload.mime,
        as_attachment=not inline,
        filename=upload.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response
