"""Settings → Notifications in Chromium: push on this device and the mention sound."""

import json
import os
import re
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from tests.e2e.conftest import PUSH_ORIGIN, b64url, screenshot

pytestmark = pytest.mark.e2e


def open_notifications(page):
    page.get_by_role("button", name="Settings").click()
    dialog = page.locator("#settings-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("tab", name="Notifications").click()
    return dialog


def test_a_server_without_push_hides_the_button_and_nothing_asks_permission(new_page, api):
    page = new_page(api.register())
    # A server with push turned off answers the key with 404 (no VAPID keys configured).
    page.route(
        "**/api/v1/push/key",
        lambda route: route.fulfill(status=404, json={"error": "Push notifications are not configured"}),
    )
    dialog = open_notifications(page)
    expect(dialog.locator("#push-state")).to_have_text("Notifications are not set up on this server.")
    expect(dialog.locator("#btn-push")).to_be_hidden()
    assert page.evaluate("Notification.permission") == "default"


def test_the_mention_sound_is_on_by_default_and_its_toggle_is_remembered(new_page, api):
    page = new_page(api.register())
    dialog = open_notifications(page)
    sound = dialog.get_by_label("Mention sound")
    expect(sound).to_be_checked()
    sound.uncheck()
    page.reload()
    expect(page.locator("#me-name")).not_to_be_empty()
    dialog = open_notifications(page)
    expect(dialog.get_by_label("Mention sound")).not_to_be_checked()
    assert page.evaluate("localStorage.getItem('chatapp.mentionSound')") == "off"


def fake_subscription() -> dict:
    """What PushSubscription.toJSON() gives: an endpoint on the allow-listed test push origin and
    the browser's real-shaped keys (a P-256 point and 16 bytes of auth secret)."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "endpoint": f"{PUSH_ORIGIN}/push/{uuid.uuid4().hex}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


# Chromium's push service is Google's (FCM): a headless, off-the-record browser context has none
# ("Registration failed - permission denied"), so PushManager's subscribe is the one browser part
# stood in for. The service worker, the permission, the server's key and the server's storage of
# the subscription are all real.
PUSH_MANAGER = """(() => {
  const json = %s;
  let current = null;
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    window.e2eSubscribedWith = b64url(options.applicationServerKey);
    current = { endpoint: json.endpoint, options, toJSON: () => json,
                unsubscribe: async () => { current = null; return true; } };
    return current;
  };
})();"""


def test_turning_notifications_on_asks_permission_and_stores_the_subscription(new_page, api, chat_server):
    user = api.register()
    subscription = fake_subscription()
    page = new_page(user, init_script=PUSH_MANAGER % json.dumps(subscription))
    page.context.grant_permissions(["notifications"], origin=chat_server)
    dialog = open_notifications(page)
    state, button = dialog.locator("#push-state"), dialog.get_by_role("button", name="Turn on")
    expect(state).to_have_text(re.compile("^Off"))
    button.click()
    expect(state).to_have_text(re.compile("^On"))
    expect(dialog.get_by_role("button", name="Turn off")).to_be_visible()
    screenshot(page, "notification-settings.png")

    # Subscribed with the server's public key, and stored: the same endpoint again is an update.
    status, key = api.call("GET", "/push/key", token=user["token"])
    assert status == 200, key
    assert page.evaluate("window.e2eSubscribedWith") == key["public_key"]
    assert api.call("POST", "/push/subscriptions", subscription, token=user["token"])[0] == 200

    dialog.get_by_role("button", name="Turn off").click()
    expect(state).to_have_text(re.compile("^Off"))
    # Removed from the server: storing it now makes a new one.
    assert api.call("POST", "/push/subscriptions", subscription, token=user["token"])[0] == 201


def test_a_browser_that_blocks_notifications_says_so(new_page, api, chat_server):
    page = new_page(api.register())
    # The person said "Block" (set through the DevTools protocol: Playwright only grants).
    context_id = page.context.new_cdp_session(page).send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    page.context.browser.new_browser_cdp_session().send(
        "Browser.setPermission",
        {
            "permission": {"name": "notifications"},
            "setting": "denied",
            "origin": chat_server,
            "browserContextId": context_id,
        },
    )
    assert page.evaluate("Notification.permission") == "denied"
    dialog = open_notifications(page)
    expect(dialog.locator("#push-state")).to_have_text(re.compile("^Blocked by the browser"))
    expect(dialog.locator("#btn-push")).to_be_hidden()
