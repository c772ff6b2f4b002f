"""Forgot password → the mail a real SMTP server receives → its link in the browser → signed in with
the new password. The server runs its real jobs worker (the mail is a job) and mails through
`EMAIL_URL` to an aiosmtpd server in this process."""

import email
import queue
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from playwright.sync_api import expect

from realtime.tests.live_servers import free_port
from tests.e2e.conftest import PASSWORD, Api, running_chat_server

pytestmark = pytest.mark.e2e


class Mailbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.received: queue.Queue[email.message.Message] = queue.Queue()

    def handle_message(self, message) -> None:
        self.received.put(message)


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    # aiosmtpd's controller connects to its own port once started, so it needs a real number.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def chat_server(mailbox):
    port = free_port()
    env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{mailbox.port}",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DEFAULT_FROM_EMAIL": "chat@example.com",
    }
    with running_chat_server(port=port, name="_mail", extra_env=env, jobs_worker=True) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def api(chat_server) -> Api:
    return Api(chat_server)


def test_the_mailed_link_sets_a_new_password_and_signs_in(new_page, api, mailbox, chat_server):
    user = api.register("forgetful")
    page = new_page()
    page.goto("/login")
    page.get_by_role("button", name="Forgot password?").click()
    page.locator("#forgot-email").fill(user["email"].upper())
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#form-forgot [data-sent]")).to_be_visible()

    mail = mailbox.received.get(timeout=30)  # sent by the server's jobs worker
    assert mail["To"] == user["email"]
    body = mail.get_payload(decode=True).decode()
    link = re.search(re.escape(chat_server) + r"/reset-password#uid=[\w-]+&token=[\w-]+", body)
    assert link, body

    page.goto(link.group(0))
    expect(page).to_have_url(re.compile(r"/reset-password$"))  # the token left the address bar
    page.get_by_placeholder("New password (6+ characters)").fill("brand-new-pw")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#me-name")).to_have_text(user["username"], timeout=15000)

    old, _ = api.call("POST", "/auth/login", {"email": user["email"], "password": PASSWORD})
    new, _ = api.call("POST", "/auth/login", {"email": user["email"], "password": "brand-new-pw"})
    assert (old, new) == (401, 200)
    revoked, _ = api.call("GET", "/auth/me", token=user["token"])
    assert revoked == 401  # the reset ended the sessions that came before it

    page = new_page()  # signed out, as whoever finds the used link would be
    page.goto(link.group(0))  # the link works once
    page.get_by_placeholder("New password (6+ characters)").fill("another-pw")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#form-reset")).to_contain_text("This reset link is invalid or has expired")
