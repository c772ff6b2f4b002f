"""Scrolling back through a long history: every message down to the first, and nothing bogus."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

COUNT = 250

# The messages showing in the scroller's viewport, top to bottom.
VISIBLE = """() => {
  const box = document.querySelector('#messages').getBoundingClientRect();
  return [...document.querySelectorAll('.msg .msg-text')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.bottom > box.top && r.top < box.bottom; })
    .map((el) => el.textContent);
}"""


def room_with_history(api, count: int = COUNT) -> tuple[dict, dict]:
    owner = api.register("hist")
    status, room = api.call("POST", "/rooms", {"name": f"hist-{owner['username'][-6:]}"}, token=owner["token"])
    assert status == 201, room
    for i in range(1, count + 1):
        status, body = api.call(
            "POST", f"/rooms/{room['id']}/messages", {"content": f"message {i}"}, token=owner["token"]
        )
        assert status == 201, body
    return owner, room


def test_scrolling_to_the_top_reaches_the_first_of_250_messages(new_page, api):
    owner, room = room_with_history(api)
    page = new_page(owner)
    page.locator(f'.conv-item[data-room-id="{room["id"]}"]').click()
    expect(page.locator("#message-list").get_by_text(f"message {COUNT}", exact=True)).to_be_visible()
    scroller = page.locator("#messages")
    sentinel = page.locator("#history-sentinel")
    loaded = page.locator(".msg").count()
    # Scroll to the top again and again, as a reader would, until the beginning shows: each page
    # that loads goes in above, and the message the reader was looking at stays in view.
    while "is-done" not in (sentinel.get_attribute("class") or ""):
        scroller.evaluate("el => { el.scrollTop = 0; }")
        at_top = page.evaluate(VISIBLE)[0]
        page.wait_for_function(
            "([n, s]) => document.querySelectorAll('.msg').length > n || s.classList.contains('is-done')",
            arg=[loaded, sentinel.element_handle()],
        )
        now = page.locator(".msg").count()
        if now > loaded:
            assert at_top in page.evaluate(VISIBLE), f"after loading {now} the view jumped away from {at_top!r}"
        loaded = now
    scroller.evaluate("el => { el.scrollTop = 0; }")
    expect(page.locator("#message-list").get_by_text("message 1", exact=True)).to_be_in_viewport()
    expect(sentinel.locator(".spinner")).to_be_hidden()
    expect(sentinel).to_contain_class("is-done")
    assert page.locator(".msg").count() == COUNT
    # Nothing new arrived while scrolling back: no "New messages" pill ...
    expect(page.locator("#jump-latest")).to_be_hidden()
    # ... until something does.
    other = api.register("late")
    api.call("POST", f"/rooms/{room['id']}/join", token=other["token"])
    api.call("POST", f"/rooms/{room['id']}/messages", {"content": "a new one"}, token=other["token"])
    expect(page.locator("#jump-latest")).to_be_visible()
    page.locator("#jump-latest").click()
    expect(page.locator("#message-list").get_by_text("a new one", exact=True)).to_be_in_viewport()
