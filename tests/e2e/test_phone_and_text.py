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
    # Looked up and measured in one go: the sidebar re-renders, and a replaced element measures 0.
    cut, overflow = page.evaluate(
        """id => { const el = document.querySelector(`.conv-item[data-room-id="${id}"] .conv-preview`);
          return [el.scrollWidth > el.clientWidth, getComputedStyle(el).textOverflow]; }""",
        room["id"],
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


def direction(page, selector: str, text: str | None = None) -> str:
    """The computed direction of the (first) element matching `selector` (and holding `text`), found
    and read in one go: the sidebar and the list replace elements as they re-render."""
    return page.evaluate(
        """([selector, text]) => {
          const el = [...document.querySelectorAll(selector)].find((e) => text === null || e.textContent.includes(text));
          return el ? getComputedStyle(el).direction : null; }""",
        [selector, text],
    )


def test_arabic_and_hebrew_run_right_to_left_in_messages_previews_and_names(new_page, api):
    owner, guest = api.register("rtl"), api.register("ltr")
    room = room_with(api, owner, f"غرفة {owner['username'][-4:]}", "hello in English first", ARABIC)
    assert api.call("POST", f"/rooms/{room['id']}/join", token=guest["token"])[0] in (200, 201)
    assert api.call("POST", f"/rooms/{room['id']}/messages", {"content": HEBREW}, token=guest["token"])[0] == 201
    page = new_page(guest)
    item_selector = f'.conv-item[data-room-id="{room["id"]}"]'
    item = page.locator(item_selector)
    expect(item.locator(".conv-preview")).to_contain_text(HEBREW)
    assert direction(page, f"{item_selector} .conv-name") == "rtl"
    assert direction(page, f"{item_selector} .conv-preview bdi") == "rtl"
    item.click()
    expect(page.locator("#conv-title")).to_contain_text("غرفة")
    assert direction(page, "#conv-title") == "rtl"
    for text in (ARABIC, HEBREW):
        expect(page.locator(".msg-text", has_text=text)).to_be_visible()
        assert direction(page, ".msg-text", text) == "rtl", text
    assert direction(page, ".msg-text", "hello in English first") == "ltr"
    screenshot(page, "rtl-messages.png")
