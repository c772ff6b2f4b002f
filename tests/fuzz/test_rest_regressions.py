"""Requests the REST fuzzer found answered with a 5xx, kept as plain regression tests."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_request_without_remote_addr_is_not_a_server_error():
    # Daphne on a UNIX socket passes no client address; the rate limiter used to raise on it.
    response = Client(REMOTE_ADDR="").get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json() == {"error": "Authorization header is required"}


@pytest.mark.django_db
def test_user_search_with_a_nul_character_finds_nobody(api_client_for, user):
    # Found by schemathesis: q=%00 reached PostgreSQL, which refuses NUL in text (500).
    response = api_client_for(user).get("/api/v1/users/search", {"q": "al\x00ice"})
    assert response.status_code == 200
    assert response.json() == {"data": []}
