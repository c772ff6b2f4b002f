"""Web sites on loopback addresses of their own for link previews, admitted one by one, and the
jobs a message queues."""

import itertools
from collections.abc import Callable

import pytest
from django_tasks_db.models import DBTaskResult

from jobs.tests.worker import WorkerThread
from outbound.tests.servers import Answer, Received, RecordingServer
from previews import fetch

# WebSocket fixtures (an in-process socket registers presence in the real Redis).
from realtime.tests.conftest import (  # noqa: F401
    _close_database_thread_connections,
    _fresh_channel_layer,
    ws_connect,
)
from uploads.tests import samples

# 127.0.0.2, .3, ...: every site its own address, so an allow-listed network admits exactly one.
_octets = itertools.cycle(range(2, 250))


def page(
    *,
    title: str = "Lunch menu",
    description: str = "Soup of the day",
    site_name: str = "Canteen",
    image: str | None = "/card.png",
    extra_head: str = "",
) -> bytes:
    """An HTML page with OpenGraph tags (and a <title> that OpenGraph's wins over)."""
    image_tag = f'<meta property="og:image" content="{image}">' if image else ""
    return (
        "<!doctype html><html><head><title>Page title</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="og:description" content="{description}">'
        f'<meta property="og:site_name" content="{site_name}">{image_tag}{extra_head}'
        "</head><body><p>Hello</p></body></html>"
    ).encode()


def html(body: bytes, status: int = 200, content_type: str = "text/html; charset=utf-8", **options) -> Answer:
    return Answer(status, body, {"Content-Type": content_type}, **options)


def png(size: tuple[int, int] = (1200, 800)) -> Answer:
    return Answer(200, samples.image_bytes("PNG", size), {"Content-Type": "image/png"})


def routes(table: dict[str, Answer]) -> Callable[[Received], Answer]:
    """Answers by path (query included); 404 for anything else."""
    return lambda received: table.get(received.path, Answer(404, b"not found", {"Content-Type": "text/html"}))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sites(settings, monkeypatch):
    """`sites(answer)` starts a web server on 127.0.0.N that previews may reach: its address is in
    LINK_PREVIEW_ALLOWED_NETWORKS (`network=False`: not) and its port joins 80 and 443 (`port=False`:
    not; a test server cannot listen on port 80 without privileges). `sites(answer, host="127.0.0.1")`
    is a forbidden target on the address `localhost` resolves to."""
    started: list[RecordingServer] = []
    settings.LINK_PREVIEW_ALLOWED_NETWORKS = []

    def start(
        answer: Callable[[Received], Answer] | None = None, *, host: str | None = None, network=True, port=True
    ) -> RecordingServer:
        server = RecordingServer(answer, host=host or f"127.0.0.{next(_octets)}")
        started.append(server)
        if network and host is None:
            settings.LINK_PREVIEW_ALLOWED_NETWORKS = [*settings.LINK_PREVIEW_ALLOWED_NETWORKS, f"{server.host}/32"]
        if port:
            monkeypatch.setattr(fetch, "PORTS", fetch.PORTS | {server.port})
        return server

    yield start
    for server in started:
        server.stop()


def queued_previews() -> list[dict]:
    """The `link_preview` jobs waiting in the queue, oldest first: their arguments."""
    rows = DBTaskResult.objects.order_by("enqueued_at")
    return [row.args_kwargs["kwargs"]["kwargs"] for row in rows if row.args_kwargs["kwargs"]["name"] == "link_preview"]


@pytest.fixture
def run_previews():
    """Runs the queued `link_preview` jobs here and now, as the worker would (and empties the queue)."""
    from previews.jobs import link_preview

    def run() -> list[dict]:
        queued = queued_previews()
        DBTaskResult.objects.all().delete()
        for kwargs in queued:
            link_preview(**kwargs)
        return queued

    return run


@pytest.fixture
def jobs_worker():
    worker = WorkerThread().start()
    yield worker
    worker.stop()
