"""Redis restarted (losing everything: groups, presence, queues) while 200 sockets chat."""

import asyncio
import time
from pathlib import Path

import pytest

from tests.chaos.clients import ChatClient, verify
from tests.chaos.helpers import get_json, register_users, report, shared_room, stored_message_ids, wait_until

pytestmark = pytest.mark.chaos

SOCKETS, USERS, SENDERS = 200, 20, 10


async def test_redis_restart_loses_no_acknowledged_message(chaos_servers, private_redis, private_postgres):
    server = chaos_servers(PRESENCE_TTL_SECONDS="6", PRESENCE_REFRESH_SECONDS="2")
    tokens = register_users(server, USERS)
    room_id = shared_room(server, tokens)
    clients = [ChatClient([server.ws], tokens[i % USERS], room_id) for i in range(SOCKETS)]
    stop, sending = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(client.run(stop)) for client in clients]
    try:
        assert await wait_until(lambda: all(c.ready.is_set() for c in clients), 60)

        async def traffic() -> None:
            while sending.is_set():
                for client in clients[:SENDERS]:
                    await client.send_one()
                await asyncio.sleep(1.0)

        sending.set()
        sender = asyncio.create_task(traffic())
        await asyncio.sleep(3)

        private_redis.stop()
        stopped_at = time.monotonic()
        status, ready = await asyncio.to_thread(get_json, server.http + "/health/ready")
        reported_down = status == 503 and ready["checks"]["redis"] == "unavailable"
        await asyncio.sleep(2)
        private_redis.start()
        started_at = time.monotonic()
        assert await wait_until(lambda: get_json(server.http + "/health/ready")[0] == 200, 20, 0.2)
        ready_after = time.monotonic() - started_at
        await asyncio.sleep(5)
        sending.clear()
        await sender

        def settled() -> bool:
            stored = len(stored_message_ids(private_postgres.url, room_id))
            return all(c.ready.is_set() and not c.pending and len(c.books.delivered) == stored for c in clients)

        settled_in_time = await wait_until(settled, 60, 0.5)
        recovered_in = time.monotonic() - started_at
        figures = verify(clients, stored_message_ids(private_postgres.url, room_id))
        figures.update(
            redis_down_seconds=round(started_at - stopped_at, 2),
            ready_reported_redis_down=reported_down,
            ready_again_seconds_after_redis_start=round(ready_after, 2),
            all_clients_caught_up_seconds_after_redis_start=round(recovered_in, 2),
            server_alive=server.process.poll() is None,
            close_codes=sorted({str(code) for c in clients for code in c.books.close_codes}),
            # Consumers whose channel-layer receive fails die and daphne closes them with 1011,
            # logging "Exception inside application" at ERROR once per socket.
            server_error_lines=server.log().count('"level": "ERROR"'),
        )
        report("redis_restart", figures)
        (Path("var/chaos") / "redis_restart-server.log").write_text(server.log())
        assert settled_in_time, figures
        assert figures["server_alive"] and reported_down, figures
        assert figures["lost_acknowledged_deliveries"] == 0, figures
        assert figures["duplicates"] == 0, figures
        assert figures["messages_acknowledged"] > 0, figures
        # The message in flight when Redis died, announced late by the Redis client's retry, used
        # to reach reconnected sockets after later ones: a socket now never sends a room's message
        # older than one it already has (realtime.stream.SocketLedger).
        assert figures["out_of_order"] == 0, figures
    finally:
        stop.set()
        sending.clear()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
