"""Phone widths and right-to-left text: nothing wider than the screen, every script laid out its way."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, screenshot

pytestmark = pytest.mark.e2e

LONG = "This preview goes on and on " * 12 + "https://example.com/" + "x" * 120


def room_with(api, owner, name, *contents):
    status, room = api.call("POST", "/rooms", {"name": name}, token=owner["token"])
    assert status == 201, room
    for content in contents:
        assert api.call("POST", f"/rooms/{room['id']}/messages", {"content": content}, token=owner["token"])[0] == 201
    return room


@pytest.mark.parametrize("width", [320, 375, 430])
def test_a_long_preview_truncates_and_nothing_scrolls_sideways_on_a_phone(new_page, api, width):
    user = api.register("phone")
    room = room_with(api, user, f"long-{user['username'][-6:]}", LONG)
    page = new_page(user, width=width, height=740)
    item = page.locator(f'.conv-item[data-room-id="{room["id"]}"]')
    expect(item.locator(".conv-preview")).to_contain_text("This preview goes on")
    assert_fits_phone(page)
    cut, overflow = item.locator(".conv-preview").evaluate(
        "el => [el.scrollWidth > el.clientWidth, getComputedStyle(el).textOverflow]"
    )
    assert cut and overflow == "ellipsis", "the preview ends in an ellipsis"
    if width == 375:
        screenshot(page, "phone-sidebar.png")

    item.click()
    expect(page.locator("#conv-title")).to_be_visible()
    expect(page.locator(".msg-text").first).to_be_visible()
    assert_fits_phone(page)
    page.get_by_role("button", name="Back to conversations").click()
    expect(page.locator("#sidebar")).to_be_visible()
    page.get_by_role("button", name="Settings").click()
    expect(page.locator("#settings-dialog")).to_be_visible()
    assert_fits_phone(page)


ARABIC = "مرحبا بكم في الغرفة"
HEBREW = "שלום לכולם"

DIRECTION = "el => getComputedStyle(el).direction"


def test_arabic_and_hebrew_run_right_to_left_in_messages_previews_and_names(new_page, api):
    owner, guest = api.register("rtl"), api.register("ltr")
    room = room_with(api, owner, f"غرفة {owner['username'][-4:]}", "hello in English first", ARABIC)
    assert api.call("POST", f"/rooms/{room['id']}/join", token=guest["token"])[0] in (200, 201)
    assert api.call("POST", f"/rooms/{room['id']}/messages", {"content": HEBREW}, token=guest["token"])[0] == 201
    page = new_page(guest)
    item = page.locator(f'.conv-item[data-room-id="{room["id"]}"]')
    expect(item.locator(".conv-preview")).to_contain_text(HEBREW)
    assert item.locator(".conv-name").evaluate(DIRECTION) == "rtl"
    assert item.locator(".conv-preview bdi").evaluate(DIRECTION) == "rtl"
    item.click()
    expect(page.locator("#conv-title")).to_contain_text("غرفة")
    assert page.locator("#conv-title").evaluate(DIRECTION) == "rtl"
    for text in (ARABIC, HEBREW):
        shown = page.locator(".msg-text", has_text=text)
        expect(shown).to_be_visible()
        assert shown.evaluate(DIRECTION) == "rtl", text
    assert page.locator(".msg-text", has_text="hello in English first").evaluate(DIRECTION) == "ltr"
    screenshot(page, "rtl-messages.png")
