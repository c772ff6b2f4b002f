"""Settings → Notifications in Chromium: push on this device and the mention sound."""

import pytest
from playwright.sync_api import expect

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
