"""Not missing what was meant for you, in Chromium: the @ autocomplete of room members, the
"New messages" divider, the tab title's unread total."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import bubble, connected, screenshot

pytestmark = pytest.mark.e2e


def room_with_members(api, *prefixes: str) -> tuple[dict, list[dict]]:
    """A public room made by the first user and joined by the others (all over the REST API)."""
    users = [api.register(prefix) for prefix in prefixes]
    owner = users[0]
    status, room = api.call("POST", "/rooms", {"name": f"team-{owner['username'][-6:]}"}, token=owner["token"])
    assert status == 201, room
    for user in users[1:]:
        status, body = api.call("POST", f"/rooms/{room['id']}/join", token=user["token"])
        assert status in (200, 201), body
    return room, users


def post(api, room: dict, user: dict, content: str) -> dict:
    status, body = api.call("POST", f"/rooms/{room['id']}/messages", {"content": content}, token=user["token"])
    assert status == 201, body
    return body


def settled(page):
    """Waits until the room list the socket's `resume` asks for has arrived (the page loads it
    twice: at start and once resumed). A list still on its way when a live message is counted
    would replace that count with its older one."""
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/rooms/me')).length >= 2"
    )
    return page


def open_room(page, room: dict):
    page.locator(f'.conv-item[data-room-id="{room["id"]}"]').click()
    expect(page.locator("#conv-title")).to_have_text(room["name"])


def test_at_opens_an_autocomplete_of_room_members_driven_by_the_keyboard(new_page, api):
    room, (me, bob, bobby, carol) = room_with_members(api, "me", "bob", "bobby", "carol")
    page = connected(new_page(me))
    open_room(page, room)
    box = page.get_by_label("Message", exact=True)
    options = page.locator("#mention-list [role=option] strong")
    # The member list comes with the room's detail: wait until the header counts everyone.
    expect(page.locator("#conv-subtitle")).to_contain_text("4 members")

    box.press_sequentially("hi @")
    expect(page.locator("#mention-list")).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    # Everyone but me, alphabetically, and @room.
    names = sorted([bob["username"], bobby["username"], carol["username"]])
    expect(options).to_have_text([f"@{name}" for name in names] + ["@room"])

    box.press_sequentially("bo")
    first, second = sorted([bob["username"], bobby["username"]])
    expect(options).to_have_text([f"@{first}", f"@{second}"])
    selected = page.locator("#mention-list [aria-selected=true] strong")
    expect(selected).to_have_text(f"@{first}")
    screenshot(page, "mention-autocomplete.png")
    box.press("ArrowDown")
    expect(selected).to_have_text(f"@{second}")
    box.press("ArrowDown")  # wraps around
    expect(selected).to_have_text(f"@{first}")
    box.press("ArrowUp")
    box.press("Enter")  # picks; does not send
    expect(page.locator("#mention-list")).to_be_hidden()
    expect(box).to_have_value(f"hi @{second} ")

    box.press_sequentially(f"and @{carol['username'][:4]}")
    expect(options).to_have_text([f"@{carol['username']}"])
    box.press("Tab")
    expect(box).to_have_value(f"hi @{second} and @{carol['username']} ")
    expect(box).to_be_focused()

    box.press_sequentially("@")
    expect(page.locator("#mention-list")).to_be_visible()
    box.press("Escape")
    expect(page.locator("#mention-list")).to_be_hidden()
    box.press("Backspace")
    box.press("Enter")  # with the list closed, Enter sends
    text = f"hi @{second} and @{carol['username']}"
    expect(bubble(page, text)).to_be_visible()
    expect(box).to_have_value("")


def test_an_email_address_or_code_does_not_open_the_autocomplete(new_page, api):
    room, (me, _bob) = room_with_members(api, "me", "bob")
    page = connected(new_page(me))
    open_room(page, room)
    expect(page.locator("#conv-subtitle")).to_contain_text("2 members")
    box = page.get_by_label("Message", exact=True)
    box.press_sequentially("mail me at me@bo")
    box.press_sequentially(" `@bo")
    expect(page.locator("#mention-list")).to_be_hidden()
    box.press_sequentially("` @b")
    expect(page.locator("#mention-list")).to_be_visible()


# Where the "New messages" divider sits in the scroller's viewport: [top, bottom] of both.
DIVIDER_BOX = """() => {
  const box = document.querySelector('#messages').getBoundingClientRect();
  const divider = document.querySelector('#unread-divider');
  if (!divider) return null;
  const r = divider.getBoundingClientRect();
  return { top: r.top - box.top, bottom: box.bottom - r.bottom };
}"""


def test_opening_a_room_with_unread_messages_shows_the_divider_above_the_first_one(new_page, api):
    room, (me, bob) = room_with_members(api, "me", "bob")
    other, _ = room_with_members(api, "elsewhere")
    api.call("POST", f"/rooms/{other['id']}/join", token=me["token"])
    for i in range(1, 41):
        post(api, room, bob, f"read {i}")
    status, _ = api.call("POST", f"/rooms/{room['id']}/read", token=me["token"])
    assert status == 200
    # Then, while I am away, bob writes on; my own message among his (from my phone) is not unread.
    for i in range(1, 4):
        post(api, room, bob, f"unread {i}")
    post(api, room, me, "my own, sent from my phone")
    for i in range(4, 26):
        post(api, room, bob, f"unread {i}")
    page = connected(new_page(me))
    expect(page.locator(f'.conv-item[data-room-id="{room["id"]}"] .badge')).to_have_text("25")

    open_room(page, room)
    divider = page.locator("#unread-divider")
    expect(divider).to_have_text("New messages")
    # Right above the first unread message, and scrolled to: the divider at the top of the view.
    assert divider.evaluate("(el) => el.nextElementSibling.querySelector('.msg-text').textContent") == "unread 1"
    assert divider.evaluate("(el) => el.previousElementSibling.querySelector('.msg-text').textContent") == "read 40"
    expect(divider).to_be_in_viewport()
    assert 0 <= page.evaluate(DIVIDER_BOX)["top"] < 40
    expect(bubble(page, "unread 25")).not_to_be_in_viewport()
    screenshot(page, "unread-divider.png")

    # It stays while I read and while more arrives; reading marked the room read.
    expect(page.locator(f'.conv-item[data-room-id="{room["id"]}"] .badge')).to_have_count(0)
    post(api, room, bob, "one more")
    expect(page.locator("#jump-latest")).to_be_visible()
    page.locator("#jump-latest").click()
    expect(bubble(page, "one more")).to_be_in_viewport()
    expect(divider).to_have_count(1)
    assert divider.evaluate("(el) => el.nextElementSibling.querySelector('.msg-text').textContent") == "unread 1"

    # Leaving the room takes it away: nothing is unread when I come back.
    open_room(page, other)
    open_room(page, room)
    expect(bubble(page, "one more")).to_be_in_viewport()
    expect(divider).to_have_count(0)


def test_the_tab_title_shows_the_unread_total(new_page, api):
    room, (me, bob) = room_with_members(api, "me", "bob")
    other, (_carol,) = room_with_members(api, "carol")
    api.call("POST", f"/rooms/{other['id']}/join", token=me["token"])
    for each in (room, other):  # "bob joined" and the like: read
        api.call("POST", f"/rooms/{each['id']}/read", token=me["token"])
    page = settled(connected(new_page(me)))
    expect(page.locator(".conv-item")).to_have_count(2)
    expect(page).to_have_title("ChatApp")
    post(api, room, bob, "one")
    post(api, room, bob, "two")
    expect(page).to_have_title("(2) ChatApp")
    post(api, other, _carol, "three")
    expect(page).to_have_title("(3) ChatApp")
    open_room(page, room)
    expect(page).to_have_title("(1) ChatApp")
    open_room(page, other)
    expect(page).to_have_title("ChatApp")
    # No mention is unread: the plain favicon.
    expect(page.locator("#favicon")).to_have_attribute("href", re.compile(r"logo\.svg$"))
