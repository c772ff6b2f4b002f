"""What other people do shows up at once: a new avatar everywhere, unread counts that match the server."""

import io
import json
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def upload_png(base_url: str, token: str) -> str:
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (32, 32), (16, 185, 129)).save(image, "PNG")
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="me.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + image.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base_url}/api/v1/upload",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["url"]


def test_a_new_avatar_replaces_the_old_one_everywhere_without_a_reload(new_page, api, chat_server):
    alice, bob = api.register("alice"), api.register("bob")
    status, room = api.call("POST", "/rooms", {"name": f"av-{alice['username'][-6:]}"}, token=alice["token"])
    assert status == 201, room
    assert api.call("POST", f"/rooms/{room['id']}/join", token=bob["token"])[0] in (200, 201)
    assert api.call("POST", f"/rooms/{room['id']}/messages", {"content": "hi from bob"}, token=bob["token"])[0] == 201
    status, dm = api.call("POST", "/dm", {"recipient_id": bob["user"]["id"]}, token=alice["token"])
    assert status in (200, 201), dm
    dm_id = dm.get("id") or dm["room"]["id"]

    page = new_page(alice)
    expect(page.locator("#conn-dot")).to_have_attribute("data-state", "open")
    page.locator(f'.conv-item[data-room-id="{room["id"]}"]').click()
    from_bob = page.locator(f'.msg[data-sender="{bob["username"]}"]')
    expect(from_bob).to_have_count(1)
    expect(from_bob.locator(".avatar img")).to_have_count(0)

    url = upload_png(chat_server, bob["token"])
    status, body = api.call("PATCH", "/auth/me", {"avatar": url}, token=bob["token"])
    assert status == 200, body

    # The message already on screen, the DM entry in the sidebar, the member list ...
    expect(from_bob.locator(".avatar img")).to_have_attribute(
        "src", f"{chat_server}{url}" if url.startswith("/") else url
    )
    dm_entry = page.locator(f'.conv-item[data-room-id="{dm_id}"]')
    expect(dm_entry.locator(".avatar img")).to_have_count(1)
    page.get_by_role("button", name="Members").click()
    expect(page.locator("#member-list .member", has_text=bob["username"]).locator(".avatar img")).to_have_count(1)
    page.keyboard.press("Escape")
    # ... and the DM's header.
    dm_entry.click()
    expect(page.locator("#conv-title")).to_have_text(bob["username"])
    expect(page.locator("#conv-avatar img")).to_have_count(1)


def unread_on_server(api, user, room_id) -> int:
    status, body = api.call("GET", "/rooms/me", token=user["token"])
    assert status == 200, body
    return next(room["unread_count"] for room in body["data"] if room["id"] == room_id)


def test_deleted_messages_leave_the_unread_count_live_as_after_a_reload(new_page, api):
    alice, bob = api.register("alice"), api.register("bob")
    rooms = {}
    for name in ("here", "there"):
        status, rooms[name] = api.call(
            "POST", "/rooms", {"name": f"{name}-{alice['username'][-6:]}"}, token=alice["token"]
        )
        assert status == 201, rooms[name]
    there = rooms["there"]["id"]
    assert api.call("POST", f"/rooms/{there}/join", token=bob["token"])[0] in (200, 201)

    def post(text):
        status, message = api.call("POST", f"/rooms/{there}/messages", {"content": text}, token=bob["token"])
        assert status == 201, message
        return message["id"]

    def delete(message_id):
        assert api.call("DELETE", f"/messages/{message_id}", token=bob["token"])[0] in (200, 204)

    # Two unread before the page loads (never loaded into it), then one of them deleted.
    post("before 1")
    early = post("before 2")
    page = new_page(alice)
    expect(page.locator("#conn-dot")).to_have_attribute("data-state", "open")
    page.locator(f'.conv-item[data-room-id="{rooms["here"]["id"]}"]').click()
    badge = page.locator(f'.conv-item[data-room-id="{there}"] .badge')
    expect(badge).to_have_text("2")
    delete(early)
    expect(badge).to_have_text("1")

    # Two more arrive live, one is deleted.
    post("live 1")
    late = post("live 2")
    expect(badge).to_have_text("3")
    delete(late)
    expect(badge).to_have_text("2")
    assert unread_on_server(api, alice, there) == 2

    page.reload()
    expect(page.locator(f'.conv-item[data-room-id="{there}"] .badge')).to_have_text("2")
