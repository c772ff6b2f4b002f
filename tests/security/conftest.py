"""Security tests reuse the WebSocket helpers of realtime/tests (sockets always disconnected)."""

from realtime.tests.conftest import (  # noqa: F401 - fixtures
    _close_database_thread_connections,
    _fresh_channel_layer,
    ws_connect,
)
