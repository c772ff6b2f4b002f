"""Hostile files: none is stored and then served inline as something a browser would run; no 500.

Each file is posted to /api/v1/upload. A refusal must be a JSON 4xx. Anything accepted must come
back from /media/ as a plain image/audio type (re-encoded for images) or as a download, always
with nosniff and the sandboxing CSP.
"""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from uploads.models import Upload
from uploads.tests.samples import ELF, HTML, MZ, SHELL_SCRIPT, SVG, gif_html_polyglot, image_bytes, pdf_bytes, zip_bytes

pytestmark = pytest.mark.django_db

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
GIF = image_bytes("GIF")


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height with (almost) no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def jpeg_with_comment(comment: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG", comment=comment)
    return buffer.getvalue()


HOSTILE = {
    "svg-with-script.svg": SVG,
    "svg-as-png.png": SVG,
    "svg-as-jpg.jpg": SVG,
    "html-as-png.png": HTML,
    "html-as-gif.gif": HTML,
    "html-as-jpg.jpg": HTML,
    "html-as-txt.txt": HTML,
    "html-as-pdf.pdf": HTML,
    "html-as-mp3.mp3": HTML,
    "page.html": HTML,
    "page.htm": HTML,
    "gif-html-polyglot.gif": gif_html_polyglot(),
    "png-then-html.png": PNG + HTML,
    "jpeg-then-script.jpg": JPEG + b"<script>alert(1)</script>",
    "jpeg-comment-script.jpg": jpeg_with_comment(b"<script>alert(1)</script>"),
    "pdf-named-png.png": pdf_bytes(),
    "zip-named-jpg.jpg": zip_bytes(),
    "png-named-pdf.pdf": PNG,
    "elf.png": ELF,
    "exe.exe": MZ,
    "exe-as-pdf.pdf": MZ,
    "exe-as-zip.zip": MZ,
    "script.sh": SHELL_SCRIPT,
    "script-as-txt-ok.txt": SHELL_SCRIPT,
    "50k-by-50k.png": png_header(50000, 50000),
    "1-by-2billion.png": png_header(1, 2_000_000_000),
    "truncated.png": PNG[: len(PNG) // 2],
    "truncated.jpg": JPEG[: len(JPEG) // 2],
    "truncated.gif": GIF[:20],
    "header-only.png": PNG[:8],
    "../../etc/passwd.png": PNG,
    "..%2F..%2Fsettings.png": PNG,
    "evil.php%00.png": PNG,
    "evil.png\x00.html": PNG,
    "C:\\windows\\evil.png": PNG,
    "x" * 1000 + ".png": PNG,
    "\u202egnp.exe": MZ,
    ".htaccess": b"AddType application/x-httpd-php .png\n",
    "no-extension": PNG,
    "double.png.html": HTML,
    "upper.PNG.SVG": SVG,
}
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@pytest.fixture
def client(api_client_for, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return api_client_for(user)


@pytest.mark.parametrize("name,content", list(HOSTILE.items()), ids=[name[:40] for name in HOSTILE])
def test_hostile_file_is_refused_or_served_harmlessly(client, name, content):
    response = client.post("/api/v1/upload", {"file": SimpleUploadedFile(name, content)}, format="multipart")
    assert response.status_code in (201, 400, 413), response.content
    if response.status_code != 201:
        assert isinstance(response.json()["error"], str)
        assert not Upload.objects.exists()
        return
    body = response.json()
    assert "/" not in body["file_name"] and "\\" not in body["file_name"] and "\x00" not in body["file_name"]
    served = client.get(body["url"].split("testserver")[-1])
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    content_type = served["Content-Type"]
    disposition = served.get("Content-Disposition", "")
    assert content_type in INLINE_TYPES or disposition.startswith("attachment"), (content_type, disposition)
    served_bytes = b"".join(served.streaming_content)
    if content_type in INLINE_TYPES:
        assert b"<script" not in served_bytes.lower() and b"<html" not in served_bytes.lower()


def test_at_least_thirty_hostile_files():
    assert len(HOSTILE) >= 30


def test_body_longer_than_its_content_length_is_not_read_past_it(client):
    """A lying Content-Length (smaller than the body): the parser reads only what was announced."""
    boundary = "xyz"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.generic(
        "POST", "/api/v1/upload", body, content_type=f"multipart/form-data; boundary={boundary}", CONTENT_LENGTH="100"
    )
    assert response.status_code == 400
    assert not Upload.objects.exists()


@pytest.mark.parametrize("length", ["-1", "abc", "99999999999999999999"])
def test_nonsense_content_length_is_a_4xx(client, length):
    response = client.generic(
        "POST", "/api/v1/upload", b"--x--\r\n", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=length
    )
    assert response.status_code in (400, 413)
