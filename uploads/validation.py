"""What may be uploaded: size, extension, and the type libmagic reads from the bytes.

The extension decides how a file is served, so the content must be the very type that extension
promises: a PDF named .jpg, HTML, SVG, executables and scripts are refused under any name.
"""

import re
from dataclasses import dataclass
from pathlib import PurePath

import magic
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from chatapp.errors import BadRequest, DomainError

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
FILE_TOO_LARGE = "File too large. Maximum size is 4 MB"
# Room for the multipart boundaries and part headers around a file of exactly MAX_UPLOAD_BYTES.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# libmagic decides from the start of a file; 256 KiB covers every format below (zip directories
# of OOXML documents are found through the first local headers).
MAGIC_HEAD_BYTES = 256 * 1024


class FileTooLarge(DomainError):
    status_code = 413


@dataclass(frozen=True)
class FileType:
    kind: str  # "image" | "file" | "audio" (Upload.Kind values)
    mimes: frozenset[str]


def _types(kind: str, *mimes: str) -> FileType:
    return FileType(kind=kind, mimes=frozenset(mimes))


_OOXML = "application/vnd.openxmlformats-officedocument"
ALLOWED_TYPES: dict[str, FileType] = {
    "jpg": _types("image", "image/jpeg"),
    "jpeg": _types("image", "image/jpeg"),
    "png": _types("image", "image/png"),
    "gif": _types("image", "image/gif"),
    "webp": _types("image", "image/webp"),
    "pdf": _types("file", "application/pdf"),
    "txt": _types("file", "text/plain"),
    # A one-column CSV has no commas for libmagic to notice: it is plain text then.
    "csv": _types("file", "text/csv", "text/plain"),
    "zip": _types("file", "application/zip"),
    "docx": _types("file", f"{_OOXML}.wordprocessingml.document"),
    "xlsx": _types("file", f"{_OOXML}.spreadsheetml.sheet"),
    "mp3": _types("audio", "audio/mpeg"),
    "ogg": _types("audio", "audio/ogg", "audio/x-vorbis+ogg", "audio/x-opus+ogg", "application/ogg"),
    "wav": _types("audio", "audio/x-wav", "audio/wav", "audio/vnd.wave"),
    # libmagic names every WebM "video/webm", audio-only ones included.
    "webm": _types("audio", "audio/webm", "video/webm"),
    "m4a": _types("audio", "audio/x-m4a", "audio/mp4", "audio/m4a"),
}
ALLOWED_EXTENSIONS_TEXT = ", ".join(f".{ext}" for ext in ALLOWED_TYPES)

# Images and audio are served inline, so they must not double as a page a browser could render.
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|iframe|svg|object|embed|meta)\b|javascript:", re.I)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    kind: str
    mime: str
    original_name: str
    size: int


def clean_original_name(name: str) -> str:
    """The client's file name as display text only: no directories, no control characters."""
    base = PurePath(name.replace("\\", "/")).name
    return _CONTROL_CHARS.sub("", base).strip()[:255] or "file"


def ensure_content_length_allowed(meta: dict) -> None:
    """Refuses an announced oversize body before a byte of it is parsed."""
    try:
        announced = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Invalid Content-Length") from None
    if announced > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise FileTooLarge(FILE_TOO_LARGE)


def check_upload(file: UploadedFile) -> CheckedFile:
    """Extension allowed, size within the limit, and content of the type the extension promises."""
    original_name = clean_original_name(file.name or "")
    extension = PurePath(original_name).suffix.lower().lstrip(".")
    file_type = ALLOWED_TYPES.get(extension)
    if file_type is None:
        shown = f"'.{extension}'" if extension else "without an extension"
        raise BadRequest(f"File type {shown} is not allowed. Allowed: {ALLOWED_EXTENSIONS_TEXT}")
    if file.size is None or file.size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(FILE_TOO_LARGE)
    if file.size == 0:
        raise BadRequest("File is empty")

    file.seek(0)
    head = file.read(MAGIC_HEAD_BYTES)
    file.seek(0)
    mime = magic.from_buffer(head, mime=True)
    if mime not in file_type.mimes:
        raise BadRequest(f"File content ({mime}) does not match the .{extension} extension")
    if file_type.kind in ("image", "audio") and _contains_markup(file):
        raise BadRequest("File contains HTML or script markup")
    return CheckedFile(extension=extension, kind=file_type.kind, mime=mime, original_name=original_name, size=file.size)


def _contains_markup(file: UploadedFile) -> bool:
    file.seek(0)
    tail = b""
    try:
        for chunk in file.chunks():
            # Keep a few bytes of the previous chunk so a marker split across chunks is still seen.
            window = tail + chunk
            if _MARKUP.search(window):
                return True
            tail = window[-16:]
        return False
    finally:
        file.seek(0)


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts bytes as the multipart body streams in and stops at the limit.

    Placed before Django's own handlers, so an oversize file is refused after at most 4 MB has been
    read, even when the client sent no (or a false) Content-Length.
    """

    def handle_raw_input(self, input_data, meta, content_length, boundary, encoding=None) -> None:
        if content_length and content_length > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
            raise FileTooLarge(FILE_TOO_LARGE)

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > MAX_UPLOAD_BYTES:
            raise FileTooLarge(FILE_TOO_LARGE)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers build the file


class UploadMultiPartParser(MultiPartParser):
    """DRF's multipart parser with the size-limiting handler in front of the request's handlers."""

    def parse(self, stream, media_type=None, parser_context=None) -> DataAndFiles:
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        # The size limit needs no request (Django's handlers take one only to keep it).
        handlers = [SizeLimitUploadHandler(), *request.upload_handlers]
        encoding = parser_context.get("encoding") or "utf-8"
        try:
            data, files = DjangoMultiPartParser(meta, stream, handlers, encoding).parse()
        except MultiPartParserError as error:
            raise ParseError(f"Multipart form parse error - {error}") from None
        return DataAndFiles(data, files)
