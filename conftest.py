"""Shared fixtures: users, authenticated API clients, a clean cache for every test."""

import itertools

import pytest
from django.core.cache import cache
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue

DEFAULT_PASSWORD = "secret123"
_counter = itertools.count(1)


def _install_fulltext(sender, using, **kwargs) -> None:
    # Tests build tables from the models (--no-migrations), so the search index that a migration
    # adds beside them (messaging.fulltext) is made here. A flush between transactional tests sends
    # this signal again; `install` only creates what is missing.
    if sender.label == "messaging":
        from django.db import connections

        from messaging import fulltext

        fulltext.install(connections[using])


post_migrate.connect(_install_fulltext, dispatch_uid="chatapp-tests-install-fulltext")


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Argon2 at production cost takes ~100 ms per hash; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # rate-limit counters live in the cache (Redis)
    yield
    cache.clear()


@pytest.fixture
def json_log_lines():
    """Everything logged during the test, formatted exactly as the server's stdout handler does."""
    import io
    import logging

    from chatapp.logging import JsonFormatter, RedactSecretsFilter, RequestContextFilter

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)


@pytest.fixture
def make_user(db):
    def make(
        username: str | None = None, *, email: str | None = None, password: str = DEFAULT_PASSWORD, **extra
    ) -> User:
        name = username or f"user{next(_counter)}"
        return User.objects.create_user(name, email or f"{name.lower()}@example.com", password, **extra)

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user("alice")


@pytest.fixture
def other_user(make_user) -> User:
    return make_user("bob")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_client_for():
    def make(user: User, token: str | None = None) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token or token_issue(user)}")
        client.user = user
        return client

    return make


# --- Rooms, messages, events ------------------------------------------------------------------


@pytest.fixture
def make_room(db):
    """A room made directly in the database: `creator` is its admin; `members`/`admins` join it."""
    from rooms.models import Room, RoomMember

    def make(creator: User, *, name: str | None = None, type: str = "public", members=(), admins=(), **extra) -> Room:
        room = Room.objects.create(name=name or f"room{next(_counter)}", type=type, created_by=creator, **extra)
        RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.ADMIN)
        for member in members:
            RoomMember.objects.create(room=room, user=member, role=RoomMember.Role.MEMBER)
        for admin in admins:
            RoomMember.objects.create(room=room, user=admin, role=RoomMember.Role.ADMIN)
        return room

    return make


@pytest.fixture
def room(make_room, user):
    """A public room created by `user` (alice), who is its admin."""
    return make_room(user, name="General")


@pytest.fixture
def make_message(db):
    from messaging.models import Message

    def make(room, sender: User, content: str = "hello", **extra) -> Message:
        return Message.objects.create(room=room, sender=sender, content=content, **extra)

    return make


class _GroupListener:
    """One channel in one group, driven on the test's listener loop (the layer's receive buffers
    are bound to the loop that created them, and it refuses receives from two loops at once, so
    every listener of a test shares one loop)."""

    def __init__(self, layer, group: str, loop) -> None:
        import asyncio

        self.layer, self.group = layer, group
        self.loop = loop
        self.channel = self.loop.run_until_complete(layer.new_channel())
        self.loop.run_until_complete(layer.group_add(group, self.channel))
        self.pending: asyncio.Future | None = None

    def events(self, quiet: float = 0.2, first: float = 2.0) -> list[dict]:
        """Every event that reached the group since the last call, decoded, as {"type", "payload"}.

        Waits up to `first` seconds for the first event (publishes run after commit, from another
        thread: on a loaded machine they took longer than a short window), then until `quiet`
        seconds pass without another. Saying "nothing arrived" therefore takes `first` seconds.
        """
        import asyncio
        import json

        async def collect() -> list[dict]:
            received = []
            while True:
                # One receive stays pending across calls and is never cancelled mid-way: cancelling
                # channels-redis' receive (as wait_for does on timeout) can be swallowed inside it,
                # and wait_for then waits for a message that never comes (a test hung that way).
                if self.pending is None:
                    self.pending = asyncio.ensure_future(self.layer.receive(self.channel))
                done, _ = await asyncio.wait({self.pending}, timeout=quiet if received else first)
                if not done:
                    return received
                message, self.pending = self.pending.result(), None
                event = json.loads(message["text"])
                assert message["type"] == "relay" and message["event"] == event["type"]
                received.append(event)

        return self.loop.run_until_complete(collect())

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]

    def close(self) -> None:
        import asyncio

        if self.pending is not None:
            self.pending.cancel()
            self.loop.run_until_complete(asyncio.wait({self.pending}, timeout=5))
            self.pending = None
        self.loop.run_until_complete(self.layer.group_discard(self.group, self.channel))


@pytest.fixture
def published_events():
    """`listen(group)` subscribes to a group on the real channel layer; `.events()` lists what arrived.

    Publishes run on commit: wrap the action in `django_capture_on_commit_callbacks(execute=True)`
    (or use a transactional test).
    """
    import asyncio

    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    loop = asyncio.new_event_loop()
    listeners: list[_GroupListener] = []

    def listen(group: str) -> _GroupListener:
        listener = _GroupListener(layer, group, loop)
        listeners.append(listener)
        return listener

    yield listen
    for listener in listeners:
        listener.close()
    loop.close()


@pytest.fixture
def make_upload(settings, tmp_path):
    """Stores a real small file through the uploads service (media in a temporary folder)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from uploads.services import upload_create
    from uploads.tests.samples import image_bytes

    settings.MEDIA_ROOT = tmp_path / "media"

    def make(owner: User, kind: str = "image"):
        if kind == "image":
            file = SimpleUploadedFile("photo.png", image_bytes("PNG"), content_type="image/png")
        else:
            body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
            file = SimpleUploadedFile("notes.pdf", body, content_type="application/pdf")
        return upload_create(owner=owner, file=file)

    return make
