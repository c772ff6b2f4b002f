"""Frames the WebSocket fuzzer found mishandled, kept as plain regression tests."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "frame", ["[" * 5000 + "]" * 5000, '{"type": "ping", "payload": ' + '{"a": ' * 5000 + "1" + "}" * 5001]
)
async def test_deeply_nested_json_is_an_invalid_frame_not_a_crash(ws_connect, user, frame):
    # json.loads raises RecursionError (not ValueError) past the interpreter's depth limit; the
    # consumer used to let it escape and the socket closed with 1011.
    client = await ws_connect(user)
    await client.send_raw(frame)
    assert (await client.receive_type("error"))["payload"] == {"error": "Invalid message format"}
    await client.send("ping")
    assert (await client.receive_type("pong"))["type"] == "pong"
