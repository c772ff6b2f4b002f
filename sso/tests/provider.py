"""Starts the tests' OpenID provider (sso/tests/oidc_provider.mjs, the npm package oidc-provider)."""

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from realtime.tests.live_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "chatapp-test"
CLIENT_SECRET = "chatapp-test-secret-" + "x" * 24
PASSWORD = "any-password"


@dataclass(frozen=True)
class OpenIdProvider:
    issuer: str
    port: int
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


@contextmanager
def openid_provider(*, redirect_uris: list[str], issuer: str | None = None) -> Iterator[OpenIdProvider]:
    """A running provider; `issuer` defaults to http://127.0.0.1:<port>."""
    if not (ROOT / "node_modules" / "oidc-provider").exists():
        raise RuntimeError("node_modules/oidc-provider is missing: run `npm ci` (make test does)")
    port = free_port()
    issuer = issuer or f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["node", str(SCRIPT)],
        cwd=ROOT,
        env={
            **os.environ,
            "PORT": str(port),
            "ISSUER": issuer,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URIS": ",".join(redirect_uris),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        # Blocks until the script says it listens (or exits, which ends the output); the library's
        # start-up warnings (development keys and login form, in-memory storage) come first.
        seen = []
        for line in process.stdout:
            if line.startswith("ready"):
                break
            seen.append(line)
        else:
            raise RuntimeError("the OpenID provider did not start:\n" + "".join(seen))
        yield OpenIdProvider(issuer=issuer, port=port)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def sign_in_at_provider(authorize_url: str, *, login: str, stop_at: str) -> str:
    """Plays the browser at the provider: the login form, then consent. Returns the URL the
    provider finally redirects to (the one starting with `stop_at`), without following it."""
    session = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(12):
        response = session.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith(stop_at):
                return url
            continue
        response.raise_for_status()
        action = _FORM_ACTION.search(response.text)
        assert action, response.text[:2000]
        prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
        kind = prompt.group(1) if prompt else ""
        data = {"prompt": kind, **({"login": login, "password": PASSWORD} if kind == "login" else {})}
        url, method = urljoin(url, action.group(1)), "POST"
    raise AssertionError("the provider never redirected back")
