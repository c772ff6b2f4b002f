"""The web client in a real Chromium: sign-in, settings, logout, CSP and the phone layout."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, assert_fits_phone, screenshot

pytestmark = pytest.mark.e2e


def open_settings(page, tab: str = "Profile"):
    page.get_by_role("button", name="Settings").click()
    dialog = page.locator("#settings-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("tab", name=tab).click()
    return dialog


def test_register_then_sign_in_with_username_and_with_email(new_page, api):
    page = new_page()
    page.goto("/login")
    page.get_by_role("tab", name="Create Account").click()
    name = f"newbie{api.register()['username'][-6:]}"
    page.get_by_placeholder("Username", exact=True).fill(name)
    page.get_by_role("textbox", name="Email", exact=True).fill(f"{name}@example.com")
    page.get_by_placeholder("Password (6+ characters)", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create Account").last.click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#me-name")).to_have_text(name)
    expect(page.get_by_role("heading", name="Welcome to your Workspace")).to_be_visible()

    for identifier in (name, f"{name}@example.com"):
        other = new_page()
        other.goto("/login")
        other.get_by_placeholder("Email or Username").fill(identifier)
        other.get_by_placeholder("Password", exact=True).fill(PASSWORD)
        other.get_by_placeholder("Password", exact=True).press("Enter")
        expect(other.locator("#me-name")).to_have_text(name)


def test_wrong_password_is_shown_inline(new_page, api):
    user = api.register()
    page = new_page()
    page.goto("/login")
    page.get_by_placeholder("Email or Username").fill(user["username"])
    page.get_by_placeholder("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign In").last.click()
    error = page.locator("#form-signin [data-form-error]")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_register_shows_the_apis_field_errors_under_each_field(new_page, api):
    taken = api.register()
    page = new_page()
    page.goto("/login")
    page.get_by_role("tab", name="Create Account").click()
    page.get_by_placeholder("Username", exact=True).fill("a!")
    page.get_by_role("textbox", name="Email", exact=True).fill("not-an-email")
    page.get_by_placeholder("Password (6+ characters)", exact=True).fill("123")
    page.get_by_role("button", name="Create Account").last.click()
    for field in ("username", "email", "password"):
        expect(page.locator(f"#reg-{field}-error")).to_be_visible()
        expect(page.locator(f"#reg-{field}")).to_have_attribute("aria-invalid", "true")

    # A conflict (no `fields`) shows as the form's message.
    page.get_by_placeholder("Username", exact=True).fill(taken["username"])
    page.get_by_role("textbox", name="Email", exact=True).fill(f"x{taken['email']}")
    page.get_by_placeholder("Password (6+ characters)", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create Account").last.click()
    expect(page.locator("#form-register [data-form-error]")).to_contain_text("taken")


def test_theme_and_background_persist_after_reload(new_page, api):
    page = new_page(api.register())
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    dialog = open_settings(page, "Appearance")
    dialog.get_by_text("Dark", exact=True).click()
    dialog.get_by_text("Dots", exact=True).click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("html")).to_have_attribute("data-chat-bg", "dots")
    dialog = open_settings(page, "Appearance")
    expect(dialog.locator('input[name="theme"][value="dark"]')).to_be_checked()


def test_settings_profile_status_and_password_change(new_page, api):
    user = api.register()
    page = new_page(user)
    dialog = open_settings(page)
    dialog.get_by_label("Status message").fill("Shipping the web client")
    dialog.get_by_role("button", name="Save Changes").click()
    expect(dialog.locator("#spanel-profile [data-form-msg]")).to_have_text("Saved")
    expect(page.locator("#me-status")).to_have_text("Shipping the web client")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    dialog = open_settings(page, "Security & Account")
    form = dialog.locator("#form-password")
    form.get_by_label("Current password").fill("wrong-password")
    form.get_by_label("New password").fill("better-secret-1")
    form.get_by_role("button", name="Update password").click()
    expect(form.locator("[data-form-msg]")).to_contain_text("incorrect")
    expect(page).to_have_url(re.compile(r"/$"))  # a wrong current password is not a logout

    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_role("button", name="Update password").click()
    expect(form.locator("[data-form-msg]")).to_have_text("Password updated")
    # The page carries on with the fresh token; the old one and the old password are refused.
    page.reload()
    expect(page.locator("#me-status")).to_have_text("Shipping the web client")
    assert api.call("GET", "/auth/me", token=user["token"])[0] == 401
    assert api.call("POST", "/auth/login", {"username": user["username"], "password": PASSWORD})[0] == 401
    assert api.call("POST", "/auth/login", {"username": user["username"], "password": "better-secret-1"})[0] == 200


def test_logout_returns_to_login_and_the_old_token_is_refused(new_page, api):
    user = api.register()
    page = new_page(user)
    token = page.evaluate("sessionStorage.getItem('chatapp.token')")
    assert token == user["token"]
    dialog = open_settings(page, "Security & Account")
    dialog.get_by_role("button", name="Logout Session").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.evaluate("sessionStorage.getItem('chatapp.token')") is None
    assert api.call("GET", "/auth/me", token=token)[0] == 401
    # And the workspace itself sends a signed-out visitor back to the login page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_pages_send_a_strict_csp_and_load_without_violations(new_page, api, chat_server):
    page = new_page()
    response = page.goto("/login")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "style-src 'self'" in policy and "connect-src 'self'" in policy
    expect(page.get_by_role("heading", name="ChatApp")).to_be_visible()

    page = new_page(api.register())
    open_settings(page, "Appearance")
    page.wait_for_load_state("networkidle")
    lines = page.console_lines + page.page_errors
    assert not [line for line in lines if "Content Security Policy" in line or "Refused to" in line], lines
    assert not page.page_errors
    # The address the first web client lived at still leads to the app.
    page.goto("/static/index.html")
    expect(page).to_have_url(f"{chat_server}/")


def test_phone_width_has_no_horizontal_scroll(new_page, api):
    page = new_page(width=375, height=740)
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign In").last).to_be_visible()
    assert_fits_phone(page)

    page = new_page(api.register(), width=375, height=740)
    expect(page.locator("#sidebar")).to_be_visible()
    assert_fits_phone(page)
    open_settings(page, "Appearance")
    assert_fits_phone(page)


def test_screenshots_of_login_and_settings(new_page, api):
    page = new_page(width=1280, height=720)
    page.goto("/login")
    expect(page.get_by_role("heading", name="ChatApp")).to_be_visible()
    screenshot(page, "login.png")

    user = api.register("alice")
    api.call("PATCH", "/auth/me", {"status": "Designing the new onboarding"}, token=user["token"])
    for theme in ("light", "dark"):
        page = new_page(user, width=1280, height=720, color_scheme=theme)
        dialog = open_settings(page)
        expect(dialog.get_by_label("Status message")).to_have_value("Designing the new onboarding")
        page.locator(":focus").blur() if page.locator(":focus").count() else None
        screenshot(page, f"settings-{theme}.png")
