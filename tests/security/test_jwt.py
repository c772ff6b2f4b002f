"""Every forged, stale or orphaned token is refused on REST (401) and on the WebSocket (4401).

One table of attacks; each is tried with the Authorization header on REST, the Authorization header
on the WebSocket handshake, and the browser's first-message `auth` frame.
"""

import base64
import json
import time
from collections.abc import Callable

import jwt
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import token_revoke, user_change_password
from accounts.tokens import _uuid7_hex, token_issue, token_verify

INVALID = "Invalid or expired token"
REVOKED = "Token has been revoked. Please log in again."


def claims(user: User, **overrides) -> dict:
    now = int(time.time())
    return {
        "token_type": "access",
        "user_id": str(user.id),
        "username": user.username,
        "jti": _uuid7_hex(),
        "iat": now,
        "exp": now + 600,
        **overrides,
    }


def signed(user: User, *, key: str | None = None, headers: dict | None = None, **overrides) -> str:
    return jwt.encode(claims(user, **overrides), key or settings.JWT_SECRET, algorithm="HS256", headers=headers)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def alg_none(user: User) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(user))}."


def stripped_signature(user: User) -> str:
    header, payload, _signature = token_issue(user).split(".")
    return f"{header}.{payload}."


def another_key(user: User) -> str:
    return signed(user, key="a-different-key-" * 4)


def kid_header(user: User) -> str:
    return signed(user, headers={"kid": "../../../dev/null"})


def jku_header(user: User) -> str:
    return signed(user, headers={"jku": "https://evil.example/jwks.json"})


def jwk_header(user: User) -> str:
    key = base64.urlsafe_b64encode(settings.JWT_SECRET.encode()).rstrip(b"=").decode()
    return signed(user, headers={"jwk": {"kty": "oct", "k": key}})


def hs512(user: User) -> str:
    return jwt.encode(claims(user), settings.JWT_SECRET, algorithm="HS512")


def expired(user: User) -> str:
    now = int(time.time())
    return signed(user, iat=now - 3600, exp=now - 1)


def not_yet_valid(user: User) -> str:
    return signed(user, nbf=int(time.time()) + 3600)


def blacklisted(user: User) -> str:
    token = token_issue(user)
    token_revoke(token=token_verify(token))
    return token


def deleted_user(user: User) -> str:
    token = token_issue(user)
    user.delete()
    return token


def deactivated_user(user: User) -> str:
    token = token_issue(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    return token


def issued_before_password_change(user: User) -> str:
    token = token_issue(user)
    user_change_password(user=user, current_password="secret123", new_password="another-secret")
    return token


# Signed with the real key, so only the claims' types and ranges stand between them and a 500.
def jti_with_nul(user: User) -> str:
    return signed(user, jti="0190a1b2c3d4\x00e5f6")


def jti_not_a_string(user: User) -> str:
    return signed(user, jti={"nested": ["jti"]})


def jti_too_long(user: User) -> str:
    return signed(user, jti="f" * 5000)


def exp_as_a_string(user: User) -> str:
    return signed(user, exp=str(int(time.time()) + 600))


def exp_beyond_any_date(user: User) -> str:
    return signed(user, exp=1e308)


def exp_as_a_float(user: User) -> str:
    return signed(user, exp=time.time() + 600.5)


def exp_as_a_boolean(user: User) -> str:
    return signed(user, exp=True)


def iat_garbage(user: User) -> str:
    return signed(user, iat="yesterday")


def iat_beyond_any_date(user: User) -> str:
    return signed(user, iat=-1e308)


def user_id_not_a_uuid(user: User) -> str:
    return signed(user, user_id="1 OR 1=1")


def user_id_as_a_list(user: User) -> str:
    return signed(user, user_id=[str(user.id)])


def user_id_with_nul(user: User) -> str:
    return signed(user, user_id=f"{user.id}\x00")


ATTACKS: list[tuple[Callable[[User], str], str]] = [
    (alg_none, INVALID),
    (another_key, INVALID),
    (stripped_signature, INVALID),
    (kid_header, INVALID),
    (jku_header, INVALID),
    (jwk_header, INVALID),
    (hs512, INVALID),
    (expired, INVALID),
    (not_yet_valid, INVALID),
    (blacklisted, REVOKED),
    (deleted_user, INVALID),
    (deactivated_user, INVALID),
    (issued_before_password_change, REVOKED),
    (jti_with_nul, INVALID),
    (jti_not_a_string, INVALID),
    (jti_too_long, INVALID),
    (exp_as_a_string, INVALID),
    (exp_beyond_any_date, INVALID),
    (exp_as_a_float, INVALID),
    (exp_as_a_boolean, INVALID),
    (iat_garbage, INVALID),
    (iat_beyond_any_date, INVALID),
    (user_id_not_a_uuid, INVALID),
    (user_id_as_a_list, INVALID),
    (user_id_with_nul, INVALID),
]
IDS = [attack.__name__ for attack, _ in ATTACKS]


@database_sync_to_async
def forge(attack: Callable[[User], str], name: str) -> str:
    return attack(User.objects.create_user(name, f"{name}@example.com", "secret123"))


@pytest.mark.django_db
@pytest.mark.parametrize("attack,error", ATTACKS, ids=IDS)
def test_rest_refuses_with_401(attack, error):
    token = attack(User.objects.create_user("mallory", "mallory@example.com", "secret123"))
    response = APIClient().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json() == {"error": error}


# One transactional test walks the whole table (a transactional test per row costs a flush each).
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("ws_cleanup")
async def test_websocket_refuses_every_attack_with_4401_on_the_header_and_in_the_auth_frame(ws_connect):
    for number, (attack, error) in enumerate(ATTACKS):
        header = await ws_connect(token=await forge(attack, f"header{number}"), expect_ok=False)
        assert await header.receive() == {"type": "error", "payload": {"error": error}}, attack.__name__
        assert await header.receive_close() == 4401, attack.__name__

        frame = await ws_connect(expect_ok=False)
        assert await frame.receive() == {"type": "auth_required"}
        await frame.send("auth", {"token": await forge(attack, f"frame{number}")})
        assert await frame.receive() == {"type": "error", "payload": {"error": error}}, attack.__name__
        assert await frame.receive_close() == 4401, attack.__name__


@pytest.mark.django_db
def test_the_algorithm_list_is_pinned_to_hs256():
    assert settings.SIMPLE_JWT["ALGORITHM"] == "HS256"
    header = jwt.get_unverified_header(token_issue(User.objects.create_user("ok", "ok@example.com", "secret123")))
    assert header == {"alg": "HS256", "typ": "JWT"}
