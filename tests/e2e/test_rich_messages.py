"""Rich messages in Chromium against the live server: rendered Markdown and code blocks, hostile
texts that stay inert, reactions between two people, pins and their panel, and a link preview
fetched by the real job worker from a web site of the test's own."""

import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PREVIEW_SITE, ROOT, SERVER_ENV, connected, screenshot, send
from tests.e2e.test_mentions_unread import open_room, post, room_with_members

pytestmark = pytest.mark.e2e

CORPUS = json.loads((ROOT / "tests" / "security" / "data" / "xss_corpus.json").read_text())

# Before the app runs: every way a payload could show it ran leaves a trace in window.e2eFired.
TRAPS = """
window.e2eFired = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = (...args) => { window.e2eFired.push(`${name}(${args.join(",")})`); };
}
"""


def message_el(page, message: dict):
    return page.locator(f"#msg-{message['id']}")


def test_markdown_is_rendered_with_mentions_and_a_code_block_to_copy(new_page, api):
    room, (me, bob) = room_with_members(api, "me", "bob")
    text = (
        f"**Deploy** is *done*, ~~maybe~~ see `make run` and [the notes](https://example.com/notes) @{me['username']}\n\n"
        "```python\nprint('hello')\nfor i in range(3):\n    print(i)\n```"
    )
    sent = post(api, room, bob, text)
    page = connected(new_page(me))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_room(page, room)
    body = message_el(page, sent).locator(".msg-text.rich")
    expect(body.locator("strong")).to_have_text("Deploy")
    expect(body.locator("em")).to_have_text("done")
    expect(body.locator("s")).to_have_text("maybe")
    expect(body.locator("p code")).to_have_text("make run")
    link = body.locator("a", has_text="the notes")
    expect(link).to_have_attribute("href", "https://example.com/notes")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    expect(body.locator(".mention.is-me")).to_have_text(f"@{me['username']}")
    expect(message_el(page, sent)).to_contain_class("mentions-me")
    block = body.locator(".code-block")
    expect(block.locator(".code-lang")).to_have_text("python")
    expect(block.locator("pre")).to_contain_text("for i in range(3):")
    block.get_by_role("button", name="Copy code").click()
    expect(page.locator(".toast", has_text="Code copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "print('hello')\nfor i in range(3):\n    print(i)"
    # My own text shows as typed while it is on its way, then as the server rendered it.
    send(page, "and **bold** from me")
    expect(page.locator(".msg.is-mine .msg-text strong", has_text="bold")).to_be_visible()
    page.locator(".msg-text strong", has_text="Deploy").hover()
    screenshot(page, "rich-code-block.png")
    assert not page.page_errors


def _hostile_texts() -> list[str]:
    texts = [payload for _, payload in CORPUS["owasp"]] + [payload for _, payload in CORPUS["markdown"]]
    # Every spelling and every context, each at least once (their full product, 742 texts, is
    # tests/security/test_rendering.py's: the same renderer, checked on the HTML it produces).
    spellings, contexts = CORPUS["javascript_spellings"], CORPUS["contexts"]
    texts += [contexts[i % len(contexts)] % spelling for i, spelling in enumerate(spellings)]
    texts += [context % spellings[1] for context in contexts]
    return texts


# What may be inside a rendered message: the server's allow-list, plus the code block's own box.
RICH_TAGS = {"P", "BR", "STRONG", "EM", "S", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI", "A", "SPAN"}
BOX_TAGS = {"DIV", "BUTTON", "svg", "use"}
INSPECT = """(allowed) => {
  const problems = [];
  for (const body of document.querySelectorAll("#message-list .msg-text")) {
    for (const el of body.querySelectorAll("*")) {
      const inBox = el.closest(".code-head");
      if (!allowed.includes(el.tagName) && !(inBox || el.classList.contains("code-block")))
        problems.push(`<${el.tagName}>`);
      for (const attr of el.attributes)
        if (/^on/i.test(attr.name) || /^(src|srcdoc|style|formaction|action)$/i.test(attr.name))
          problems.push(`${el.tagName}[${attr.name}]`);
      if (el.tagName === "A" && !/^(https?|mailto):$/.test(new URL(el.href, location.href).protocol))
        problems.push(`a[href=${el.getAttribute("href")}]`);
    }
  }
  return problems;
}"""


def test_hostile_texts_sent_as_messages_stay_inert_in_the_browser(new_page, api):
    room, (me, bob) = room_with_members(api, "me", "bob")
    texts = _hostile_texts()

    def send_one(text: str) -> int:
        status, body = api.call("POST", f"/rooms/{room['id']}/messages", {"content": text}, token=bob["token"])
        assert status in (201, 400), body  # 400: refused as text (a NUL character), never stored
        return status

    with ThreadPoolExecutor(max_workers=4) as pool:
        stored = sum(status == 201 for status in pool.map(send_one, texts))
    assert stored > len(texts) * 0.9
    page = connected(new_page(me, init_script=TRAPS))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_room(page, room)
    # A few through the composer, as a person would paste them (first shown as typed, then rendered).
    for text in ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "<svg/onload=alert(1)>"]:
        send(page, text)
    expect(page.locator(".msg.is-mine .msg-text.rich")).to_have_count(3)
    # Every stored message drawn by the client's own renderer, not just the newest page.
    drawn = page.evaluate(
        """async (roomId) => {
          const token = sessionStorage.getItem("chatapp.token");
          const { store } = window.chatApp;
          let before = "";
          for (;;) {
            const url = `/api/v1/rooms/${roomId}/messages?limit=100${before ? `&before=${before}` : ""}`;
            const page = await (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).json();
            for (const m of page.data) store.applyMessage(m, { quiet: true });
            if (!(page.has_more ?? page.data.length === 100) || !page.data.length) break;
            before = [...page.data].sort((a, b) => (a.created_at < b.created_at ? -1 : 1))[0].id;
          }
          const conv = store.conversation(roomId);
          conv.hasMore = false;
          store.emit("message", { roomId, message: {}, change: "updated" });
          return conv.items.length;
        }""",
        room["id"],
    )
    assert drawn == stored + 3
    expect(page.locator("#message-list .msg-text")).to_have_count(drawn)
    # Hovering over and clicking what is there (links and buttons aside) runs no handler either.
    for event in ("mouseover", "mouseenter", "click", "focus"):
        page.evaluate(
            """(type) => { for (const el of document.querySelectorAll("#message-list .msg-text *"))
                 if (el.tagName !== "A" && el.tagName !== "BUTTON") el.dispatchEvent(new Event(type, { bubbles: true })); }""",
            event,
        )
    assert page.evaluate(INSPECT, sorted(RICH_TAGS | BOX_TAGS)) == []
    assert page.evaluate("window.e2eFired") == []
    assert dialogs == []
    assert not page.page_errors


def test_reactions_toggle_and_reach_the_other_person_live(new_page, api):
    room, (me, bob) = room_with_members(api, "me", "bob")
    sent = post(api, room, bob, "Shipping the release at five")
    mine = connected(new_page(me))
    theirs = connected(new_page(bob))
    for page in (mine, theirs):
        open_room(page, room)
        expect(page.locator("#conv-subtitle")).to_contain_text("2 members")
    on_mine, on_theirs = message_el(mine, sent), message_el(theirs, sent)

    # From the message's actions, by keyboard in the picker: search, Enter picks the first.
    on_mine.hover()
    on_mine.locator(".msg-actions").get_by_role("button", name="Add reaction").click()
    picker = mine.get_by_role("dialog", name="Pick a reaction")
    search = picker.get_by_role("searchbox", name="Search emoji")
    expect(search).to_be_focused()
    search.press_sequentially("party")
    expect(picker.locator(".emoji-option")).to_have_count(2)  # 🎉 and 🥳
    search.press("Enter")
    expect(picker).to_have_count(0)
    reaction = on_mine.locator(".reaction", has_text="🎉")
    expect(reaction).to_have_text("🎉1")
    expect(reaction).to_have_attribute("aria-pressed", "true")
    expect(reaction).to_have_attribute("title", "you")
    # Bob sees it live, not highlighted for him, with my name; his click adds his own.
    bobs = on_theirs.locator(".reaction", has_text="🎉")
    expect(bobs).to_have_text("🎉1")
    expect(bobs).to_have_attribute("aria-pressed", "false")
    expect(bobs).to_have_attribute("title", me["username"])
    bobs.click()
    expect(bobs).to_have_attribute("aria-pressed", "true")
    expect(reaction).to_have_text("🎉2")
    expect(reaction).to_have_attribute("title", f"you and {bob['username']}")
    # A second emoji from the bar's own button, with the arrow keys this time.
    on_theirs.locator(".reaction-add").click()
    theirs.get_by_role("searchbox", name="Search emoji").press("ArrowDown")
    theirs.keyboard.press("ArrowRight")
    theirs.keyboard.press("Enter")  # the second of the set: 👎
    expect(on_mine.locator(".reaction")).to_have_text(["🎉2", "👎1"])
    on_mine.locator(".reaction-add").click()
    mine.get_by_role("searchbox", name="Search emoji").fill("heart")
    expect(mine.locator(".emoji-option").first).to_be_visible()
    screenshot(mine, "reactions-picker.png")
    mine.keyboard.press("Escape")
    expect(mine.locator(".emoji-picker")).to_have_count(0)
    # Taking mine back: both pages count one, and the server agrees.
    reaction.click()
    expect(reaction).to_have_text("🎉1")
    expect(bobs).to_have_text("🎉1")
    status, stored = api.call("GET", f"/rooms/{room['id']}/messages?around={sent['id']}", token=me["token"])
    assert status == 200
    held = next(m for m in stored["data"] if m["id"] == sent["id"])
    assert [(r["emoji"], r["count"]) for r in held["reactions"]] == [("🎉", 1), ("👎", 1)]
    assert not mine.page_errors and not theirs.page_errors


def test_a_pin_shows_on_the_message_in_the_pins_panel_and_jumps_back(new_page, api):
    room, (me, bob) = room_with_members(api, "me", "bob")
    important = post(api, room, bob, "The wifi password is on the fridge")
    for i in range(45):
        post(api, room, bob, f"chatter {i}")
    page = connected(new_page(me))
    watcher = connected(new_page(bob))
    open_room(watcher, room)
    page.goto(f"/rooms/{room['id']}/messages/{important['id']}")
    target = message_el(page, important)
    target.hover()
    target.get_by_role("button", name="Pin message").click()
    expect(target.locator(".pinned-marker")).to_be_visible()
    expect(target.get_by_role("button", name="Unpin message")).to_have_count(1)
    # Bob's panel, open while it happens, follows live; his message shows the marker.
    watcher.get_by_role("button", name="Pinned messages").click()
    expect(watcher.locator(".pin-item")).to_have_count(1)
    expect(watcher.locator(".pin-item")).to_contain_text("The wifi password is on the fridge")
    expect(watcher.locator(".pin-item")).to_contain_text(f"Pinned by {me['username']}")
    screenshot(watcher, "pins-panel.png")
    watcher.locator(".pin-jump").click()
    expect(watcher).to_have_url(re.compile(f"/rooms/{room['id']}/messages/{important['id']}$"))
    expect(message_el(watcher, important)).to_contain_class("is-highlighted")
    expect(message_el(watcher, important).locator(".pinned-marker")).to_be_visible()
    expect(watcher.locator("#pins-panel")).to_be_hidden()
    # Unpinned: gone from the panel and the marker goes on the other page.
    target.hover()
    target.get_by_role("button", name="Unpin message").click()
    expect(message_el(watcher, important).locator(".pinned-marker")).to_have_count(0)
    watcher.get_by_role("button", name="Pinned messages").click()
    expect(watcher.locator(".pins-empty")).to_contain_text("Nothing pinned yet")
    assert not page.page_errors and not watcher.page_errors


class _Site(BaseHTTPRequestHandler):
    """A page with OpenGraph tags and its image, on the one address previews may reach here."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/card.png":
            from io import BytesIO

            from PIL import Image

            buffer = BytesIO()
            Image.new("RGB", (600, 400), (91, 91, 214)).save(buffer, "PNG")
            body, kind = buffer.getvalue(), "image/png"
        else:
            body = (
                b'<!doctype html><html><head><title>Page</title><meta property="og:title" content="Lunch menu">'
                b'<meta property="og:description" content="Soup of the day, bread from the corner bakery">'
                b'<meta property="og:site_name" content="Canteen"><meta property="og:image" content="/card.png">'
                b"</head><body>Hello</body></html>"
            )
            kind = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def preview_site_and_worker():
    """The web site on PREVIEW_SITE:80 and the real job worker on the live server's database."""
    site = ThreadingHTTPServer((PREVIEW_SITE, 80), _Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "jobs_worker", "--interval", "1"],
        cwd=ROOT,
        env=SERVER_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield f"http://{PREVIEW_SITE}/lunch"
    worker.terminate()
    worker.wait(timeout=10)
    site.shutdown()
    site.server_close()


def test_a_link_preview_card_arrives_live_with_the_stored_image(new_page, api, preview_site_and_worker):
    room, (me, bob) = room_with_members(api, "me", "bob")
    page = connected(new_page(me))
    open_room(page, room)
    third_party = []
    page.on("request", lambda request: PREVIEW_SITE in request.url and third_party.append(request.url))
    url = preview_site_and_worker
    sent = post(api, room, bob, f"Today: {url}")
    message = message_el(page, sent)
    expect(message.locator(".msg-text a")).to_have_attribute("href", url)
    card = message.locator(".link-preview")
    expect(card).to_be_visible(timeout=20_000)  # the worker polls each second, then fetches
    expect(card.locator(".link-preview-site")).to_have_text("Canteen")
    expect(card.locator(".link-preview-title")).to_have_text("Lunch menu")
    expect(card.locator(".link-preview-desc")).to_contain_text("Soup of the day")
    expect(card).to_have_attribute("href", url)
    image = card.locator("img.link-preview-img")
    expect(image).to_have_attribute("src", re.compile(r"^http://127\.0\.0\.1:\d+/media/"))
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    # The browser never called the linked site itself: the server fetched it, image included.
    assert third_party == []
    screenshot(page, "link-preview.png")
    assert not page.page_errors
