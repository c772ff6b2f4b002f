"""Security tests reuse the WebSocket client of realtime/tests (sockets always disconnected).

The per-loop cleanups that realtime/tests applies to every test are opt-in here (`ws_cleanup`),
so the sync tests never need an event loop: the browser tests' loop may still be running when
they start.
"""

import pytest
from channels.db import database_sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import connections

from realtime.tests.conftest import ws_connect  # noqa: F401 - fixture


@pytest.fixture
async def ws_cleanup():
    """As realtime/tests/conftest.py: a fresh channel layer per loop, thread connections closed."""
    channel_layers.backends.clear()
    yield
    layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    if hasattr(layer, "close_pools"):
        await layer.close_pools()
    await database_sync_to_async(connections.close_all)()
