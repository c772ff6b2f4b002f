"""Every Redis connection dropped again and again (CLIENT KILL, not a restart) while sockets chat
and resume: each socket delivers each message at most once, in order, and no client loses one."""

import asyncio
import time
from pathlib import Path

import pytest
import redis

from tests.chaos.helpers import register_users, report, shared_room, stored_message_ids, wait_until
from tests.chaos.resuming import ResumingClient, verify_resuming

pytestmark = pytest.mark.chaos

SOCKETS, USERS, SENDERS, REST_SENDERS = 100, 20, 10, 3
KILLS, KILL_EVERY_SECONDS = 10, 1.5


async def test_dropping_every_redis_connection_repeatedly_loses_duplicates_and_reorders_nothing(
    chaos_servers, private_redis, private_postgres
):
    server = chaos_servers(PRESENCE_TTL_SECONDS="6", PRESENCE_REFRESH_SECONDS="2")
    tokens = register_users(server, USERS)
    room_id = shared_room(server, tokens)
    clients = [ResumingClient(server.ws, tokens[i % USERS], room_id) for i in range(SOCKETS)]
    stop, sending = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(client.run(stop)) for client in clients]
    admin = redis.Redis(port=private_redis.port)
    try:
        assert await wait_until(lambda: all(c.ready.is_set() for c in clients), 60)

        async def traffic() -> None:
            while sending.is_set():
                for client in clients[:SENDERS]:
                    await client.send_one()
                await asyncio.sleep(0.5)

        posted: list[str] = []

        async def rest_traffic(token: str) -> None:
            # Messages that keep coming while every socket reconnects and resumes: the window in
            # which a live message can reach a fresh socket before its replay.
            while sending.is_set():
                status, body = await asyncio.to_thread(
                    server.post, f"/api/v1/rooms/{room_id}/messages", {"content": "over REST"}, token
                )
                if status == 201:
                    posted.append(body["id"])
                await asyncio.sleep(0.05)

        sending.set()
        senders = [asyncio.create_task(traffic())]
        senders += [asyncio.create_task(rest_traffic(token)) for token in tokens[:REST_SENDERS]]
        await asyncio.sleep(2)
        killed = 0
        for _ in range(KILLS):
            # Every client connection of the server (its pool, the hub's blocking reads); not
            # this admin connection (SKIPME is the default).
            for kind in ("normal", "pubsub"):
                killed += await asyncio.to_thread(admin.execute_command, "CLIENT", "KILL", "TYPE", kind)
            await asyncio.sleep(KILL_EVERY_SECONDS)
        await asyncio.sleep(3)
        sending.clear()
        await asyncio.gather(*senders, return_exceptions=True)
        started = time.monotonic()

        def settled() -> bool:
            stored = stored_message_ids(private_postgres.url, room_id)
            return all(
                c.ready.is_set() and not c.pending and c.cursor == (stored[-1] if stored else None) for c in clients
            )

        settled_in_time = await wait_until(settled, 60, 0.5)
        stored = stored_message_ids(private_postgres.url, room_id)
        figures = verify_resuming(clients, stored)
        figures.update(
            posted_over_rest=len(posted),
            lost_posted_deliveries=sum(len(set(posted) - c.held) for c in clients),
            kills=KILLS,
            connections_killed=killed,
            settled_seconds_after_traffic=round(time.monotonic() - started, 2),
            server_alive=server.process.poll() is None,
            close_codes=sorted({str(code) for c in clients for code in c.books.close_codes}),
            server_error_lines=server.log().count('"level": "ERROR"'),
        )
        report("redis_client_kill", figures)
        (Path("var/chaos") / "redis_client_kill-server.log").write_text(server.log())
        assert settled_in_time, figures
        assert figures["server_alive"], figures
        assert figures["messages_acknowledged"] > 0 and figures["reconnects"] > 0, figures
        for name in (
            "lost_acknowledged_deliveries",
            "lost_stored_deliveries",
            "lost_posted_deliveries",
            "duplicates_per_socket",
            "out_of_order_per_socket",
            "duplicates_per_client",
            "out_of_order_per_client",
        ):
            assert figures[name] == 0, (name, figures)
    finally:
        stop.set()
        sending.clear()
        admin.close()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
