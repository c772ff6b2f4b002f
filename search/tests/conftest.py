"""Messages written through the services (which keep SQLite's index in step), searched through the API.

These tests run twice in `make test`: on PostgreSQL with the rest of the suite, and on the embedded
SQLite (DATABASE_URL unset), whose FTS5 index is a second implementation of the same API.
"""

from datetime import datetime

import pytest

from accounts.models import User
from messaging.models import Message
from messaging.services import message_send


@pytest.fixture
def send():
    def send(room, sender: User, content: str = "", *, at: datetime | None = None, **extra) -> Message:
        message, _ = message_send(room_id=room.id, sender=sender, content=content, **extra)
        if at is not None:
            Message.objects.filter(pk=message.pk).update(created_at=at)
            message.refresh_from_db()
        return message

    return send


@pytest.fixture
def search(api_client_for):
    """`search(user, q, **params)`: the response body of GET /search (asserting a 200)."""

    def search(user: User, q: str, **params) -> dict:
        response = api_client_for(user).get("/api/v1/search", {"q": q, **params})
        assert response.status_code == 200, response.content
        return response.json()

    return search


@pytest.fixture
def contents(search):
    """`contents(user, q, **params)`: the content of each result, in order."""

    def contents(user: User, q: str, **params) -> list[str]:
        return [item["content"] for item in search(user, q, **params)["data"]]

    return contents
