"""`manage.py check --deploy` with production settings, in a fresh process (settings read the env once)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SECURE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="chatapp.settings",
        DEBUG="false",
        TESTING="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        REDIS_URL=settings.REDIS_URL,
        ALLOWED_HOSTS="chat.example.com",
        ALLOWED_ORIGINS="https://chat.example.com",
        TRUSTED_PROXIES="10.0.0.0/8",
        LOG_LEVEL="ERROR",
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_check_deploy_passes_at_warning_level_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
c = Client()
plain = c.get('/api/v1/rooms', HTTP_HOST='chat.example.com')
proxied = c.get('/login', HTTP_HOST='chat.example.com', HTTP_X_FORWARDED_PROTO='https')
health = c.get('/health', HTTP_HOST='chat.example.com')
print(json.dumps({
    'plain': [plain.status_code, plain.get('Location')],
    'proxied': [proxied.status_code, proxied.get('Strict-Transport-Security'), proxied.get('X-Frame-Options'),
                proxied.get('Content-Security-Policy'), proxied.get('X-Content-Type-Options')],
    'health': health.status_code,
    'cookies': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def test_production_redirects_plain_http_and_sends_hsts_csp_and_frame_headers_behind_the_proxy():
    result = run_python(PROBE, production_env())
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["plain"] == [301, "https://chat.example.com/api/v1/rooms"]
    status, hsts, frame, csp, nosniff = outcome["proxied"]
    assert status == 200
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert frame == "DENY"
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert nosniff == "nosniff"
    assert outcome["health"] == 200  # probes over plain HTTP are not redirected
    assert outcome["cookies"] == [True, True]


def test_debug_keeps_plain_http_for_make_run():
    result = run_python(PROBE, production_env(DEBUG="true"))
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["plain"] == [401, None]  # answered over HTTP, not redirected
    assert outcome["proxied"][1] is None  # no HSTS
    assert outcome["cookies"] == [False, False]


ADMIN_LOGIN_PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
page = Client().get('/admin/login/', HTTP_HOST='chat.example.com')
print(json.dumps({
    'status': page.status_code,
    'csrf_cookie_secure': bool(page.cookies['csrftoken']['secure']),
    'settings': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def test_plain_http_production_sends_cookies_the_admin_login_can_send_back():
    result = run_python(ADMIN_LOGIN_PROBE, production_env(SECURE_SSL_REDIRECT="false"))
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"status": 200, "csrf_cookie_secure": False, "settings": [False, False]}


def test_secure_cookies_can_still_be_asked_for_without_the_redirect():
    # A TLS proxy that redirects by itself: no redirect here, cookies still Secure when asked.
    env = production_env(SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="true", CSRF_COOKIE_SECURE="true")
    result = run_python(ADMIN_LOGIN_PROBE, env)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"status": 200, "csrf_cookie_secure": True, "settings": [True, True]}
