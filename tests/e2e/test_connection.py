"""The connection as a user sees it: the banner when the socket cannot connect (and why), a dead
connection noticed by its missing pongs, and messages that failed meanwhile sent once it is back."""

import json
import re
import socketserver
import threading

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


class RefuseHandshakes(socketserver.BaseRequestHandler):
    """Answers every WebSocket handshake as a server refusing its origin does: 403, no upgrade."""

    def handle(self) -> None:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            received += chunk
        self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def refusing_origin(browser, chat_server, api):
    """A page whose own origin refuses the socket while its HTTP requests reach the chat server.

    The page is served from a stand-in origin; Playwright carries every HTTP request to the real
    server, but the WebSocket (not routed) reaches the stand-in, which refuses it with 403.
    """
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefuseHandshakes)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    contexts = []

    def make(*, health_reachable: bool = True):
        user = api.register("ws")
        context = browser.new_context(base_url=origin)
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.add_init_script(f"sessionStorage.setItem('chatapp.token', {json.dumps(user['token'])});")

        def forward(route):
            if route.request.url.endswith("/health") and not health_reachable:
                return route.abort("connectionrefused")
            route.fulfill(response=route.fetch(url=route.request.url.replace(origin, chat_server)))

        context.route(re.compile(r"^http://127\.0\.0\.1:\d+/"), forward)
        page = context.new_page()
        page.goto("/")
        expect(page.locator("#me-name")).to_have_text(user["username"])
        return page

    yield make
    for context in contexts:
        context.close()
    server.shutdown()
    server.server_close()


def test_a_refused_socket_shows_the_banner_saying_the_server_refused(refusing_origin):
    page = refusing_origin()
    banner = page.locator("#conn-banner")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("refused")
    expect(page.locator("#conn-dot")).to_have_attribute("data-state", "reconnecting")
    screenshot(page, "connection-refused.png")


def test_an_unreachable_server_shows_the_cant_reach_banner(refusing_origin):
    page = refusing_origin(health_reachable=False)
    banner = page.locator("#conn-banner")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("Can't reach the chat server")


def test_a_dead_connection_is_noticed_and_what_failed_meanwhile_is_sent_after(new_page, api):
    user = api.register("dead")
    status, room = api.call("POST", "/rooms", {"name": f"dead-{user['username'][-6:]}"}, token=user["token"])
    assert status == 201, room
    page = new_page()
    # A heartbeat of a second and a pong deadline of two, so the test waits seconds, not half a minute.
    page.context.add_init_script(
        "window.chatAppSocketSettings = { pingEveryMs: 1000, pongTimeoutMs: 2000 };"
        f"sessionStorage.setItem('chatapp.token', {json.dumps(user['token'])});"
    )
    page.goto(f"/#room={room['id']}")
    expect(page.locator("#conv-title")).to_have_text(room["name"])
    dot = page.locator("#conn-dot")
    expect(dot).to_have_attribute("data-state", "open")

    # The network goes away without a close event: the missing pongs give it away.
    page.context.set_offline(True)
    expect(page.locator("#conn-banner")).to_be_visible()
    expect(dot).to_have_attribute("data-state", "reconnecting")

    box = page.get_by_label("Message", exact=True)
    box.fill("written while offline")
    box.press("Enter")
    sent = page.locator(".msg").filter(has_text="written while offline")
    expect(sent.locator(".msg-failed")).to_be_visible()

    page.context.set_offline(False)
    expect(dot).to_have_attribute("data-state", "open", timeout=30_000)
    expect(page.locator("#conn-banner")).to_be_hidden()
    expect(sent.locator(".tick")).to_have_attribute("data-tick", re.compile("sent|delivered|read"))
    expect(sent.locator(".msg-failed")).to_have_count(0)
    status, history = api.call("GET", f"/rooms/{room['id']}/messages", token=user["token"])
    assert [m["content"] for m in history["data"]].count("written while offline") == 1, history
