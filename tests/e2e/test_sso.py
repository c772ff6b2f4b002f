"""Single sign-on in a real browser against a real OpenID provider process (oidc-provider).

The chat server here is its own (SSO configured through the environment, as an operator would);
the provider's development login form stands in for a company's sign-in page.
"""

import contextlib
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from realtime.tests.live_servers import free_port
from sso.services import EMAIL_NOT_VERIFIED
from sso.tests.provider import PASSWORD, openid_provider
from sso.views import STATE_MISMATCH
from tests.e2e.conftest import running_chat_server, screenshot

LABEL = "Sign in with Test IdP"


@contextlib.contextmanager
def chat_server_with_provider(name: str, **extra_env: str) -> Iterator[str]:
    """A chat server signing in through its own OpenID provider process, with `extra_env`."""
    port = free_port()
    with openid_provider(redirect_uris=[f"http://127.0.0.1:{port}/sso/callback"]) as provider:
        env = {
            "OIDC_ISSUER": provider.issuer,
            "OIDC_CLIENT_ID": provider.client_id,
            "OIDC_CLIENT_SECRET": provider.client_secret,
            "OIDC_BUTTON_LABEL": LABEL,
            **extra_env,
        }
        with running_chat_server(port=port, name=name, extra_env=env) as base_url:
            yield base_url


@pytest.fixture(scope="module")
def sso_server():
    with chat_server_with_provider("_sso") as base_url:
        yield base_url


@pytest.fixture
def sso_page(browser, sso_server):
    """A page on the SSO server that records every address it asks for or goes to."""
    context = browser.new_context(base_url=sso_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.addresses = []
    page.on("request", lambda request: page.addresses.append(request.url))
    page.on("framenavigated", lambda frame: page.addresses.append(frame.url))
    yield page
    context.close()


def sign_in_at_provider(page, login: str) -> None:
    page.goto("/login")
    page.get_by_role("link", name=LABEL).click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_sso_button_signs_in_through_the_provider_and_no_token_is_in_any_address(sso_page):
    page = sso_page
    page.goto("/login")
    expect(page.get_by_role("link", name=LABEL)).to_be_visible()
    screenshot(page, "login-sso.png")

    sign_in_at_provider(page, "pat@example.com")

    expect(page.locator("#me-name")).to_have_text("pat")
    assert urlsplit(page.url).path == "/"  # the workspace, not the login page
    token = page.evaluate("sessionStorage.getItem('chatapp.token') || localStorage.getItem('chatapp.token')")
    assert token and token.count(".") == 2
    visited = "\n".join(page.addresses)
    assert "/sso/callback?code=" in visited  # the recording saw the whole round trip
    assert token not in visited
    assert token.split(".")[2] not in visited  # not even the signature alone
    # The one-time code went by in the fragment only, and is gone from the history entry.
    assert not any("sso_code" in address.split("#")[0] for address in page.addresses)
    assert "sso_code" not in page.evaluate("location.href")


def test_unverified_email_is_refused_with_the_reason(sso_page):
    sign_in_at_provider(sso_page, "unverified-quinn@example.com")

    expect(sso_page.locator("#sso-error")).to_have_text(EMAIL_NOT_VERIFIED)
    assert sso_page.evaluate("sessionStorage.getItem('chatapp.token')") is None


def test_a_callback_without_this_browsers_state_is_refused(sso_page):
    page = sso_page
    page.goto("/login")
    page.get_by_role("link", name=LABEL).click()
    # The sign-in started in this browser is forgotten on the chat server's side (its session
    # cookie gone) before the provider sends the browser back: the state matches nothing.
    page.context.clear_cookies(name="sessionid")
    page.locator('input[name="login"]').fill("rita@example.com")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#sso-error")).to_have_text(STATE_MISMATCH)
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()
    assert re.search(r"/sso/callback\?", page.url)


@pytest.fixture(scope="module")
def sso_only_server():
    """A server where single sign-on is the only way in (OIDC_ONLY)."""
    with chat_server_with_provider("_sso_only", OIDC_ONLY="true") as base_url:
        yield base_url


def test_with_sso_only_the_login_page_offers_the_button_alone_and_it_signs_in(browser, sso_only_server):
    context = browser.new_context(base_url=sso_only_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login")
    expect(page.get_by_role("link", name=LABEL)).to_be_visible()
    # No password form, no sign-up tab: nothing to type a password into that the server would refuse.
    expect(page.get_by_role("tab", name="Create Account")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign In")).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)
    expect(page.locator('input[type="password"]:visible')).to_have_count(0)

    sign_in_at_provider(page, "sol@example.com")
    expect(page.locator("#me-name")).to_have_text("sol")
    context.close()
