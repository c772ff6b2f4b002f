"""Message search in the browser: results as you type, a result opened at its message, the
message's own address (copied, opened in a fresh tab, back and forward), the keyboard, a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, screenshot

pytestmark = pytest.mark.e2e


def make_room(api, owner, name: str, type: str = "public") -> dict:
    status, room = api.call("POST", "/rooms", {"name": name, "type": type}, token=owner["token"])
    assert status == 201, room
    return room


def post(api, user, room, content: str) -> dict:
    status, message = api.call("POST", f"/rooms/{room['id']}/messages", {"content": content}, token=user["token"])
    assert status == 201, message
    return message


def join(api, user, room) -> None:
    assert api.call("POST", f"/rooms/{room['id']}/join", token=user["token"])[0] in (200, 201)


def history_room(api, owner, guest, name: str) -> tuple[dict, dict, dict]:
    """A room of 90 messages: the one to find is the 6th (far older than the first page), the
    newest is the last; each is (room, target, newest)."""
    room = make_room(api, owner, name)
    join(api, guest, room)
    target = None
    for i in range(1, 91):
        if i == 6:
            target = post(api, guest, room, "The quarterly deploy checklist is in the wiki: deploy on Friday")
        else:
            post(api, owner if i % 2 else guest, room, f"chatter number {i}")
    newest = post(api, owner, room, "the newest message of all")
    return room, target, newest


def search_for(page, text: str):
    box = page.get_by_role("combobox", name="Search messages")
    box.fill(text)
    return page.locator("#search-hits .hit")


def landed_on(page, room: dict, message: dict) -> None:
    """The conversation is open at `message`: in view, flashed, at its own address."""
    expect(page.locator("#conv-title")).to_have_text(room["name"])
    target = page.locator(f"#msg-{message['id']}")
    expect(target).to_be_in_viewport()
    expect(target).to_contain_class("is-highlighted")
    expect(page).to_have_url(re.compile(f"/rooms/{room['id']}/messages/{message['id']}$"))


def test_a_result_opens_its_conversation_at_the_message_highlighted(new_page, api):
    alice, bob = api.register("seeker"), api.register("writer")
    room, target, newest = history_room(api, alice, bob, f"ops-{alice['username'][-6:]}")
    private = make_room(api, alice, f"release-{alice['username'][-6:]}", type="private")
    assert (
        api.call("POST", f"/rooms/{private['id']}/members", {"user_id": bob["user"]["id"]}, token=alice["token"])[0]
        == 201
    )
    post(api, bob, private, "Deploy window moved to Thursday, after the freeze")
    status, direct = api.call("POST", "/dm", {"recipient_id": bob["user"]["id"]}, token=alice["token"])
    assert status in (200, 201), direct
    post(api, bob, direct, "Can you deploy the hotfix tonight?")
    page = new_page(alice)

    # Typed as far as "deplo": the last word matches as a prefix, results come as it is typed.
    hits = search_for(page, "quarterly deplo")
    expect(hits).to_have_count(1)
    hit = hits.first
    expect(hit.locator(".hit-room")).to_have_text(room["name"])
    expect(hit.locator(".hit-sender")).to_have_text(bob["username"])
    expect(hit.locator("time")).to_have_attribute("datetime", target["created_at"])
    # Every matched word marked, counted in code points past the emoji.
    expect(hit.locator("mark")).to_have_text(["quarterly", "deploy", "deploy"])
    expect(page.locator("#search-status")).to_have_text("1 message found")
    expect(page.locator("#room-list")).to_be_hidden()

    hit.click()
    landed_on(page, room, target)
    # Loaded around the message, not from the newest back: the newest comes by scrolling down.
    expect(page.locator(f"#msg-{newest['id']}")).to_have_count(0)
    expect(hit).to_have_attribute("aria-current", "true")
    page.wait_for_function(
        """id => { const list = document.getElementById('messages');
          list.scrollTop = list.scrollHeight; return Boolean(document.getElementById(`msg-${id}`)); }""",
        arg=newest["id"],
    )
    expect(page.locator("#newer-sentinel")).to_be_hidden()
    assert page.locator("#message-list .msg").count() > 80, "nothing missing between the two"

    # Back and forward: the page before the result, then the result again.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#conversation")).to_be_hidden()
    page.go_forward()
    landed_on(page, room, target)

    # A message sent from there goes among the newest, and the address becomes the room's.
    page.get_by_label("Message", exact=True).fill("sent after the jump")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator(".msg").last).to_contain_text("sent after the jump")
    expect(page).to_have_url(re.compile(f"/rooms/{room['id']}$"))

    # Results from every kind of room, each with its room, sender and time.
    hits = search_for(page, "deploy")
    expect(hits.locator(".hit-room")).to_have_text([f"@{bob['username']}", private["name"], room["name"]])
    hits.nth(2).click()
    landed_on(page, room, target)
    screenshot(page, "search-results.png")
    assert not page.page_errors


def test_a_copied_link_opens_at_the_message_in_a_fresh_tab_and_after_signing_in(new_page, api, browser, chat_server):
    alice, bob = api.register("linker"), api.register("reader")
    room, target, _ = history_room(api, alice, bob, f"links-{alice['username'][-6:]}")
    page = new_page(alice)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=chat_server)
    search_for(page, "checklist").first.click()
    landed_on(page, room, target)

    message = page.locator(f"#msg-{target['id']}")
    message.hover()
    message.get_by_role("button", name="Copy link").click()
    expect(page.locator(".toast").filter(has_text="Link copied")).to_be_visible()
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == f"{chat_server}/rooms/{room['id']}/messages/{target['id']}"

    tab = page.context.new_page()
    tab.goto(link)
    landed_on(tab, room, target)

    # Signed out (a browser of its own): the login page, then the message.
    context = browser.new_context(base_url=chat_server, viewport={"width": 1280, "height": 800})
    try:
        stranger = context.new_page()
        stranger.goto(link)
        expect(stranger).to_have_url(re.compile("/login$"))
        stranger.locator("#login-identifier").fill(bob["username"])
        stranger.locator("#login-password").fill(bob["password"])
        stranger.locator("#form-signin").get_by_role("button", name="Sign In").click()
        landed_on(stranger, room, target)
    finally:
        context.close()


def test_keyboard_focus_suggestions_states_and_paging(new_page, api):
    alice, bob = api.register("keys"), api.register("mentioner")
    room = make_room(api, alice, f"team room {alice['username'][-6:]}")
    join(api, bob, room)
    post(api, bob, room, f"@{alice['username']} 🚀 could you review the rollout plan?")
    for i in range(24):
        post(api, bob, room, f"rollout step {i}")
    page = new_page(alice)
    box = page.get_by_role("combobox", name="Search messages")

    # "/" and Ctrl+K focus the box from the page, never while typing in another field.
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(page.locator("#search-status")).to_contain_text("Try:")
    page.keyboard.press("Escape")
    expect(box).not_to_be_focused()
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    page.keyboard.press("Escape")
    page.locator(f'.conv-item[data-room-id="{room["id"]}"]').click()
    composer = page.get_by_label("Message", exact=True)
    composer.click()
    composer.press_sequentially("a/b")
    composer.press("Control+k")
    expect(composer).to_have_value("a/b")
    expect(composer).to_be_focused()

    # Operators suggested at the caret: from: completes people, in: rooms, is: its values.
    box.click()
    box.press_sequentially("fr")
    suggestions = page.locator("#search-suggestions [role=option]")
    expect(suggestions).to_have_text([re.compile("^from:")])
    box.press("Tab")
    expect(box).to_have_value("from:")
    box.press_sequentially(bob["username"][:5])
    expect(suggestions.first).to_contain_text(f"from:{bob['username']}")
    box.press("Enter")
    expect(box).to_have_value(f"from:{bob['username']} ")
    box.press_sequentially("in:tea")
    expect(suggestions.first).to_contain_text(f'in:"{room["name"]}"')
    box.press("Tab")
    box.press_sequentially("is:m")
    box.press("Enter")
    expect(box).to_have_value(f'from:{bob["username"]} in:"{room["name"]}" is:mention ')
    hits = page.locator("#search-hits .hit")
    expect(hits).to_have_count(1)
    expect(hits.first.locator(".hit-text")).to_contain_text("review the rollout plan")
    # The server counts code points, JavaScript UTF-16 units: the emoji before them shifts nothing.
    search_for(page, "review rollout")
    expect(hits.first.locator("mark")).to_have_text(["review", "rollout"])

    # Nothing found says what to try; paging continues with "More results".
    search_for(page, "zebra crossing")
    expect(page.locator("#search-status")).to_contain_text("No messages match zebra crossing.")
    expect(page.locator("#search-status")).to_contain_text("Try fewer or other words")
    hits = search_for(page, "rollout")
    expect(hits).to_have_count(20)
    expect(page.locator("#search-status")).to_have_text("20+ messages found")
    page.get_by_role("button", name="More results").click()
    expect(hits).to_have_count(25)
    expect(page.get_by_role("button", name="More results")).to_be_hidden()
    ids = page.locator("#search-hits .hit").evaluate_all("els => els.map((el) => el.dataset.id)")
    assert len(set(ids)) == 25

    # Arrow keys choose a result, Enter opens it; Escape empties the box, then closes the results.
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(hits.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.locator(f"#msg-{ids[1]}")).to_contain_class("is-highlighted")
    box.press("Escape")
    expect(box).to_have_value("")
    box.press("Escape")
    expect(page.locator("#room-list")).to_be_visible()
    assert not page.page_errors


def test_search_on_a_375px_phone(new_page, api):
    alice, bob = api.register("pocket"), api.register("poster")
    room, target, _ = history_room(api, alice, bob, f"phone-{alice['username'][-6:]}")
    post(api, bob, room, "Deploy notes: " + "a long line that must wrap on a small screen " * 6)
    page = new_page(alice, width=375, height=740)
    hits = search_for(page, "deploy")
    expect(hits).to_have_count(2)
    expect(hits.first.locator("mark").first).to_have_text("Deploy")
    assert_fits_phone(page)
    page.get_by_role("combobox", name="Search messages").blur()
    screenshot(page, "search-phone.png")

    hits.nth(1).click()
    landed_on(page, room, target)
    assert_fits_phone(page)
    # Back to the sidebar: the results are still there.
    page.get_by_role("button", name="Back to conversations").click()
    expect(hits).to_have_count(2)
    expect(page.locator("#search-panel")).to_be_visible()
    assert_fits_phone(page)
