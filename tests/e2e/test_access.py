"""Getting in and back in from the login page: an invitation's /join/<code> page, "Forgot password?"."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Api, running_chat_server, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chat_server():
    # A server of its own: the first account on an empty server is its owner, who may invite;
    # the shared e2e server cannot promise which module registers first.
    with running_chat_server(name="_access") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def api(chat_server) -> Api:
    return Api(chat_server)


@pytest.fixture(scope="module")
def inviter(api):
    user = api.register("inviter")
    assert user["user"]["role"] == "owner", user["user"]
    return user


def test_join_page_registers_with_the_invitation(new_page, api, inviter):
    status, invite = api.call("POST", "/invites", {}, token=inviter["token"])
    assert status == 201, invite
    page = new_page()
    page.goto(f"/join/{invite['code']}")
    expect(page.locator("#reg-invited")).to_be_visible()
    page.locator("#reg-username").fill("joiner" + invite["id"][:6])
    page.locator("#reg-email").fill(f"joiner{invite['id'][:6]}@example.com")
    page.locator("#reg-password").fill(PASSWORD)
    screenshot(page, "join-invite.png")
    page.get_by_role("button", name="Create Account").last.click()
    expect(page).to_have_url(re.compile(r"/$"))
    _, listed = api.call("GET", "/invites", token=inviter["token"])
    assert [row["uses"] for row in listed["data"] if row["id"] == invite["id"]] == [1]


def test_forgot_password_answers_the_same_for_anyone(new_page, api):
    user = api.register()
    page = new_page()
    page.goto("/login")
    page.get_by_role("button", name="Forgot password?").click()
    page.locator("#forgot-email").fill(user["email"])
    page.get_by_role("button", name="Send reset link").click()
    note = page.locator("#form-forgot [data-sent]")
    expect(note).to_have_text("If an account has this email, a reset link is on its way.")
    screenshot(page, "forgot-password.png")
    page.locator("#forgot-email").fill("nobody-here@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(note).to_have_text("If an account has this email, a reset link is on its way.")


def test_reset_page_with_a_bad_link_says_so(new_page):
    page = new_page()
    page.goto("/reset-password#uid=bm9wZQ&token=nope")
    expect(page).to_have_url(re.compile(r"/reset-password$"))  # the fragment left the address bar
    page.get_by_placeholder("New password (6+ characters)").fill("brand-new-pw")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#form-reset")).to_contain_text("This reset link is invalid or has expired")
    screenshot(page, "reset-password.png")
