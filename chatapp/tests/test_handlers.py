"""The ASGI application serves HTTP through the whole middleware chain, one worker thread a request."""

import asyncio
import json
import threading

import pytest

from chatapp.asgi import application
from chatapp.handlers import OneHopASGIHandler

# The handler's worker threads use their own database connections: data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 300 + b"\n%%EOF\n"


async def call(method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request to the ASGI application, as an ASGI server makes it (body sent in two parts)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path.partition("?")[0], "raw_path": path.partition("?")[0].encode(), "root_path": "",
        "query_string": path.partition("?")[2].encode(), "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "headers": [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }  # fmt: skip
    if body:
        scope["headers"].append((b"content-length", str(len(body)).encode()))
    half = len(body) // 2
    incoming = [
        {"type": "http.request", "body": body[:half], "more_body": True},
        {"type": "http.request", "body": body[half:], "more_body": False},
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays connected

    async def send(message: dict) -> None:
        sent.append(message)

    await application(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


def multipart(field: str, filename: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "chatappboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


async def test_a_session_over_asgi_posts_bodies_and_streams_files_back():
    register = json.dumps({"username": "asgi_user", "email": "asgi@example.com", "password": "s3cret-passw0rd"})
    status, headers, body = await call(
        "POST", "/api/v1/auth/register", body=register.encode(),
        headers={"Content-Type": "application/json", "X-Request-ID": "req-asgi-1"},
    )  # fmt: skip
    assert status == 201, body
    assert headers["x-request-id"] == "req-asgi-1"
    token = json.loads(body)["token"]
    auth = {"Authorization": f"Bearer {token}"}

    status, _, body = await call("GET", "/api/v1/auth/me", headers=auth)
    assert (status, json.loads(body)["username"]) == (200, "asgi_user")

    upload_body, content_type = multipart("file", "notes.pdf", PDF, "application/pdf")
    status, _, body = await call(
        "POST", "/api/v1/upload", body=upload_body, headers={**auth, "Content-Type": content_type}
    )
    assert status == 201, body
    file_url = json.loads(body)["url"]

    # A FileResponse is streamed in chunks after the view returned; every byte arrives.
    status, headers, body = await call("GET", file_url, headers=auth)
    assert status == 200
    assert body == PDF
    assert headers["content-length"] == str(len(PDF))


async def test_errors_keep_their_json_shape_and_requests_run_side_by_side():
    status, headers, body = await call("GET", "/api/v1/no/such/endpoint")
    assert status == 404
    assert headers["content-type"].startswith("application/json")
    assert "error" in json.loads(body)

    results = await asyncio.gather(*(call("GET", "/health") for _ in range(40)))
    assert [status for status, _, _ in results] == [200] * 40
    assert len({headers["x-request-id"] for _, headers, _ in results}) == 40


async def test_the_view_and_every_middleware_run_in_one_worker_thread(monkeypatch):
    from chatapp import middleware

    seen: list[str] = []
    original = middleware.RequestIdMiddleware.__call__

    def spy(self, request):
        seen.append(threading.current_thread().name)
        response = original(self, request)
        seen.append(threading.current_thread().name)
        return response

    monkeypatch.setattr(middleware.RequestIdMiddleware, "__call__", spy)
    handler = OneHopASGIHandler()  # built after the spy, like a server process at start
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/health", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8080)}  # fmt: skip
    await handler(scope, receive, send)
    assert sent[0]["status"] == 200
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].startswith("http"), seen


async def send_body(path: str, chunks: list[bytes], headers: dict) -> tuple[int, dict, int]:
    """A request whose body comes in `chunks`: the status, the JSON answer, and chunks read."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        "headers": [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    incoming = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    incoming.append({"type": "http.request", "body": b"", "more_body": False})
    read = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal read
        read += 1
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    await application(scope, receive, send)
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:])), read


async def test_a_body_announced_past_the_limit_is_413_before_any_of_it_is_read():
    status, answer, read = await send_body("/health", [b"x" * 65536] * 10, {"content-length": "300000000"})
    assert (status, answer, read) == (413, {"error": "Request body too large"}, 0)


async def test_a_body_without_a_length_is_413_once_it_grows_past_the_limit():
    status, answer, read = await send_body("/api/v1/auth/login", [b" " * 1024] * 200, {})
    assert (status, answer) == (413, {"error": "Request body too large"})
    assert read == 65  # 64 KB accepted, the next kilobyte refused, the other 135 never read


async def test_an_upload_past_4_mb_is_413_before_authentication():
    status, answer, read = await send_body(
        "/api/v1/upload", [b"x" * 65536] * 80, {"content-type": "multipart/form-data; boundary=b"}
    )
    assert (status, answer) == (413, {"error": "File too large. Maximum size is 4 MB"})
    assert read == 66


async def test_a_multipart_body_to_a_json_endpoint_is_415_unread():
    status, answer, read = await send_body(
        "/api/v1/auth/login", [b"x" * 1024], {"content-type": "multipart/form-data; boundary=b"}
    )
    assert (status, answer, read) == (415, {"error": "Unsupported content type"}, 0)


class TestClientGoneAway:
    """A client that disconnects is answered no further, and its request still ends (request_finished)."""

    @staticmethod
    def scope(path: str) -> dict:
        return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1),
                "server": ("127.0.0.1", 8080)}  # fmt: skip

    @pytest.mark.urls("chatapp.tests.failing_urls")
    async def test_a_client_leaving_during_a_slow_view_gets_nothing_and_the_request_still_ends(self):
        from django.core.signals import request_finished

        from chatapp.tests import failing_urls

        finished = threading.Event()

        def on_finished(**kwargs) -> None:
            finished.set()

        request_finished.connect(on_finished)
        gone = asyncio.Event()
        incoming = [{"type": "http.request", "body": b"", "more_body": False}]
        sent: list[dict] = []

        async def receive() -> dict:
            if incoming:
                return incoming.pop(0)
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        failing_urls.slow_view_entered.clear()
        failing_urls.slow_view_release.clear()
        try:
            serving = asyncio.ensure_future(application(self.scope("/api/v1/slow"), receive, send))
            assert await asyncio.to_thread(failing_urls.slow_view_entered.wait, 10)
            gone.set()
            # The handler returns while the view is still running in its thread.
            await asyncio.wait_for(serving, 10)
            assert not finished.is_set()
            failing_urls.slow_view_release.set()
            assert await asyncio.to_thread(finished.wait, 10)
            assert sent == []
        finally:
            failing_urls.slow_view_release.set()
            request_finished.disconnect(on_finished)

    async def test_a_client_leaving_during_a_download_stops_the_file_being_read(self, tmp_path, settings):
        settings.MEDIA_ROOT = tmp_path
        register = json.dumps({"username": "leaver", "email": "leaver@example.com", "password": "s3cret-passw0rd"})
        _, _, body = await call("POST", "/api/v1/auth/register", body=register.encode(),
                                headers={"Content-Type": "application/json"})  # fmt: skip
        auth = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        big = b"%PDF-1.4\n" + bytes(range(256)) * 16000 + b"\n%%EOF\n"  # ~4 MB: many chunks
        upload_body, content_type = multipart("file", "big.pdf", big, "application/pdf")
        _, _, body = await call("POST", "/api/v1/upload", body=upload_body,
                                headers={**auth, "Content-Type": content_type})  # fmt: skip
        url = json.loads(body)["url"]

        scope = self.scope(url)
        scope["headers"] = [(b"host", b"127.0.0.1"), (b"authorization", auth["Authorization"].encode())]
        incoming = [{"type": "http.request", "body": b"", "more_body": False}]
        gone = asyncio.Event()
        sent: list[dict] = []

        async def receive() -> dict:
            if incoming:
                return incoming.pop(0)
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body":
                gone.set()  # the client leaves after the first chunk
                await asyncio.sleep(0)

        await asyncio.wait_for(application(scope, receive, send), 10)
        assert sent[0]["status"] == 200
        received = sum(len(m.get("body", b"")) for m in sent[1:])
        assert 0 < received < len(big) // 2
