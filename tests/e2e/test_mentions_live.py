"""Mentions and notification levels against the live server, in Chromium: highlighted mentions
(mine stronger), the sidebar's @ badge and the favicon dot, the chime while the tab is hidden,
and the bell that sets a room's notification level."""

import importlib.util
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import bubble, connected
from tests.e2e.test_mentions_unread import open_room, post, room_with_members, settled

# The server half (mentions in message JSON, mention_count, notify_level, PATCH .../notifications)
# is its own piece of work: these tests run from the moment it is in the tree, and fail if it
# does not give what the client relies on.
MENTIONS_SERVER = importlib.util.find_spec("messaging.mentions") is not None
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MENTIONS_SERVER, reason="the mentions server part (messaging/mentions.py) is not merged"),
]

# Before the app starts: the page can be told it is hidden (a background tab), and the tones the
# mention chime starts are counted, so the test hears it without a sound card.
HIDDEN_AND_COUNTED = """
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get() { return window.e2eHidden ? "hidden" : "visible"; } });
window.e2eTones = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) { window.e2eTones += 1; return start.apply(this, args); };
"""


def test_mentions_are_highlighted_counted_in_the_sidebar_and_chime_while_hidden(new_page, api):
    room, (me, bob, carol) = room_with_members(api, "me", "bob", "carol")
    other, _ = room_with_members(api, "elsewhere")
    api.call("POST", f"/rooms/{other['id']}/join", token=me["token"])
    for each in (room, other):
        api.call("POST", f"/rooms/{each['id']}/read", token=me["token"])
    page = settled(connected(new_page(me, init_script=HIDDEN_AND_COUNTED)))
    open_room(page, other)
    item = page.locator(f'.conv-item[data-room-id="{room["id"]}"]')
    favicon = page.locator("#favicon")

    post(api, room, bob, f"@{carol['username']} the release notes?")  # not me: no @ badge
    expect(item.locator(".badge")).to_have_text("1")
    expect(item.locator(".badge-mention")).to_have_count(0)
    expect(favicon).to_have_attribute("href", re.compile(r"logo\.svg$"))

    text = f"@{me['username']} could you review, and @{carol['username']} too"
    post(api, room, bob, text)
    expect(item.locator(".badge-mention")).to_have_text("@1")
    expect(item).to_have_attribute("aria-label", re.compile("2 unread, 1 mention"))
    expect(favicon).to_have_attribute("href", re.compile(r"logo-mention\.svg$"))
    assert page.evaluate("window.e2eTones") == 0  # the tab is showing: no sound

    # In a background tab (the sound is on by default; a click lets the page make sound) ...
    page.locator("#me-name").click()
    page.evaluate("window.e2eHidden = true")
    post(api, room, carol, "@room standup moved to 10:30")
    expect(item.locator(".badge-mention")).to_have_text("@2")
    page.wait_for_function("window.e2eTones === 2")  # two notes, once
    page.evaluate("window.e2eHidden = false")

    open_room(page, room)
    message = bubble(page, text)
    expect(message.locator(".mention")).to_have_text([f"@{me['username']}", f"@{carol['username']}"])
    expect(message.locator(".mention.is-me")).to_have_text(f"@{me['username']}")
    expect(message).to_contain_class("mentions-me")
    expect(bubble(page, "@room standup moved to 10:30").locator(".mention.is-room")).to_have_text("@room")
    # Nothing was inserted as HTML: the mention is a span around text only.
    assert message.locator(".mention").first.evaluate("(el) => el.children.length") == 0
    # Read: the badge and the dot go.
    expect(item.locator(".badge-mention")).to_have_count(0)
    expect(favicon).to_have_attribute("href", re.compile(r"logo\.svg$"))

    # The server's count comes back the same after a reload (mention_count of /rooms/me).
    # Leaving the room marks it read on the server (at once, if its own timer had not yet run):
    # the mention after that is the only one the server counts.
    open_room(page, other)
    page.wait_for_function(
        "(path) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(path))",
        arg=f"/api/v1/rooms/{room['id']}/read",
    )
    post(api, room, bob, f"one more for @{me['username']}")
    expect(item.locator(".badge-mention")).to_have_text("@1")
    page.reload()
    expect(page.locator(f'.conv-item[data-room-id="{room["id"]}"] .badge-mention')).to_have_text("@1")


def test_the_bell_sets_the_rooms_notification_level_on_the_server(new_page, api):
    room, (me, _bob) = room_with_members(api, "me", "bob")
    page = connected(new_page(me))
    open_room(page, room)
    # The room has finished opening (it ends by focusing the composer, which would take the focus
    # from a menu opened before then).
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    bell = page.locator("#btn-notify")
    # Rooms notify of mentions unless said otherwise.
    expect(bell).to_have_accessible_name("Notifications: Mentions only")

    bell.click()
    menu = page.get_by_role("menu", name="Notify me about")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitemradio", name="Mentions only")).to_have_attribute("aria-checked", "true")
    expect(menu.get_by_role("menuitemradio", name="Mentions only")).to_be_focused()
    menu.get_by_role("menuitemradio", name="Nothing").click()
    expect(menu).to_be_hidden()
    expect(bell).to_have_accessible_name("Notifications: Nothing")

    def stored_level() -> str | None:
        status, body = api.call("GET", f"/rooms/{room['id']}", token=me["token"])
        assert status == 200, body
        return next(m["notify_level"] for m in body["members"] if m["user_id"] == me["user"]["id"])

    assert stored_level() == "nothing"
    status, mine = api.call("GET", "/rooms/me", token=me["token"])
    assert next(r for r in mine["data"] if r["id"] == room["id"])["notify_level"] == "nothing"

    # By keyboard: the menu opens on the checked level, arrows move, Enter picks, Escape closes.
    bell.focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("menuitemradio", name="Nothing")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(menu.get_by_role("menuitemradio", name="All messages")).to_be_focused()
    page.keyboard.press("Enter")
    expect(bell).to_have_accessible_name("Notifications: All messages")
    bell.press("Enter")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(bell).to_be_focused()
    assert stored_level() == "all"

    # Another tab of mine follows the change (the notify_level event).
    other_tab = connected(new_page(me))
    open_room(other_tab, room)
    expect(other_tab.locator("#btn-notify")).to_have_accessible_name("Notifications: All messages")
    bell.click()
    menu.get_by_role("menuitemradio", name="Mentions only").click()
    expect(other_tab.locator("#btn-notify")).to_have_accessible_name("Notifications: Mentions only")
