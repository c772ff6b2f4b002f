"""Real-browser tests: a live daphne on its own PostgreSQL database, driven by Debian's Chromium.

The live server is a separate process, so pytest-django's test database is of no use to it: the
session creates `<DATABASE_URL's name>_e2e` itself, migrates it, and starts daphne on a free port.
In parallel runs each worker has its own (`..._e2e_gw0`), and its own var directory and preview address.
"""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from realtime.tests.live_servers import free_port
from tests.workers import worker_index, worker_suffix

# Push endpoints the live server accepts over plain HTTP (nothing listens there: the browser tests
# check the client's side; notifications/tests send real pushes to a real test push service).
PUSH_ORIGIN = "http://127.0.0.1:9"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "secret123"
# The one address link previews may fetch from in these tests (a test's own web site listens there
# on port 80, so each parallel worker has its own: 127.0.0.77, .78, ...), and the live server's
# environment, for processes that share its database.
PREVIEW_SITE = f"127.0.0.{77 + worker_index()}"
SERVER_ENV: dict[str, str] = {}
VAR_DIR = ROOT / "var" / f"e2e{worker_suffix()}"


# The root conftest clears the cache (a FLUSHDB on Redis) around every test; here that would wipe
# the live server's channel-layer groups in the middle of a test, so e2e tests opt out.
@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache():
    yield


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _vapid_keys() -> tuple[str, str]:
    """A fresh VAPID pair for the live server (base64url: the raw private key, the public point)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(key.private_numbers().private_value.to_bytes(32, "big")), b64url(public)


def _e2e_database_url(suffix: str = "") -> str:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/chatapp"
    parts = urlsplit(base)
    if parts.scheme not in ("postgres", "postgresql"):
        pytest.fail(f"the browser tests need PostgreSQL; DATABASE_URL is {parts.scheme or 'unset'}")
    base_name = os.environ.get("E2E_DATABASE_NAME") or f"{parts.path.lstrip('/') or 'chatapp'}_e2e"
    name = f"{base_name}{suffix}{worker_suffix()}"
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def chat_server() -> Iterator[str]:
    with running_chat_server() as base_url:
        yield base_url


@contextmanager
def running_chat_server(
    *, port: int | None = None, name: str = "", extra_env: dict | None = None, jobs_worker: bool = False
) -> Iterator[str]:
    """A live daphne on its own database (`<e2e database><name>`) and key prefixes, with `extra_env`;
    with `jobs_worker`, a `manage.py jobs_worker` process beside it on the same settings."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    vapid_private, vapid_public = _vapid_keys()
    env = {
        **os.environ,
        "DATABASE_URL": _e2e_database_url(name),
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        # Its own key prefixes: nothing shared with the test process or another server on this Redis.
        "CHANNEL_PREFIX": f"e2e{os.getpid()}{name}",
        "CACHE_PREFIX": f"e2e{os.getpid()}{name}",
        "SECRET_KEY": "e2e-" + uuid.uuid4().hex,
        "DEBUG": "false",
        "TESTING": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ALLOWED_ORIGINS": base_url,
        "RATE_LIMIT_AUTH": "1000/m",
        "RATE_LIMIT_API": "100000/m",
        "WS_HANDSHAKES_PER_IP_PER_MINUTE": "100000",
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on 127.0.0.1: no redirect to https, cookies allowed without TLS.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "VAPID_PRIVATE_KEY": vapid_private,
        "VAPID_PUBLIC_KEY": vapid_public,
        "VAPID_SUBJECT": "mailto:e2e@example.com",
        "PUSH_ENDPOINT_ALLOWLIST": PUSH_ORIGIN,
        "VAR_DIR": str(VAR_DIR),
        "MEDIA_ROOT": str(VAR_DIR / "media"),
        "LINK_PREVIEW_ALLOWED_NETWORKS": f"{PREVIEW_SITE}/32",
        **(extra_env or {}),
    }
    if not name:  # the session's server (chat_server): the one SERVER_ENV describes
        SERVER_ENV.update(env)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if migrate.returncode:
        pytest.fail(f"migrating the e2e database failed:\n{migrate.stdout}\n{migrate.stderr}")
    log_path = VAR_DIR / f"daphne{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chatapp.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = None
    if jobs_worker:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "jobs_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"daphne exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"daphne did not answer /health within 30 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base_url
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


# Package scope: Playwright's sync API keeps its event loop marked as running in this thread while
# it is started, which fails every asyncio test (and Django's database calls) run beside it. A
# parallel worker runs other tests between browser test files, so the browser closes whenever the
# worker leaves tests/e2e (and stays open across them in a run of tests/e2e alone).
@pytest.fixture(scope="package")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(apt-get install -y chromium; .ci/run does this). They are never skipped."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Api:
    """Just enough of the REST API to set tests up quickly and to check what the UI did."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.base_url}/api/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def register(self, prefix: str = "user") -> dict:
        name = f"{prefix}{uuid.uuid4().hex[:8]}"
        status, body = self.call(
            "POST", "/auth/register", {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        )
        assert status == 201, body
        return {"username": name, "email": f"{name}@example.com", "password": PASSWORD, **body}


@pytest.fixture(scope="session")
def api(chat_server) -> Api:
    return Api(chat_server)


@pytest.fixture
def new_page(browser, chat_server):
    """new_page(user=None, width=1280, height=800, init_script=None) -> a page in its own context
    (its own storage).

    Each page records console messages in `page.console_lines` and uncaught errors in
    `page.page_errors`; with a user, the page opens the workspace already signed in.
    """
    contexts = []

    def make(
        user: dict | None = None,
        *,
        width: int = 1280,
        height: int = 800,
        color_scheme: str = "light",
        install_clock: bool = False,
        init_script: str | None = None,
    ):
        context = browser.new_context(
            base_url=chat_server, viewport={"width": width, "height": height}, color_scheme=color_scheme
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if init_script:  # runs before the app's own scripts, in every page of the context
            context.add_init_script(init_script)
        if user:
            # Once per tab, not on every navigation: a logout must stay a logout.
            context.add_init_script(
                "if (!sessionStorage.getItem('e2e.seeded')) {"
                f" sessionStorage.setItem('chatapp.token', {json.dumps(user['token'])});"
                " sessionStorage.setItem('e2e.seeded', '1'); }"
            )
        page = context.new_page()
        page.console_lines = []
        page.page_errors = []
        page.on("console", lambda message: page.console_lines.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: page.page_errors.append(str(error)))
        if install_clock:
            page.clock.install()  # before any script runs, so every timer is under the test's control
        if user:
            page.goto("/")
            page.locator("#me-name").filter(has_text=user["username"]).wait_for()
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), animations="disabled", caret="hide")


def assert_fits_phone(page) -> None:
    """No sideways scrolling, and the sidebar's controls inside the screen: what every phone-width
    test checks on every screen it visits."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page is {width} px wide in a {inner} px viewport"
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('button, .conn-dot, .badge, .conv-time')]
          .filter((el) => el.offsetParent !== null)
          .filter((el) => { const r = el.getBoundingClientRect(); return r.width && r.right > window.innerWidth + 0.5; })
          .map((el) => el.id || el.getAttribute('aria-label') || el.className)"""
    )
    assert not overflowing, f"off screen at {inner} px: {overflowing}"


def connected(page):
    """Waits until the page's socket is open (the connection dot)."""
    from playwright.sync_api import expect

    expect(page.locator("#conn-dot")).to_have_attribute("data-state", "open")
    return page


def send(page, text):
    """Types `text` in the composer and sends it with Enter."""
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def bubble(page, text):
    """The message whose own text is `text` (not a reply quoting it)."""
    exact = re.compile(f"^{re.escape(text)}$")
    return page.locator(".msg").filter(has=page.locator(".msg-text", has_text=exact))
