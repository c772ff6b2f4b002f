"""The installable app in Chromium: the service worker registers at the root, the manifest parses
with its icons, and a push delivered to the worker becomes one notification per room."""

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def worker_ready(page) -> dict:
    """Waits for the page's service worker to be active; its scope and script URL."""
    return page.evaluate(
        """async () => {
          const registration = await navigator.serviceWorker.ready;
          return { scope: registration.scope, script: registration.active.scriptURL };
        }"""
    )


def test_service_worker_registers_at_the_root_scope_without_asking_permission(new_page, api, chat_server):
    page = new_page(api.register())
    assert worker_ready(page) == {"scope": f"{chat_server}/", "script": f"{chat_server}/sw.js"}
    # Registering is silent: the permission stays undecided until the settings button is pressed.
    assert page.evaluate("Notification.permission") == "default"


def test_manifest_parses_with_its_icons(new_page, api, chat_server):
    page = new_page(api.register())
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.evaluate(
        """async (href) => {
          const response = await fetch(href);
          const manifest = await response.json();
          const icons = [];
          for (const icon of manifest.icons) {
            const image = new Image();
            image.src = new URL(icon.src, location.href).href;
            await image.decode();
            icons.push({ ...icon, drawn: `${image.naturalWidth}x${image.naturalHeight}` });
          }
          return { type: response.headers.get("content-type"), ...manifest, icons };
        }""",
        href,
    )
    assert manifest["type"] == "application/manifest+json"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    assert {icon["drawn"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert all(icon["drawn"] == icon["sizes"] for icon in manifest["icons"])
    assert page.locator('meta[name="theme-color"]').get_attribute("content") == manifest["theme_color"]


def deliver_push(page, chat_server, payload: dict) -> None:
    """A push message to the page's service worker, delivered by Chromium itself (DevTools
    protocol): the worker's own `push` handler runs, as for a message from a push service."""
    session = page.context.new_cdp_session(page)
    registrations = []
    session.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    session.send("ServiceWorker.enable")
    # The registrations arrive as events right after `enable`; a round trip to the page lets
    # Playwright dispatch them (bounded: a missing worker fails below, not here).
    for _ in range(50):
        if registrations:
            break
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    # The latest state of each registration at the root (an update event may mark one deleted).
    latest = {r["registrationId"]: r for r in registrations if r["scopeURL"] == f"{chat_server}/"}
    registration = next(r for r in reversed(latest.values()) if not r.get("isDeleted"))
    session.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": chat_server, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
    )


# The notifications the worker shows, once there are `count` of them (one with `body`, if given).
# Polled in the page each frame, as wait_for_function would, which does not await a promise.
NOTIFICATIONS = """async ({ count, body }) => {
  const registration = await navigator.serviceWorker.ready;
  const deadline = performance.now() + 10000;
  for (;;) {
    const shown = (await registration.getNotifications()).map((n) =>
      ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, url: n.data && n.data.url }));
    if (shown.length === count && (!body || shown.some((n) => n.body === body))) return shown;
    if (performance.now() > deadline) throw new Error(`notifications shown: ${JSON.stringify(shown)}`);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}"""


def shown(page, count: int, body: str | None = None) -> list[dict]:
    return page.evaluate(NOTIFICATIONS, {"count": count, "body": body})


def test_a_push_shows_one_notification_per_room_that_a_burst_replaces(new_page, api, chat_server):
    page = new_page(api.register())
    page.context.grant_permissions(["notifications"], origin=chat_server)
    worker_ready(page)
    message = {
        "type": "message",
        "room_id": "11111111-1111-1111-1111-111111111111",
        "message_id": "22222222-2222-2222-2222-222222222222",
        "title": "alice in #design",
        "body": "@bob could you look at the mockups?",
        "url": "/rooms/11111111-1111-1111-1111-111111111111/messages/22222222-2222-2222-2222-222222222222",
        "unread_total": 3,
    }
    deliver_push(page, chat_server, message)
    [first] = shown(page, 1)
    assert first == {
        "title": "alice in #design",
        "body": "@bob could you look at the mockups?",
        "tag": "room-11111111-1111-1111-1111-111111111111",
        "icon": f"{chat_server}/static/img/icon-192.png",
        "url": f"{chat_server}{message['url']}",
    }

    # The next message of the same room replaces it; another room's stands beside it.
    deliver_push(page, chat_server, {**message, "body": "second", "message_id": "3" * 8 + message["message_id"][8:]})
    shown(page, 1, "second")
    other_room = "44444444-4444-4444-4444-444444444444"
    deliver_push(page, chat_server, {**message, "room_id": other_room, "url": "https://evil.example/phish"})
    other = next(n for n in shown(page, 2) if n["tag"] == f"room-{other_room}")
    # A link to another site is never opened from a notification: the room's own address instead.
    assert other["url"] == f"{chat_server}/rooms/{other_room}/messages/{message['message_id']}"
    expect(page.locator("#me-name")).to_be_visible()


def test_a_notification_link_opens_the_room_at_its_message(new_page, api):
    owner = api.register("linked")
    status, room = api.call("POST", "/rooms", {"name": f"linked-{owner['username'][-6:]}"}, token=owner["token"])
    assert status == 201, room
    ids = []
    for i in range(1, 46):
        status, body = api.call("POST", f"/rooms/{room['id']}/messages", {"content": f"note {i}"}, token=owner["token"])
        assert status == 201, body
        ids.append(body["id"])
    page = new_page(owner)
    # Older than the first page: the client loads the messages around it, shows it and flashes it.
    page.goto(f"/rooms/{room['id']}/messages/{ids[2]}")
    expect(page.locator("#conv-title")).to_have_text(room["name"])
    target = page.locator(f"#msg-{ids[2]}")
    expect(target).to_be_in_viewport()
    expect(target).to_contain_class("is-highlighted")
    # The address stays the message's own: what the address bar shows is a link to what is shown.
    assert page.evaluate("location.pathname") == f"/rooms/{room['id']}/messages/{ids[2]}"
