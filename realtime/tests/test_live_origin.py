"""A page served by a real `serve` process on a port other than 8080 may open its WebSocket, from
either name of the machine; other origins are still refused, and each refusal is logged."""

import asyncio
import json
import time

import pytest
import websockets

from realtime.tests.live_servers import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path):
    # The defaults of a fresh clone: ALLOWED_ORIGINS names port 8080 and 3000 only.
    started = start_server(tmp_path, ALLOWED_ORIGINS="http://localhost:8080,http://localhost:3000")
    assert started.port not in (8080, 3000)
    yield started
    started.kill()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
async def test_a_page_of_this_server_opens_its_websocket_on_any_port(server, name):
    url = f"ws://{name}:{server.port}/api/v1/ws"
    async with websockets.connect(url, origin=f"http://{name}:{server.port}") as socket:
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"type": "auth_required"}


@pytest.mark.parametrize(
    "name,origin",
    [
        ("127.0.0.1", "https://evil.example"),
        ("127.0.0.1", "http://localhost:{port}"),  # another name of the machine is another origin
        ("localhost", "http://localhost:8081"),
    ],
)
async def test_other_origins_are_refused_with_403_and_a_warning(server, name, origin):
    origin = origin.format(port=server.port)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"ws://{name}:{server.port}/api/v1/ws", origin=origin)
    assert refused.value.response.status_code == 403
    deadline = time.monotonic() + 5  # the server's log reaches its file on its own schedule
    while not (refusals := [line for line in server.log().splitlines() if "websocket handshake refused" in line]):
        assert time.monotonic() < deadline, "the refusal was not logged"
        await asyncio.sleep(0.05)
    assert len(refusals) == 1 and origin in refusals[0] and "WARNING" in refusals[0], refusals
