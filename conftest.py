"""Shared fixtures: users, authenticated API clients, a clean cache for every test."""

import itertools

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue

DEFAULT_PASSWORD = "secret123"
_counter = itertools.count(1)


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
