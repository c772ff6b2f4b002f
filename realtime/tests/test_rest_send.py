"""The web client's send path, end to end: `POST /rooms/<id>/messages` on a real server process
(and through `chatapp.asgi.application` in this process), delivered to its listeners, without an
event loop, thread or Redis connection per message."""

import asyncio
import json
import threading

import pytest
import redis

from realtime.tests.live_servers import register
from realtime.tests.test_live_servers import next_event, open_socket
from tests.chaos.services import PrivateRedis

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis():
    """A Redis of its own, so its connection counter counts only the server's connections."""
    server = PrivateRedis().start()
    yield server
    server.stop()


def thread_count(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


async def room_with_listener(server) -> tuple[str, str, object]:
    """alice's token, the room's id, and bob's socket in that room."""
    alice, bob = register(server, "alice"), register(server, "bob")
    status, room = server.post("/api/v1/rooms", {"name": "General", "type": "public"}, alice)
    assert status == 201, room
    assert server.post(f"/api/v1/rooms/{room['id']}/join", {}, bob)[0] == 200
    return alice, room["id"], await open_socket(server, bob)


async def received_contents(socket, count: int) -> list[str]:
    return [(await next_event(socket, "new_message", timeout=10))["payload"]["content"] for _ in range(count)]


async def test_rest_posts_open_no_redis_connection_or_thread_per_message(servers, private_redis):
    server = servers(REDIS_URL=private_redis.url)
    alice, room_id, bob_socket = await room_with_listener(server)
    path = f"/api/v1/rooms/{room_id}/messages"

    # Warm up: the server's pools and worker threads exist after the first requests.
    for i in range(5):
        assert server.post(path, {"content": f"warm-up {i}"}, alice)[0] == 201
    assert await received_contents(bob_socket, 5) == [f"warm-up {i}" for i in range(5)]

    probe = redis.Redis.from_url(private_redis.url)
    connections_before = probe.info("stats")["total_connections_received"]
    threads_before = thread_count(server.process.pid)

    def post_all() -> list[int]:
        threads = []
        for i in range(50):
            assert server.post(path, {"content": f"message {i}"}, alice)[0] == 201
            threads.append(thread_count(server.process.pid))
        return threads

    posting = asyncio.ensure_future(asyncio.to_thread(post_all))
    contents = await received_contents(bob_socket, 50)
    threads_during = await posting
    new_connections = probe.info("stats")["total_connections_received"] - connections_before
    probe.close()
    await bob_socket.close()

    assert contents == [f"message {i}" for i in range(50)]
    # Before the publisher ran on the server's loop, each post built a new event loop, thread and
    # Redis pool: 50 posts made 50 connections.
    assert new_connections <= 3, f"{new_connections} new Redis connections for 50 posts"
    assert max(threads_during) <= threads_before + 2, (threads_before, threads_during)


async def test_rest_posts_through_the_asgi_application_start_no_loop_thread_or_redis_connection(
    settings, private_redis, monkeypatch, make_user, make_room
):
    """The same path in this process, where event loops can be counted: each post's publish runs
    in an HTTP worker thread and must hop to the serving loop, not start a loop of its own."""
    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer
    from channels.testing import HttpCommunicator

    from accounts.tokens import token_issue
    from broadcast.groups import room_group
    from chatapp.asgi import application

    default = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {"default": {**default, "CONFIG": {**default["CONFIG"], "hosts": [private_redis.url]}}}
    alice = await database_sync_to_async(make_user)("alice")
    room = await database_sync_to_async(make_room)(alice)
    token = token_issue(alice).encode()
    headers = [(b"host", b"testserver"), (b"authorization", b"Bearer " + token), (b"content-type", b"application/json")]
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(room_group(room.id), listener)

    loops_started: list[str] = []
    start_loop = asyncio.BaseEventLoop.__init__

    def counting(self, *args, **kwargs) -> None:
        loops_started.append(threading.current_thread().name)
        start_loop(self, *args, **kwargs)

    async def post_and_hear(content: str) -> None:
        body = json.dumps({"content": content}).encode()
        length = [(b"content-length", str(len(body)).encode())]
        request = HttpCommunicator(application, "POST", f"/api/v1/rooms/{room.id}/messages", body, headers + length)
        response = await request.get_response(timeout=10)
        assert response["status"] == 201, response["body"]
        relayed = await asyncio.wait_for(layer.receive(listener), 5)
        assert json.loads(relayed["text"])["payload"]["content"] == content

    for i in range(5):  # the worker thread and the layer's pool exist after the first requests
        await post_and_hear(f"warm-up {i}")
    probe = redis.Redis.from_url(private_redis.url)
    connections_before = probe.info("stats")["total_connections_received"]
    threads_before = {thread.name for thread in threading.enumerate()}
    monkeypatch.setattr(asyncio.BaseEventLoop, "__init__", counting)

    threads_seen: set[str] = set()
    for i in range(50):
        await post_and_hear(f"message {i}")
        threads_seen |= {thread.name for thread in threading.enumerate()}
    monkeypatch.undo()
    new_connections = probe.info("stats")["total_connections_received"] - connections_before
    probe.close()
    await layer.group_discard(room_group(room.id), listener)

    assert loops_started == [], f"{len(loops_started)} event loops started for 50 posts, in {set(loops_started)}"
    # The HTTP handler's fixed pool may start another of its workers when two requests overlap.
    new_threads = threads_seen - threads_before
    assert {name for name in new_threads if not name.startswith("http_")} == set(), new_threads
    assert len(new_threads) < settings.HTTP_WORKER_THREADS
    assert new_connections == 0, f"{new_connections} new Redis connections for 50 posts"


async def test_rest_posts_reach_sockets_on_the_embedded_in_memory_layer(servers):
    """`make run`: the in-memory channel layer works within the server's event loop only."""
    server = servers(embedded=True)
    alice, room_id, bob_socket = await room_with_listener(server)
    for i in range(10):
        assert server.post(f"/api/v1/rooms/{room_id}/messages", {"content": f"message {i}"}, alice)[0] == 201
    assert await received_contents(bob_socket, 10) == [f"message {i}" for i in range(10)]
    await bob_socket.close()
    assert "Traceback" not in server.log()
