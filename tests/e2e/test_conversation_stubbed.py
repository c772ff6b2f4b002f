"""The conversation view against a stubbed rooms/messages API, so every case is set up exactly.

Auth is real; `/rooms*`, `/dm` and `/messages*` are answered by Playwright routes shaped exactly as
the API's contract (README), so rendering rules are checked: text-only insertion of what users wrote,
day separators, replies, attachments, ticks, and the edit/delete window under a controlled clock.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

NOW = datetime(2025, 3, 14, 15, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def message(room_id, sender, content, at, **extra):
    return {
        "id": str(uuid.uuid4()),
        "room_id": room_id,
        "sender_id": sender["id"],
        "sender": {"id": sender["id"], "username": sender["username"], "avatar": ""},
        "content": content,
        "type": "text",
        "file_url": None,
        "file_name": None,
        "file_size": None,
        "is_edited": False,
        "is_deleted": False,
        "reply_to_id": None,
        "reply_to": None,
        "client_msg_id": None,
        "created_at": iso(at),
        "updated_at": iso(at),
        **extra,
    }


class StubChat:
    def __init__(self, page, me, other):
        self.me, self.other = me, other
        self.room = {
            "id": str(uuid.uuid4()),
            "name": "design-team",
            "description": "Pixels and prototypes",
            "type": "public",
            "created_by": me["id"],
            "creator": {"id": me["id"], "username": me["username"], "avatar": ""},
            "member_count": 2,
            "last_message_at": None,
            "created_at": iso(NOW - timedelta(days=3)),
            "updated_at": iso(NOW),
        }
        self.read_at = None
        self.messages = []
        self.posted = []
        page.route(re.compile(r".*/api/v1/(rooms|dm|messages)(/.*|\?.*)?$"), self.handle)

    def members(self):
        return [
            {
                "user_id": u["id"],
                "user": {**u, "status": "", "is_online": True, "last_seen": None},
                "role": role,
                "read_at": read_at,
                "joined_at": iso(NOW - timedelta(days=3)),
            }
            for u, role, read_at in ((self.me, "admin", None), (self.other, "member", self.read_at))
        ]

    def handle(self, route):
        request = route.request
        path = request.url.split("/api/v1", 1)[1].split("?")[0]
        body = None
        rid = self.room["id"]
        if path == "/rooms/me":
            last = self.messages[-1] if self.messages else None
            body = {"data": [{**self.room, "unread_count": 0, "last_message": last}]}
        elif path == "/dm":
            body = {"data": []}
        elif path == f"/rooms/{rid}":
            body = {**self.room, "members": self.members()}
        elif path == f"/rooms/{rid}/messages" and request.method == "GET":
            data = list(reversed(self.messages))
            body = {"data": data, "total": len(data), "page": 1, "limit": 30, "total_pages": 1}
        elif path == f"/rooms/{rid}/messages" and request.method == "POST":
            sent = json.loads(request.post_data)
            self.posted.append(sent)
            saved = message(rid, self.me, sent["content"], datetime.now(UTC), client_msg_id=sent.get("client_msg_id"))
            self.messages.append(saved)
            return route.fulfill(status=201, json=saved)
        elif path == f"/rooms/{rid}/read":
            body = {"message": "Marked as read"}
        else:
            return route.fulfill(status=404, json={"error": "Not found"})
        route.fulfill(status=200, json=body)


@pytest.fixture
def chat(new_page, api):
    me, other = api.register("alice"), api.register("bob")

    def make(width=1280, height=760, color_scheme="light"):
        page = new_page(width=width, height=height, color_scheme=color_scheme)
        page.clock.install(time=NOW)
        stub = StubChat(page, me["user"], other["user"])
        page.add_init_script(f"sessionStorage.setItem('chatapp.token', {json.dumps(me['token'])})")
        return page, stub

    return make


def seed(stub):
    rid, me, bob = stub.room["id"], stub.me, stub.other
    old = NOW - timedelta(days=1, hours=2)
    first = message(rid, bob, "Morning! Did anyone look at the new onboarding flow?", old)
    stub.messages += [
        first,
        message(rid, me, "Yes, the first two screens feel great. https://example.com/spec", old + timedelta(minutes=3)),
        message(rid, bob, "<img src=x onerror=alert(1)>", NOW - timedelta(minutes=30)),
        message(
            rid,
            bob,
            "Sharing the mock",
            NOW - timedelta(minutes=20),
            type="file",
            file_url="/media/mock.pdf",
            file_name="onboarding-v2.pdf",
            file_size=482133,
        ),
        message(
            rid,
            me,
            "Looks good, shipping it",
            NOW - timedelta(minutes=10),
            is_edited=True,
            reply_to_id=first["id"],
            reply_to={
                "id": first["id"],
                "content": first["content"],
                "sender": {"id": bob["id"], "username": bob["username"]},
            },
        ),
        message(rid, bob, "", NOW - timedelta(minutes=8), is_deleted=True),
        message(rid, me, "One more tweak coming", NOW - timedelta(seconds=30)),
    ]
    stub.read_at = iso(NOW - timedelta(minutes=9))


def open_room(page, stub):
    page.goto("/")
    page.locator(".conv-item").filter(has_text="design-team").click()
    expect(page.locator("#conv-title")).to_have_text("design-team")


def test_messages_render_as_text_with_separators_replies_and_ticks(chat):
    page, stub = chat()
    seed(stub)
    open_room(page, stub)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    xss = page.locator(".msg").filter(has_text="<img src=x onerror=alert(1)>")
    expect(xss).to_have_count(1)
    assert xss.locator("img").count() == 0 and not dialogs
    expect(page.locator(".day-sep")).to_have_text(["Yesterday", "Today"])
    link = page.get_by_role("link", name="https://example.com/spec")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator(".file-chip")).to_contain_text("onboarding-v2.pdf")
    expect(page.locator(".msg-text.is-deleted")).to_have_text(re.compile("message deleted"))
    edited = page.locator(".msg").filter(has_text="Looks good, shipping it")
    expect(edited.locator(".edited")).to_have_text("(edited)")
    expect(edited.locator(".tick")).to_have_attribute("data-tick", "read")
    expect(edited.locator(".reply-quote")).to_contain_text("Did anyone look")


def test_edit_and_delete_only_inside_the_window(chat):
    page, stub = chat()
    seed(stub)
    open_room(page, stub)
    fresh = page.locator(".msg").filter(has_text="One more tweak coming")
    read = page.locator(".msg").filter(has_text="Looks good, shipping it")
    fresh.hover()
    expect(fresh.get_by_role("button", name="Edit message")).to_be_visible()
    expect(fresh.get_by_role("button", name="Delete message")).to_be_visible()
    expect(read.get_by_role("button", name="Edit message")).to_have_count(0)  # already read by bob
    page.clock.run_for(181_000)  # 30 s old + 181 s: the 3-minute window has closed
    expect(fresh.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(fresh.get_by_role("button", name="Delete message")).to_have_count(0)


def test_optimistic_send_then_confirmed_once(chat):
    page, stub = chat()
    open_room(page, stub)
    box = page.get_by_label("Message", exact=True)
    box.fill("Hello <b>team</b>")
    box.press("Enter")
    mine = page.locator(".msg.is-mine")
    expect(mine).to_have_count(1)
    expect(mine.locator(".tick")).not_to_have_attribute("data-tick", "pending")
    expect(mine.locator(".msg-text")).to_have_text("Hello <b>team</b>")
    assert len(stub.posted) == 1 and stub.posted[0]["client_msg_id"]
    box.fill("line one")
    box.press("Shift+Enter")
    box.type("line two")
    expect(box).to_have_value("line one\nline two")


def test_messages_take_their_place_in_created_at_then_id_order_however_they_arrive(chat):
    page, stub = chat()
    seed(stub)
    open_room(page, stub)
    rid, bob = stub.room["id"], stub.other
    # Same millisecond, apart by microseconds; then an exact tie broken by id, as the server orders.
    base = NOW - timedelta(seconds=5)
    ordered = [
        message(rid, bob, "first", base + timedelta(microseconds=100), id="00000000-0000-4000-8000-000000000001"),
        message(rid, bob, "second", base + timedelta(microseconds=700), id="00000000-0000-4000-8000-000000000003"),
        message(rid, bob, "third", base + timedelta(microseconds=900), id="00000000-0000-4000-8000-000000000002"),
        message(rid, bob, "fourth", base + timedelta(microseconds=900), id="00000000-0000-4000-8000-000000000004"),
    ]
    arrival = [ordered[i] for i in (3, 1, 0, 2)] + [ordered[1]]  # shuffled, and one twice
    page.evaluate("ms => ms.forEach(m => window.chatApp.store.applyMessage(m, {live: true}))", arrival)
    texts = page.locator(".msg .msg-text").all_inner_texts()
    assert texts[-4:] == ["first", "second", "third", "fourth"], texts
    assert texts.count("second") == 1
