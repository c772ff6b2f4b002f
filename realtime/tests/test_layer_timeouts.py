"""The channel layer's blocking read must outlast its own BZPOPMIN timeout (found by tests/chaos)."""

import pytest
from channels.layers import get_channel_layer


async def test_an_idle_socket_inbox_wait_does_not_time_out_the_redis_read(settings):
    # redis-py 8 reads with a 5 s socket timeout by default, exactly channels-redis's BZPOPMIN
    # timeout: an inbox idle for 5 s raised "Timeout reading from ..." and daphne closed the
    # socket with 1011 every few seconds of silence.
    layer = get_channel_layer()
    if not hasattr(layer, "_brpop_with_clean"):
        pytest.skip("needs the Redis channel layer")
    channel = await layer.new_channel()
    index = layer.consistent_hash(channel)
    assert await layer._brpop_with_clean(index, layer.prefix + channel, timeout=layer.brpop_timeout) is None
