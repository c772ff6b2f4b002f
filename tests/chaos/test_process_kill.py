"""One of two server processes SIGKILLed while its users chat."""

import asyncio
import base64
import json
import time

import pytest
import redis

from tests.chaos.clients import ChatClient, verify
from tests.chaos.helpers import register_users, report, shared_room, stored_message_ids, wait_until

pytestmark = pytest.mark.chaos

USERS, TABS, SENDERS = 20, 2, 10
PRESENCE_TTL, PRESENCE_REFRESH = 3, 1


def user_id(token: str) -> str:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["user_id"]


async def test_users_of_a_killed_process_resume_on_the_other_with_nothing_lost(
    chaos_servers, private_postgres, private_redis
):
    presence = {"PRESENCE_TTL_SECONDS": str(PRESENCE_TTL), "PRESENCE_REFRESH_SECONDS": str(PRESENCE_REFRESH)}
    survivor, doomed = chaos_servers(**presence), chaos_servers(**presence)
    tokens = register_users(survivor, USERS)
    room_id = shared_room(survivor, tokens)
    clients = [ChatClient([survivor.ws, doomed.ws], tokens[i % USERS], room_id) for i in range(USERS * TABS)]
    stop, sending = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(client.run(stop)) for client in clients]
    store = redis.Redis.from_url(private_redis.url)
    try:
        assert await wait_until(lambda: all(c.ready.is_set() for c in clients), 60)
        on_doomed = sum(1 for c in clients if c.urls[c.server_index] == doomed.ws)

        async def traffic() -> None:
            while sending.is_set():
                for client in clients[:SENDERS]:
                    await client.send_one()
                await asyncio.sleep(1.0)

        sending.set()
        sender = asyncio.create_task(traffic())
        await asyncio.sleep(3)
        doomed.kill()
        killed_at = time.monotonic()

        def presence_matches() -> bool:
            # Every user counts exactly their open sockets: the dead process's entries expired.
            now = time.time()
            for token in set(tokens):
                live = store.zcount(f"chatapp:presence:user:{user_id(token)}", now, "+inf")
                if live != sum(1 for c in clients if c.token == token and c.ready.is_set()):
                    return False
            return True

        await asyncio.sleep(0.5)
        presence_ok = await wait_until(presence_matches, PRESENCE_TTL + PRESENCE_REFRESH + 5, 0.2)
        presence_seconds = time.monotonic() - killed_at
        await asyncio.sleep(max(0, 6 - presence_seconds))
        sending.clear()
        await sender

        def settled() -> bool:
            stored = len(stored_message_ids(private_postgres.url, room_id))
            return all(c.ready.is_set() and not c.pending and len(c.books.delivered) == stored for c in clients)

        settled_in_time = await wait_until(settled, 60, 0.5)
        figures = verify(clients, stored_message_ids(private_postgres.url, room_id))
        figures.update(
            sockets_on_killed_process=on_doomed,
            presence_consistent=presence_ok,
            presence_consistent_seconds_after_kill=round(presence_seconds, 2),
            presence_ttl_seconds=PRESENCE_TTL,
            all_on_survivor=all(c.urls[c.server_index] == survivor.ws for c in clients),
        )
        report("sigkill_one_of_two", figures)
        assert settled_in_time and figures["all_on_survivor"], figures
        assert figures["lost_acknowledged_deliveries"] == 0, figures
        assert figures["duplicates"] == 0, figures
        assert presence_ok and presence_seconds <= PRESENCE_TTL + PRESENCE_REFRESH + 1, figures
        # A hub new to a room starts its order at the room's position (realtime.hub.Hub.subscribe).
        assert figures["out_of_order"] == 0, figures
    finally:
        stop.set()
        sending.clear()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        store.close()
