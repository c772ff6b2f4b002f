"""Malformed requests are answered 4xx `{"error": ...}`, never a 500 with an ERROR traceback."""

import json

import pytest

pytestmark = pytest.mark.django_db

MANY_PARAMS = "&".join(f"p{i}=1" for i in range(1100))


def error_lines(json_log_lines) -> list[dict]:
    lines = [json.loads(line) for line in json_log_lines.getvalue().splitlines() if line]
    return [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]


def assert_refused(response, status: int, json_log_lines) -> None:
    assert response.status_code == status, response.content[:300]
    assert set(response.json()) == {"error"}
    assert error_lines(json_log_lines) == []


def test_json_nested_100000_deep_is_400(api_client_for, user, json_log_lines):
    response = api_client_for(user).generic("PATCH", "/api/v1/auth/me", "[" * 100_000, content_type="application/json")
    assert_refused(response, 400, json_log_lines)


def test_json_nested_100000_deep_is_400_without_a_token(api_client, json_log_lines):
    response = api_client.generic("POST", "/api/v1/auth/login", "[" * 100_000, content_type="application/json")
    assert_refused(response, 400, json_log_lines)


def test_a_6_mb_json_body_is_413(api_client_for, user, json_log_lines):
    body = json.dumps({"content": "x" * (6 * 1024 * 1024)})
    response = api_client_for(user).generic("POST", "/api/v1/auth/login", body, content_type="application/json")
    assert_refused(response, 413, json_log_lines)


def test_2002_form_fields_are_400(api_client, json_log_lines):
    body = "&".join(f"f{i}=1" for i in range(2002))
    response = api_client.generic("POST", "/api/v1/auth/login", body, content_type="application/x-www-form-urlencoded")
    assert_refused(response, 400, json_log_lines)


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/rooms", "/api/v1/users/search"])
def test_1100_query_parameters_are_400(api_client_for, user, json_log_lines, path):
    response = api_client_for(user).get(f"{path}?q=al&{MANY_PARAMS}")
    assert_refused(response, 400, json_log_lines)
