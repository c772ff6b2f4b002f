"""A socket's token: malformed ones are refused with 4401, and a socket closes when its token expires."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


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
