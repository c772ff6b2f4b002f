"""Signing in and being signed out: "Remember me" on by default, and a session that ends says so."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.e2e


def sign_in(page, user, *, remember: bool | None = None):
    page.goto("/login")
    page.get_by_placeholder("Email or Username").fill(user["username"])
    page.get_by_placeholder("Password", exact=True).fill(PASSWORD)
    if remember is not None:
        page.locator("#login-remember").set_checked(remember)
    page.get_by_role("button", name="Sign In").last.click()
    expect(page.locator("#me-name")).to_have_text(user["username"])


def test_remember_me_is_on_by_default_so_a_second_tab_is_signed_in(new_page, api):
    user = api.register()
    page = new_page()
    page.goto("/login")
    expect(page.locator("#login-remember")).to_be_checked()
    page.get_by_role("tab", name="Create Account").click()
    expect(page.locator("#reg-remember")).to_be_checked()
    sign_in(page, user)
    second = page.context.new_page()
    second.goto("/")
    expect(second.locator("#me-name")).to_have_text(user["username"])


def test_without_remember_me_the_token_stays_in_its_tab(new_page, api):
    user = api.register()
    page = new_page()
    sign_in(page, user, remember=False)
    assert page.evaluate("localStorage.getItem('chatapp.token')") is None
    second = page.context.new_page()
    second.goto("/")
    expect(second).to_have_url(re.compile(r"/login$"))


def test_a_revoked_session_lands_on_the_login_page_saying_why(new_page, api):
    user = api.register()
    page = new_page(user)
    expect(page.locator("#conn-dot")).to_have_attribute("data-state", "open")
    # Signed out elsewhere (another device's "Logout" of this token): the live socket is closed.
    assert api.call("POST", "/auth/logout", token=user["token"])[0] in (200, 204)
    expect(page).to_have_url(re.compile(r"/login$"))
    notice = page.locator("#session-ended")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Your session ended — please sign in again")
    expect(notice).to_contain_text("revoked")
    screenshot(page, "login-session-ended.png")
    # Said once: a later visit to the login page is a plain one.
    page.reload()
    expect(page.get_by_role("button", name="Sign In").last).to_be_visible()
    expect(notice).to_be_hidden()


def test_coming_back_with_a_revoked_token_says_the_session_ended(new_page, api):
    user = api.register()
    page = new_page()
    sign_in(page, user)
    token = page.evaluate("localStorage.getItem('chatapp.token')")
    context = page.context
    page.close()
    assert api.call("POST", "/auth/logout", token=token)[0] in (200, 204)
    # The next visit, in a new tab, finds a remembered token the server no longer takes.
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#session-ended")).to_contain_text("Your session ended — please sign in again")
    expect(page.locator("#session-ended")).to_contain_text("revoked")
