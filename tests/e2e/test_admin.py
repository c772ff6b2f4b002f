"""Members & access (owners and admins) and deleting one's own account, driven through the web client.

These run on a server of their own: the first account registered on an empty server is its owner,
which the shared e2e server cannot promise (other modules register first).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Api, connected, running_chat_server, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chat_server():
    with running_chat_server(name="_admin") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def api(chat_server) -> Api:
    return Api(chat_server)


@pytest.fixture(scope="module")
def owner(api):
    user = api.register("owner")
    assert user["user"]["role"] == "owner", user["user"]
    return user


def open_admin(page):
    page.get_by_role("button", name="Members & access").click()
    dialog = page.locator("#admin-dialog")
    expect(dialog).to_be_visible()
    return dialog


def member_row(dialog, username):
    return dialog.locator("#admin-user-list li").filter(has_text=username)


def confirm(page, label):
    page.locator("#confirm-dialog").get_by_role("button", name=label).click()


def test_owner_searches_promotes_and_deactivates_a_member_whose_session_ends(new_page, api, owner):
    promoted = api.register("promo")
    leaving = api.register("leaving")
    leaving_page = connected(new_page(leaving))
    page = new_page(owner)
    dialog = open_admin(page)
    expect(member_row(dialog, owner["username"])).to_contain_text("(you)")

    dialog.get_by_label("Search members").fill(promoted["username"])
    expect(dialog.locator("#admin-user-list li")).to_have_count(1)
    dialog.get_by_label(f"Role of {promoted['username']}").select_option("admin")
    expect(dialog.locator("#admin-users-msg")).to_have_text(f"{promoted['username']} is now admin")
    _, listed = api.call("GET", f"/admin/users?q={promoted['username']}", token=owner["token"])
    assert [u["role"] for u in listed["data"]] == ["admin"]

    dialog.get_by_label("Search members").fill(leaving["username"])
    row = member_row(dialog, leaving["username"])
    expect(dialog.locator("#admin-user-list li")).to_have_count(1)
    row.get_by_role("button", name="Deactivate").click()
    confirm(page, "Deactivate")
    expect(row).to_contain_text("deactivated")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    # The deactivated member's open tab is signed out (its socket closed, its token revoked).
    expect(leaving_page).to_have_url(re.compile(r"/login$"))
    assert api.call("GET", "/auth/me", token=leaving["token"])[0] == 401

    dialog.get_by_label("Search members").fill("")
    expect(member_row(dialog, promoted["username"])).to_be_visible()  # everyone again
    screenshot(page, "admin-members.png")


def test_owner_creates_copies_and_revokes_an_invite_and_reads_the_audit_log(new_page, api, owner):
    page = new_page(owner)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    dialog = open_admin(page)
    dialog.get_by_role("tab", name="Invites").click()
    dialog.get_by_label("Email").fill("newcomer@example.com")
    dialog.get_by_label("Uses").fill("3")
    dialog.get_by_role("button", name="Create invite").click()
    url = dialog.get_by_role("textbox", name="Invite link")
    expect(url).to_have_value(re.compile(r"/join/\S+$"))
    link = url.input_value()
    dialog.get_by_role("button", name="Copy link").click()
    expect(dialog.locator("#invite-copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    row = dialog.locator("#invite-list li").filter(has_text="newcomer@example.com")
    expect(row).to_contain_text("0 of 3 used")
    screenshot(page, "admin-invites.png")

    # The code is shown once: open again and the link is gone, the invite is listed without it.
    page.keyboard.press("Escape")
    dialog = open_admin(page)
    dialog.get_by_role("tab", name="Invites").click()
    expect(dialog.locator("#invite-created")).to_be_hidden()
    row.get_by_role("button", name="Revoke").click()
    confirm(page, "Revoke")
    expect(row).to_have_count(0)
    code = link.rsplit("/", 1)[1]
    status, body = api.call(
        "POST",
        "/auth/register",
        {"username": "toolate", "email": "newcomer@example.com", "password": "secret123", "invite_code": code},
    )
    assert status in (400, 403), body  # a revoked code admits nobody

    dialog.get_by_role("tab", name="Audit log").click()
    entries = dialog.locator("#audit-list li")
    expect(entries.first).to_have_text(re.compile(f"^{owner['username']} revoked an invite for newcomer@example.com"))
    expect(entries.nth(1)).to_contain_text(f"{owner['username']} created an invite for newcomer@example.com")


def test_admin_sees_the_servers_refusal_and_only_owners_change_roles(new_page, api, owner):
    admin = api.register("admin")
    target = api.register("target")
    assert api.call("PATCH", f"/admin/users/{admin['user']['id']}", {"role": "admin"}, token=owner["token"])[0] == 200
    page = new_page(admin)
    dialog = open_admin(page)
    dialog.get_by_label("Search members").fill(target["username"])
    row = member_row(dialog, target["username"])
    expect(dialog.locator("#admin-user-list li")).to_have_count(1)
    expect(row.get_by_label(f"Role of {target['username']}")).to_be_disabled()
    # Made an admin after the list was drawn: an admin may not deactivate another admin (403).
    assert api.call("PATCH", f"/admin/users/{target['user']['id']}", {"role": "admin"}, token=owner["token"])[0] == 200
    row.get_by_role("button", name="Deactivate").click()
    confirm(page, "Deactivate")
    expect(dialog.locator("#admin-users-msg")).to_have_text(
        "Only owners can deactivate or reactivate owners and admins"
    )
    expect(row.get_by_role("button", name="Deactivate")).to_be_disabled()


def test_a_member_has_no_entry_point(new_page, api, owner):
    page = new_page(api.register("plain"))
    expect(page.locator("#btn-settings")).to_be_visible()
    expect(page.get_by_role("button", name="Members & access")).to_be_hidden()


def test_delete_account_signs_out_and_the_account_cannot_sign_in(new_page, api, owner):
    user = api.register("quitter")
    page = new_page(user)
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("tab", name="Security & Account").click()
    form = page.locator("#form-delete-account")
    form.get_by_label("Current password").fill("not-my-password")
    form.get_by_role("button", name="Delete my account").click()
    confirm(page, "Delete account")
    expect(form.locator('[data-field-error="current_password"]')).to_have_text("Current password is incorrect")

    form.get_by_label("Current password").fill(user["password"])
    form.get_by_label("Also erase my messages").check()
    screenshot(page, "delete-account.png")
    form.get_by_role("button", name="Delete my account").click()
    confirm(page, "Delete account")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("body")).to_contain_text("Your account has been deleted.")
    page.locator("#login-identifier").fill(user["username"])
    page.locator("#login-password").fill(user["password"])
    page.locator("#form-signin").get_by_role("button", name="Sign In").click()
    expect(page.locator("#form-signin [data-form-error]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))
    status, _ = api.call("POST", "/auth/login", {"email": user["email"], "password": user["password"]})
    assert status == 401
