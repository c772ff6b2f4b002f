"""What a newcomer notices in the first hour: the bundled font, the composer's length limit,
Arrow-Up to edit, voice notes and audio names, and the DM header's status line.

Each waits on what a user would see, never on a fixed sleep.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import bubble, connected, screenshot, send

pytestmark = pytest.mark.e2e


def open_dm(page, other):
    page.get_by_role("combobox", name="Search people to message").fill(other["username"])
    page.get_by_role("option", name=re.compile(other["username"])).click()
    expect(page.locator("#conv-title")).to_have_text(other["username"])


def test_the_design_font_is_bundled_and_loads_without_the_network(new_page, chat_server):
    page = new_page()
    # Nothing but this server answers: a font from a CDN (or none at all) cannot pass.
    page.route(re.compile(r"^(?!" + re.escape(chat_server) + ").*"), lambda route: route.abort())
    page.goto("/login")
    expect(page.get_by_role("heading", name="ChatApp")).to_be_visible()
    faces = page.evaluate(
        """async () => {
            await document.fonts.ready;
            return [...document.fonts].map((f) => ({ family: f.family.replace(/"/g, ""), status: f.status }));
        }"""
    )
    assert {"family": "Inter", "status": "loaded"} in faces, faces
    response = page.request.get("/static/fonts/inter-latin-wght-normal.woff2")
    assert response.status == 200 and response.body()[:4] == b"wOF2"
    assert page.request.get("/static/fonts/Inter-OFL.txt").status == 200


def own_room(page, api, user, name):
    status, room = api.call("POST", "/rooms", {"name": name}, token=user["token"])
    assert status == 201, room
    page.reload()
    page.locator(".conv-item").filter(has_text=name).click()
    expect(page.locator("#conv-title")).to_have_text(name)
    return room


def test_a_long_paste_is_kept_whole_counted_and_refused_with_the_reason(new_page, api):
    user = api.register("paste")
    page = connected(new_page(user))
    room = own_room(page, api, user, f"paste-{user['username'][-6:]}")
    box = page.get_by_label("Message", exact=True)
    counter = page.locator("#composer-count")
    expect(counter).to_be_hidden()

    pasted = ("All of the release notes, pasted at once. " * 200)[:5400]
    box.focus()
    page.keyboard.insert_text(pasted)  # what a paste does: one insertion, subject to maxlength
    assert len(box.input_value()) == 5400  # nothing cut
    expect(counter).to_have_text("5,400 / 2,000 · 3,400 too many")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#history-sentinel")).to_have_class(re.compile("is-done"))
    screenshot(page, "composer-too-long.png")
    box.press("Enter")
    expect(page.locator(".toast-error")).to_contain_text("This message is 5,400 characters long; the limit is 2,000.")
    assert len(box.input_value()) == 5400  # refused, not sent and not lost
    status, body = api.call("GET", f"/rooms/{room['id']}/messages", token=user["token"])
    assert status == 200 and body["data"] == [], body

    box.fill(pasted[:1900].strip())
    expect(counter).to_have_text(re.compile(r"^1,[89]\d\d / 2,000$"))
    box.press("Enter")
    expect(bubble(page, pasted[:1900].strip())).to_be_visible()
    expect(counter).to_be_hidden()
    expect(box).not_to_have_attribute("aria-invalid", "true")


def test_arrow_up_in_an_empty_composer_edits_my_last_message_while_the_rule_allows(new_page, api):
    user = api.register("arrow")
    page = connected(new_page(user, install_clock=True))
    own_room(page, api, user, f"arrow-{user['username'][-6:]}")
    box = page.get_by_label("Message", exact=True)
    send(page, "first thought")
    send(page, "second thoguht")
    last = bubble(page, "second thoguht")
    expect(last).not_to_have_attribute("data-id", re.compile("^pending-"))
    last = page.locator(f'.msg[data-id="{last.get_attribute("data-id")}"]')

    box.fill("draft")
    box.press("ArrowUp")  # with text in the box, Arrow-Up only moves the caret
    expect(page.get_by_role("textbox", name="Edit message")).to_have_count(0)
    box.fill("")
    box.press("ArrowUp")
    editor = last.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("second thoguht")
    editor.fill("second thought")
    editor.press("Enter")
    expect(last.locator(".msg-text")).to_have_text("second thought")
    expect(last.locator(".edited")).to_have_text("(edited)")
    expect(box).to_be_focused()

    # Past the 3-minute window the server refuses an edit, so Arrow-Up leaves the message alone.
    page.clock.fast_forward("03:01")
    expect(last.get_by_role("button", name="Edit message")).to_have_count(0)
    box.press("ArrowUp")
    expect(page.get_by_role("textbox", name="Edit message")).to_have_count(0)


def test_an_edit_over_the_limit_is_refused_with_the_reason_and_kept_whole(new_page, api):
    user = api.register("edit")
    page = connected(new_page(user))
    own_room(page, api, user, f"edit-{user['username'][-6:]}")
    send(page, "short")
    expect(bubble(page, "short")).not_to_have_attribute("data-id", re.compile("^pending-"))
    page.get_by_label("Message", exact=True).press("ArrowUp")
    editor = page.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    editor.press("End")
    page.keyboard.insert_text(" and then some" * 180)  # 2,525 characters in all
    assert len(editor.input_value()) == 2525  # nothing cut
    editor.press("Enter")
    expect(page.locator(".toast-error")).to_contain_text("This message is 2,525 characters long; the limit is 2,000.")
    expect(editor).to_be_visible()
    assert len(editor.input_value()) == 2525
    expect(bubble(page, "short").locator(".edited")).to_have_count(0)


def test_a_voice_note_shows_its_recording_time_and_then_its_file_name(new_page, api):
    user = api.register("voice")
    page = connected(new_page(user))
    page.context.grant_permissions(["microphone"])
    own_room(page, api, user, f"voice-{user['username'][-6:]}")
    timer = page.get_by_role("timer", name="Recording time")
    expect(timer).to_be_hidden()
    page.get_by_role("button", name="Record a voice note").click()
    expect(timer).to_have_text("0:00")
    expect(timer).to_have_text("0:01", timeout=5_000)  # it counts while recording
    page.mouse.move(0, 0)
    screenshot(page, "voice-recording.png")
    page.set_viewport_size({"width": 375, "height": 740})  # the timer fits beside the buttons on a phone
    expect(timer).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Stop recording and send").click()
    expect(timer).to_be_hidden()
    audio = page.locator(".msg .attachment-audio")
    expect(audio.locator("audio")).to_have_count(1)
    expect(audio.locator(".audio-name")).to_have_text(re.compile(r"^voice-note-\d+\.(webm|ogg)$"))

    # Text over the limit in the box does not cost the recording: the note goes alone, the text stays.
    box = page.get_by_label("Message", exact=True)
    box.focus()
    page.keyboard.insert_text("x" * 2100)
    page.get_by_role("button", name="Record a voice note").click()
    expect(timer).to_have_text("0:01", timeout=5_000)
    page.get_by_role("button", name="Stop recording and send").click()
    expect(audio).to_have_count(2)
    expect(page.locator(".toast-error").last).to_contain_text("The file was sent without it.")
    assert len(box.input_value()) == 2100


def test_the_dm_header_shows_the_status_text_and_whether_they_are_online(new_page, api):
    alice, bob = api.register("alice"), api.register("bob")
    status, _ = api.call("PATCH", "/auth/me", {"status": "Hey there! I am using ChatApp"}, token=bob["token"])
    assert status == 200
    a = connected(new_page(alice))
    b = connected(new_page(bob))
    open_dm(a, bob)
    subtitle = a.locator("#conv-subtitle")
    expect(subtitle).to_have_text("Hey there! I am using ChatApp · online")
    expect(subtitle.locator(".conv-presence")).to_have_class(re.compile("is-online"))
    b.goto("about:blank")  # bob closes the app
    expect(subtitle).to_have_text(re.compile(r"^Hey there! I am using ChatApp · last seen "), timeout=15_000)
    expect(subtitle.locator(".conv-presence")).not_to_have_class(re.compile("is-online"))
