"""What a newcomer notices in the first hour: the bundled font, the composer's length limit,
Arrow-Up to edit, voice notes and audio names, and the DM header's status line.

Each waits on what a user would see, never on a fixed sleep.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def connected(page):
    expect(page.locator("#conn-dot")).to_have_attribute("data-state", "open")
    return page


def open_dm(page, other):
    page.get_by_role("combobox", name="Search people to message").fill(other["username"])
    page.get_by_role("option", name=re.compile(other["username"])).click()
    expect(page.locator("#conv-title")).to_have_text(other["username"])


def test_the_design_font_is_bundled_and_loads_without_the_network(new_page, chat_server):
    page = new_page()
    # Nothing but this server answers: a font from a CDN (or none at all) cannot pass.
    page.route(re.compile(r"^(?!" + re.escape(chat_server) + ").*"), lambda route: route.abort())
    page.goto("/login")
    expect(page.get_by_role("heading", name="ChatApp")).to_be_visible()
    faces = page.evaluate(
        """async () => {
            await document.fonts.ready;
            return [...document.fonts].map((f) => ({ family: f.family.replace(/"/g, ""), status: f.status }));
        }"""
    )
    assert {"family": "Inter", "status": "loaded"} in faces, faces
    response = page.request.get("/static/fonts/inter-latin-wght-normal.woff2")
    assert response.status == 200 and response.body()[:4] == b"wOF2"
    assert page.request.get("/static/fonts/Inter-OFL.txt").status == 200
