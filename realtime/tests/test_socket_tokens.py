"""A socket's token: malformed ones are refused with 4401, and a socket closes when its token expires."""

import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from accounts.tokens import ChatAccessToken

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def short_lived_token(lifetime: timedelta) -> tuple[str, int]:
    user = User.objects.create_user("alice", "alice@example.com", "secret123")
    token = ChatAccessToken.for_user(user)
    token.set_exp(lifetime=lifetime)
    return str(token), token["exp"]


async def test_a_socket_is_closed_with_4401_when_its_token_expires(ws_connect):
    token, expires = await short_lived_token(timedelta(seconds=2))
    client = await ws_connect(token=token)
    await client.send("ping")
    assert (await client.receive_type("pong"))["type"] == "pong"
    assert await client.receive_type("error", timeout=5) == {
        "type": "error",
        "payload": {"error": "Invalid or expired token"},
    }
    assert time.time() >= expires - 0.05, "not before the token's exp"
    assert await client.receive_close() == 4401


class TestMalformedTokens:
    async def test_a_lone_surrogate_in_the_auth_frame_gets_an_error_and_4401(self, ws_connect):
        client = await ws_connect()
        assert await client.receive() == {"type": "auth_required"}
        await client.send_raw('{"type": "auth", "payload": {"token": "a\\ud800b"}}')
        assert await client.receive() == {"type": "error", "payload": {"error": "Invalid or expired token"}}
        assert await client.receive_close() == 4401

    @pytest.mark.parametrize("token", [b"a\xedb", b"\xff" * 40, "eyJhbGciOiJIUzI1NiJ9.é.x".encode()])
    async def test_non_ascii_bytes_in_the_authorization_header_get_an_error_and_4401(self, ws_connect, token):
        client = await ws_connect(headers=[(b"authorization", b"Bearer " + token)], expect_ok=False)
        assert await client.receive() == {"type": "error", "payload": {"error": "Invalid or expired token"}}
        assert await client.receive_close() == 4401
