"""Two people in two browser contexts, over the real rooms API and WebSocket (issues 3, 4 and 5).

Each waits on what a user would see, never on a fixed sleep.
"""

import io
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import bubble, connected, screenshot, send

pytestmark = pytest.mark.e2e

ONE_SECOND = 1_000


def stored(page, text):
    """The stored message now showing `text`, found by its id: it stays found through an edit, the
    editor replacing its text, or a deletion."""
    found = bubble(page, text)
    expect(found).not_to_have_attribute("data-id", re.compile("^pending-"))
    return page.locator(f'.msg[data-id="{found.get_attribute("data-id")}"]')


def create_room(page, name, kind="public"):
    page.get_by_role("button", name="New room").click()
    dialog = page.locator("#create-dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_text("Private" if kind == "private" else "Public", exact=True).click()
    dialog.get_by_role("button", name="Create room").click()
    expect(page.locator("#conv-title")).to_have_text(name)


def join_room(page, name):
    page.get_by_role("button", name="Browse rooms").click()
    page.locator("#browse-dialog").get_by_role("button", name=f"Join {name}").click()
    expect(page.locator("#conv-title")).to_have_text(name)


@pytest.fixture
def pair(new_page, api):
    alice, bob = api.register("alice"), api.register("bob")
    return alice, bob, connected(new_page(alice)), connected(new_page(bob))


@pytest.fixture
def shared_room(pair):
    alice, bob, a, b = pair
    name = f"room-{alice['username'][-6:]}"
    create_room(a, name)
    join_room(b, name)
    return alice, bob, a, b, name


def test_two_users_exchange_messages_within_a_second(shared_room):
    alice, bob, a, b, name = shared_room
    send(a, "Hello from alice")
    expect(bubble(b, "Hello from alice")).to_be_visible(timeout=ONE_SECOND)
    send(b, "Hi alice, bob here")
    expect(bubble(a, "Hi alice, bob here")).to_be_visible(timeout=ONE_SECOND)
    expect(bubble(a, "Hello from alice")).to_have_count(1)
    # A little more conversation (a reply among it) for the README's screenshot.
    send(a, "The onboarding mockups are up, could you look before standup?")
    question = bubble(b, "The onboarding mockups are up, could you look before standup?")
    question.hover()
    question.get_by_role("button", name="Reply").click()
    send(b, "On it. Step 2 reads much better now.")
    expect(bubble(a, "On it. Step 2 reads much better now.")).to_be_visible()
    a.mouse.move(0, 0)
    screenshot(a, "room-conversation.png")


def test_typing_indicator_appears_and_disappears(shared_room):
    alice, bob, a, b, name = shared_room
    a.get_by_label("Message", exact=True).type("thinking")
    expect(b.locator("#typing")).to_have_text(f"{alice['username']} is typing…")
    a.get_by_label("Message", exact=True).press("Enter")
    expect(b.locator("#typing")).to_have_text("")


def test_start_a_dm_from_user_search_and_read_ticks_turn_blue(pair):
    alice, bob, a, b = pair
    a.get_by_role("combobox", name="Search people to message").fill(bob["username"])
    a.get_by_role("option", name=re.compile(bob["username"])).click()
    expect(a.locator("#conv-title")).to_have_text(bob["username"])
    send(a, "Private hello")
    mine = bubble(a, "Private hello")
    expect(mine.locator(".tick")).not_to_have_attribute("data-tick", "pending")
    expect(mine.locator(".tick")).not_to_have_attribute("data-tick", "read")
    # Bob sees the DM arrive in his sidebar with an unread badge, opens it, and reads it.
    dm = b.locator("#dm-list .conv-item").filter(has_text=alice["username"])
    expect(dm.locator(".badge")).to_have_text("1")
    dm.click()
    expect(bubble(b, "Private hello")).to_be_visible()
    expect(mine.locator(".tick")).to_have_attribute("data-tick", "read")
    send(b, "Hey! Got it, thanks.")
    expect(bubble(a, "Hey! Got it, thanks.")).to_be_visible()
    a.mouse.move(0, 0)
    screenshot(a, "dm-conversation.png")


def test_edit_and_delete_inside_the_window_and_menu_gone_after(new_page, api):
    alice, bob = api.register("alice"), api.register("bob")
    a = connected(new_page(alice, install_clock=True))
    b = connected(new_page(bob))
    name = f"edits-{alice['username'][-6:]}"
    create_room(a, name)
    join_room(b, name)
    # Bob steps away, so he reads nothing: reading would close the window (the server's rule).
    b.goto("about:blank")

    send(a, "typo here")
    send(a, "to be deleted")
    send(a, "window closes")
    msg = stored(a, "typo here")
    msg.hover()
    msg.get_by_role("button", name="Edit message").click()
    editor = msg.get_by_label("Edit message")
    editor.fill("typo fixed")
    editor.press("Enter")
    expect(msg.locator(".edited")).to_have_text("(edited)")

    gone = stored(a, "to be deleted")
    gone.hover()
    gone.get_by_role("button", name="Delete message").click()
    a.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(gone.locator(".msg-text.is-deleted")).to_have_count(1)

    late = stored(a, "window closes")
    late.hover()
    expect(late.get_by_role("button", name="Edit message")).to_be_visible()
    a.clock.fast_forward("03:01")
    expect(late.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(late.get_by_role("button", name="Delete message")).to_have_count(0)

    # Bob comes back and sees the edit and the deletion.
    b.goto("/")
    b.locator(".conv-item").filter(has_text=name).click()
    expect(bubble(b, "typo fixed").locator(".edited")).to_have_text("(edited)")
    expect(b.locator(".msg-text.is-deleted")).to_have_count(1)


def test_reply_shows_the_quoted_original(shared_room):
    alice, bob, a, b, name = shared_room
    send(a, "Which color for the button?")
    original = bubble(b, "Which color for the button?")
    original.hover()
    original.get_by_role("button", name="Reply").click()
    expect(b.locator("#reply-bar")).to_contain_text("Which color")
    send(b, "Indigo, like the logo")
    reply = bubble(a, "Indigo, like the logo")
    expect(reply.locator(".reply-quote")).to_contain_text("Which color for the button?")
    reply.locator(".reply-quote").click()
    expect(bubble(a, "Which color for the button?")).to_have_class(re.compile("is-highlighted"))


def test_uploaded_image_previews_on_the_other_side(shared_room):
    from PIL import Image

    alice, bob, a, b, name = shared_room
    data = io.BytesIO()
    Image.new("RGB", (64, 48), (80, 70, 229)).save(data, "PNG")
    a.locator("#file-input").set_input_files({"name": "swatch.png", "mimeType": "image/png", "buffer": data.getvalue()})
    preview = b.locator(".attachment-image img")
    expect(preview).to_be_visible()
    b.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    preview.click()
    expect(b.locator("#lightbox")).to_be_visible()


def test_offline_then_reconnect_misses_nothing_and_doubles_nothing(shared_room):
    alice, bob, a, b, name = shared_room
    send(a, "before the outage")
    expect(bubble(b, "before the outage")).to_be_visible()
    b.context.set_offline(True)
    b.evaluate("window.chatApp.socket.drop()")
    expect(b.locator("#conn-banner")).to_be_visible()
    sent = [f"while away {i}" for i in range(5)]
    for text in sent:
        send(a, text)
    for text in sent:
        expect(bubble(a, text).locator(".tick")).not_to_have_attribute("data-tick", "pending")
    b.context.set_offline(False)
    b.evaluate("window.dispatchEvent(new Event('online'))")
    connected(b)
    expect(b.locator("#conn-banner")).to_be_hidden()
    for text in sent:
        expect(bubble(b, text)).to_have_count(1)
    texts = b.locator(".msg .msg-text").all_inner_texts()
    assert texts == ["before the outage", *sent], texts


def test_a_script_in_a_message_renders_as_text(shared_room):
    alice, bob, a, b, name = shared_room
    dialogs = []
    b.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = "<img src=x onerror=alert(1)>"
    send(a, payload)
    shown = bubble(b, payload)
    expect(shown.locator(".msg-text")).to_have_text(payload)
    assert shown.locator("img").count() == 0
    started = time.monotonic()
    b.wait_for_load_state("networkidle")
    assert not dialogs, f"alert ran after {time.monotonic() - started:.1f}s"
