import io
import os

import pytest
from django.conf import settings
from PIL import Image

from uploads.models import Upload
from uploads.tests import samples
from uploads.validation import MAX_UPLOAD_BYTES

pytestmark = pytest.mark.django_db

ALLOWED_SAMPLES = {
    "photo.jpg": (samples.image_bytes("JPEG"), "image/jpeg", "image"),
    "photo.jpeg": (samples.image_bytes("JPEG"), "image/jpeg", "image"),
    "pic.png": (samples.image_bytes("PNG"), "image/png", "image"),
    "anim.gif": (samples.image_bytes("GIF"), "image/gif", "image"),
    "pic.webp": (samples.image_bytes("WEBP"), "image/webp", "image"),
    "doc.pdf": (samples.pdf_bytes(), "application/pdf", "file"),
    "notes.txt": (b"hello world\nsecond line\n", "text/plain", "file"),
    "table.csv": (b"name,age\nalice,30\nbob,25\n", "text/csv", "file"),
    "archive.zip": (samples.zip_bytes(), "application/zip", "file"),
    "letter.docx": (
        samples.docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "file",
    ),
    "sheet.xlsx": (samples.xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "file"),
    "song.mp3": (samples.mp3_bytes(), "audio/mpeg", "audio"),
    "voice.ogg": (samples.ogg_bytes(), "audio/ogg", "audio"),
    "beep.wav": (samples.wav_bytes(), "audio/x-wav", "audio"),
    "clip.webm": (samples.webm_bytes(), "video/webm", "audio"),
    "memo.m4a": (samples.m4a_bytes(), "audio/x-m4a", "audio"),
}


def stored_path(url: str):
    return settings.MEDIA_ROOT / url.removeprefix(settings.MEDIA_URL)


class TestAllowedTypes:
    @pytest.mark.parametrize("name", list(ALLOWED_SAMPLES))
    def test_every_allowed_type_is_accepted_and_stored_under_a_random_name(self, upload_file, user, name):
        content, mime, kind = ALLOWED_SAMPLES[name]
        response = upload_file(user, name, content)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["file_name"] == name
        assert body["mime"] == mime
        assert body["is_image"] is (kind == "image")
        assert body["is_audio"] is (kind == "audio")
        assert body["uploaded_by"] == str(user.id)
        assert body["url"].startswith("/media/uploads/")
        stored = os.path.basename(body["url"])
        stem = stored.rsplit(".", 1)[0]
        assert len(stem) == 32 and int(stem, 16) >= 0  # 128 random bits, not the client's name
        assert stored_path(body["url"]).is_file()
        upload = Upload.objects.get()
        assert (upload.owner, upload.kind, upload.mime, upload.original_name) == (user, kind, mime, name)
        assert upload.size == body["file_size"] == stored_path(body["url"]).stat().st_size
        if kind == "image":
            assert (body["width"], body["height"]) == (40, 30)
            assert stored_path(body["thumbnail_url"]).is_file()
        else:
            assert {"width", "height", "thumbnail_url"}.isdisjoint(body)
            assert stored_path(body["url"]).read_bytes() == content

    def test_client_path_in_the_name_is_not_used_as_a_path(self, upload_file, user):
        response = upload_file(user, "../../etc/passwd.txt", b"just text\n")
        assert response.status_code == 201
        body = response.json()
        assert body["file_name"] == "passwd.txt"
        assert stored_path(body["url"]).parent == settings.MEDIA_ROOT / "uploads"

    def test_upload_needs_authentication(self, api_client):
        response = api_client.post("/api/v1/upload", {"file": io.BytesIO(b"x")}, format="multipart")
        assert response.status_code == 401
        assert response.json() == {"error": "Authorization header is required"}


class TestRefusals:
    @pytest.mark.parametrize(
        "name,content,expected",
        [
            ("report.jpg", samples.pdf_bytes(), "File content (application/pdf) does not match the .jpg extension"),
            ("page.txt", samples.HTML, "File content (text/html) does not match the .txt extension"),
            ("drawing.png", samples.SVG, "File content (image/svg+xml) does not match the .png extension"),
            ("cat.png", samples.ELF, "File content (application/x-executable) does not match the .png extension"),
            (
                "cat.png",
                samples.MZ,
                "File content (application/vnd.microsoft.portable-executable) does not match the .png extension",
            ),
            ("readme.txt", samples.SHELL_SCRIPT, "File content (text/x-shellscript) does not match the .txt extension"),
            ("song.mp3", samples.wav_bytes(), "File content (audio/x-wav) does not match the .mp3 extension"),
            ("letter.docx", samples.zip_bytes(), "File content (application/zip) does not match the .docx extension"),
        ],
    )
    def test_content_that_is_not_what_the_extension_says_is_400(self, upload_file, user, name, content, expected):
        response = upload_file(user, name, content)
        assert response.status_code == 400
        assert response.json() == {"error": expected}
        assert not Upload.objects.exists()

    @pytest.mark.parametrize("name", ["drawing.svg", "page.html", "tool.exe", "run.sh", "script.js", "noextension"])
    def test_extension_not_on_the_list_is_400(self, upload_file, user, name):
        response = upload_file(user, name, b"whatever\n")
        assert response.status_code == 400
        assert response.json()["error"].startswith("File type ")
        assert "is not allowed. Allowed: .jpg, .jpeg, .png" in response.json()["error"]

    def test_gif_carrying_an_html_page_is_400(self, upload_file, user):
        response = upload_file(user, "funny.gif", samples.gif_html_polyglot())
        assert response.status_code == 400
        assert response.json() == {"error": "File contains HTML or script markup"}

    def test_decompression_bomb_is_400(self, upload_file, user):
        response = upload_file(user, "huge.png", samples.png_bomb_bytes())
        assert response.status_code == 400
        assert response.json() == {
            "error": "Image has too many pixels: width x height x frames may be at most 25,000,000"
        }

    def test_truncated_image_is_400(self, upload_file, user):
        response = upload_file(user, "broken.png", samples.image_bytes("PNG", (200, 200))[:120])
        assert response.status_code == 400
        assert response.json() == {"error": "Image could not be decoded"}

    def test_no_file_is_400(self, api_client_for, user):
        response = api_client_for(user).post("/api/v1/upload", {}, format="multipart")
        assert response.status_code == 400
        assert response.json()["error"] == "file: No file was submitted."

    def test_empty_file_is_400(self, upload_file, user):
        response = upload_file(user, "empty.txt", b"")
        assert response.status_code == 400
        assert "error" in response.json()

    def test_json_body_is_415(self, api_client_for, user):
        response = api_client_for(user).post("/api/v1/upload", {"file": "x"}, format="json")
        assert response.status_code == 415
        assert response.json() == {"error": "Unsupported content type"}

    def test_file_over_4_mb_is_413(self, upload_file, user):
        response = upload_file(user, "big.txt", b"a" * (MAX_UPLOAD_BYTES + 1))
        assert response.status_code == 413
        assert response.json() == {"error": "File too large. Maximum size is 4 MB"}
        assert not Upload.objects.exists()
        assert not list(settings.MEDIA_ROOT.rglob("*.txt"))

    def test_file_of_exactly_4_mb_is_accepted(self, upload_file, user):
        response = upload_file(user, "big.txt", b"a" * MAX_UPLOAD_BYTES)
        assert response.status_code == 201
        assert response.json()["file_size"] == MAX_UPLOAD_BYTES

    def test_announced_oversize_body_is_413_before_it_is_read(self, api_client_for, user):
        class Unreadable(io.BytesIO):
            def read(self, *args):
                raise AssertionError("the body must not be read")

        client = api_client_for(user)
        response = client.generic(
            "POST",
            "/api/v1/upload",
            b"",
            content_type="multipart/form-data; boundary=xyz",
            CONTENT_LENGTH=str(50 * 1024 * 1024),
            **{"wsgi.input": Unreadable()},
        )
        assert response.status_code == 413
        assert response.json() == {"error": "File too large. Maximum size is 4 MB"}

    def test_oversize_file_under_a_false_content_length_is_stopped_while_streaming(self, user):
        from django.test import RequestFactory
        from rest_framework.request import Request

        from uploads.validation import FileTooLarge, UploadMultiPartParser

        boundary = "BoUnDaRy"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            ).encode()
            + b"a" * (MAX_UPLOAD_BYTES + 10)
            + f"\r\n--{boundary}--\r\n".encode()
        )
        django_request = RequestFactory().generic(
            "POST", "/api/v1/upload", body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        django_request.META["CONTENT_LENGTH"] = str(len(body))  # honest here; the handler counts regardless
        request = Request(django_request, parsers=[UploadMultiPartParser()])
        with pytest.raises(FileTooLarge):
            request.data  # noqa: B018


class TestImages:
    def test_exif_and_gps_are_gone_and_orientation_is_applied(self, upload_file, user):
        original = samples.jpeg_with_gps_exif(size=(60, 40), orientation=6)
        with Image.open(io.BytesIO(original)) as before:
            assert before.getexif().get(0x8825)  # the sample really carries GPS
        response = upload_file(user, "holiday.jpg", original)
        assert response.status_code == 201
        body = response.json()
        assert (body["width"], body["height"]) == (40, 60)  # rotated upright
        stored = stored_path(body["url"]).read_bytes()
        assert b"Exif" not in stored and b"SpyCam" not in stored
        with Image.open(io.BytesIO(stored)) as after:
            assert dict(after.getexif()) == {}
            assert after.size == (40, 60)

    def test_gif_comment_is_dropped(self, upload_file, user):
        image = Image.new("P", (8, 8), 0)
        buffer = io.BytesIO()
        image.save(buffer, format="GIF", comment=b"secret location 52.3N 4.9E")
        response = upload_file(user, "dot.gif", buffer.getvalue())
        assert response.status_code == 201
        assert b"secret location" not in stored_path(response.json()["url"]).read_bytes()

    def test_thumbnail_fits_in_320_px_and_keeps_the_aspect(self, upload_file, user):
        response = upload_file(user, "wide.png", samples.image_bytes("PNG", (1000, 500)))
        assert response.status_code == 201
        body = response.json()
        assert (body["width"], body["height"]) == (1000, 500)
        with Image.open(stored_path(body["thumbnail_url"])) as thumb:
            assert thumb.size == (320, 160)

    def test_animated_gif_keeps_its_frames(self, upload_file, user):
        frames = [Image.new("RGB", (10, 10), color) for color in ("red", "green", "blue")]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
        response = upload_file(user, "anim.gif", buffer.getvalue())
        assert response.status_code == 201
        with Image.open(stored_path(response.json()["url"])) as stored:
            assert stored.n_frames == 3
        with Image.open(stored_path(response.json()["thumbnail_url"])) as thumb:
            assert thumb.convert("RGB").getpixel((0, 0)) == (255, 0, 0)  # the first frame

    def test_animated_webp_keeps_its_frames(self, upload_file, user):
        frames = [Image.new("RGB", (10, 10), color) for color in ("red", "green")]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
        response = upload_file(user, "anim.webp", buffer.getvalue())
        assert response.status_code == 201
        with Image.open(stored_path(response.json()["url"])) as stored:
            assert stored.n_frames == 2


class TestServing:
    def test_image_is_served_inline_with_nosniff_and_csp(self, upload_file, user, client):
        url = upload_file(user, "pic.png", samples.image_bytes("PNG")).json()["url"]
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Content-Disposition"].startswith("inline")
        assert b"".join(response.streaming_content) == stored_path(url).read_bytes()

    def test_thumbnail_is_served_too(self, upload_file, user, client):
        url = upload_file(user, "pic.png", samples.image_bytes("PNG")).json()["thumbnail_url"]
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"

    def test_audio_is_inline(self, upload_file, user, client):
        url = upload_file(user, "beep.wav", samples.wav_bytes()).json()["url"]
        response = client.get(url)
        assert response["Content-Type"] == "audio/x-wav"
        assert response["Content-Disposition"].startswith("inline")

    @pytest.mark.parametrize(
        "name,content",
        [("doc.pdf", samples.pdf_bytes()), ("notes.txt", b"plain\n"), ("archive.zip", samples.zip_bytes())],
    )
    def test_other_files_are_downloads(self, upload_file, user, client, name, content):
        url = upload_file(user, name, content).json()["url"]
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert name in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]

    @pytest.mark.parametrize(
        "path",
        [
            "/media/uploads/0123456789abcdef0123456789abcdef.png",
            "/media/../settings.py",
            "/media/uploads/../../chatapp/settings.py",
            "/media/%2e%2e/%2e%2e/etc/passwd",
            "/media/..%5c..%5cetc%5cpasswd",
        ],
    )
    def test_unknown_and_traversing_paths_are_404(self, client, path):
        assert client.get(path).status_code == 404

    def test_file_missing_from_disk_is_404_not_500(self, upload_file, user, client):
        url = upload_file(user, "notes.txt", b"x\n").json()["url"]
        stored_path(url).unlink()
        assert client.get(url).status_code == 404

    @pytest.mark.parametrize(
        ("range_header", "status", "expected"),
        [
            ("bytes=0-9", 206, slice(0, 10)),
            ("bytes=10-", 206, slice(10, None)),
            ("bytes=-4", 206, slice(-4, None)),
            ("bytes=5-999999", 206, slice(5, None)),
            ("bytes=999999-", 416, None),
            ("bytes=0-1,4-5", 200, slice(None)),  # several ranges: the whole file
            ("pages=1-2", 200, slice(None)),
            ("bytes=9-3", 200, slice(None)),
            # Numbers past Python's 4,300-digit int() limit: a start beyond the file, an end or a
            # suffix larger than it, and a start padded with zeros.
            pytest.param(f"bytes={'9' * 5000}-", 416, None, id="start-of-5000-digits"),
            pytest.param(f"bytes=0-{'9' * 5000}", 206, slice(0, None), id="end-of-5000-digits"),
            pytest.param(f"bytes=-{'9' * 5000}", 206, slice(0, None), id="suffix-of-5000-digits"),
            pytest.param(f"bytes={'0' * 5000}5-9", 206, slice(5, 10), id="start-padded-to-5000-digits"),
        ],
    )
    def test_audio_can_be_fetched_by_byte_range_for_seeking(
        self, upload_file, user, client, range_header, status, expected
    ):
        content = ALLOWED_SAMPLES["song.mp3"][0]
        url = upload_file(user, "song.mp3", content).json()["url"]
        response = client.get(url, HTTP_RANGE=range_header)
        assert response.status_code == status
        assert response["Accept-Ranges"] == "bytes"
        if status == 416:
            assert response["Content-Range"] == f"bytes */{len(content)}"
            return
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body == content[expected]
        if status == 206:
            first = expected.start % len(content)
            assert response["Content-Range"] == f"bytes {first}-{first + len(body) - 1}/{len(content)}"
            assert response["Content-Type"] == "audio/mpeg"
            assert response["X-Content-Type-Options"] == "nosniff"

    def test_a_range_of_a_download_stays_a_download(self, upload_file, user, client):
        url = upload_file(user, "notes.txt", b"hello world\n").json()["url"]
        response = client.get(url, HTTP_RANGE="bytes=0-4")
        assert (response.status_code, response.content) == (206, b"hello")
        assert response["Content-Disposition"].startswith("attachment")
        assert "sandbox" in response["Content-Security-Policy"]

    def test_post_to_media_is_405(self, upload_file, user, client):
        url = upload_file(user, "notes.txt", b"x\n").json()["url"]
        assert client.post(url).status_code == 405
