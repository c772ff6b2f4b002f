"""End to end: a link sent to a room, the jobs worker fetching it from a real web server, the
`link_preview` event on the room's sockets, the preview in the history and its image served here."""

import io

import pytest
from asgiref.sync import sync_to_async
from PIL import Image

from jobs.tests.worker import wait_until
from previews.models import MessageLinkPreview
from previews.tests.conftest import html, page, png, routes

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_sent_link_is_previewed_by_the_worker_and_announced_to_the_room(
    sites, jobs_worker, ws_connect, make_room, user, other_user, api_client_for
):
    site = sites(routes({"/menu": html(page()), "/card.png": png((1000, 1000))}))
    room = await sync_to_async(make_room)(user, members=[other_user])
    alice, bob = await ws_connect(user), await ws_connect(other_user)

    client = api_client_for(other_user)
    # Sent over REST: a socket's send runs in a thread whose database connection may outlive the test.
    response = await sync_to_async(api_client_for(user).post)(
        f"/api/v1/rooms/{room.id}/messages", {"content": f"lunch? {site.origin()}/menu"}, format="json"
    )
    assert (response.status_code, response.json()["link_preview"]) == (201, None)
    sent = (await bob.receive_type("new_message"))["payload"]
    assert sent["link_preview"] is None

    for socket in (alice, bob):
        event = await socket.receive_type("link_preview", timeout=20)
        assert event["payload"] == {
            "room_id": str(room.id),
            "message_id": sent["id"],
            "link_preview": {
                "url": f"{site.origin()}/menu",
                "title": "Lunch menu",
                "description": "Soup of the day",
                "site_name": "Canteen",
                "image_url": event["payload"]["link_preview"]["image_url"],
            },
        }
    preview = event["payload"]["link_preview"]

    history = await sync_to_async(client.get)(f"/api/v1/rooms/{room.id}/messages")
    assert history.json()["data"][0]["link_preview"] == preview
    image = await sync_to_async(client.get)(preview["image_url"])
    assert (image.status_code, image["Content-Type"], image["X-Content-Type-Options"]) == (200, "image/jpeg", "nosniff")
    with Image.open(io.BytesIO(b"".join(image.streaming_content))) as stored:
        assert stored.size == (400, 400)


async def test_a_link_to_a_forbidden_address_gets_no_event_and_no_request(
    sites, jobs_worker, ws_connect, make_room, user, other_user, api_client_for
):
    forbidden = sites(routes({"/": html(page())}), host="127.0.0.1")
    site = sites(routes({"/": html(page(title="Allowed"))}))
    room = await sync_to_async(make_room)(user, members=[other_user])
    bob = await ws_connect(other_user)
    alice = api_client_for(user)

    async def send(content: str) -> dict:
        response = await sync_to_async(alice.post)(
            f"/api/v1/rooms/{room.id}/messages", {"content": content}, format="json"
        )
        assert response.status_code == 201
        return (await bob.receive_type("new_message"))["payload"]

    refused = await send(f"http://localhost:{forbidden.port}/")
    await sync_to_async(wait_until)(
        lambda: MessageLinkPreview.objects.filter(message_id=refused["id"], status="failed").exists(),
        what="the refused link's job done",
    )
    # Then an allowed link: its event is the next link_preview, so none came for the refused one.
    allowed = await send(f"{site.origin()}/")
    event = await bob.receive_type("link_preview", timeout=20)
    assert (event["payload"]["message_id"], event["payload"]["link_preview"]["title"]) == (allowed["id"], "Allowed")
    assert forbidden.got_nothing()
