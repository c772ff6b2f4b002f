"""Password reset through a real SMTP server (aiosmtpd, in-process) and the real jobs worker."""

import email
import re
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.utils import timezone

from accounts.models import User
from accounts.services import password_reset_link
from conftest import DEFAULT_PASSWORD
from jobs.tests.worker import WorkerThread, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


class Mailbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    # aiosmtpd's controller connects to its own port once started, so it needs a real number.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PUBLIC_URL = "https://chat.example.com"
    yield mailbox
    controller.stop()


@pytest.fixture
def worker():
    thread = WorkerThread().start()
    yield thread
    thread.stop()


def forgot(client, address: str):
    return client.post("/api/v1/auth/password/forgot", {"email": address}, format="json")


def reset(client, uid: str, token: str, new_password: str = "brand-new-pw"):
    return client.post(
        "/api/v1/auth/password/reset", {"uid": uid, "token": token, "new_password": new_password}, format="json"
    )


def link_parts(message) -> tuple[str, str]:
    body = message.get_payload(decode=True).decode()
    match = re.search(r"https://chat\.example\.com/reset-password#uid=([\w-]+)&token=([\w-]+)", body)
    assert match, body
    return match.group(1), match.group(2)


def test_forgot_mails_a_one_time_link_that_resets_and_revokes(api_client, api_client_for, user, smtp_server, worker):
    older = api_client_for(user)
    response = forgot(api_client, "ALICE@example.com")
    assert response.status_code == 200
    message = wait_until(lambda: smtp_server.messages and smtp_server.messages[0], what="the reset mail")
    assert message["To"] == "alice@example.com"
    uid, token = link_parts(message)

    done = reset(api_client, uid, token)
    assert done.status_code == 200
    assert set(done.json()) == {"token", "user"} and done.json()["user"]["username"] == "alice"
    assert older.get("/api/v1/auth/me").status_code == 401  # every older token revoked
    assert api_client_for(user, token=done.json()["token"]).get("/api/v1/auth/me").status_code == 200
    assert (
        api_client.post(
            "/api/v1/auth/login", {"username": "alice", "password": "brand-new-pw"}, format="json"
        ).status_code
        == 200
    )

    again = reset(api_client, uid, token, "another-pw-1")
    assert again.status_code == 400  # used once: the password it was made for has changed
    assert again.json() == {"error": "This reset link is invalid or has expired"}


def test_unknown_email_gets_the_same_answer_and_no_mail(api_client, user, smtp_server, worker):
    from django_tasks_db.models import DBTaskResult

    known = forgot(api_client, "alice@example.com")
    unknown = forgot(api_client, "nobody@example.com")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    wait_until(lambda: len(smtp_server.messages) == 1, what="the one mail")
    wait_until(lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(), what="jobs done")
    assert [message["To"] for message in smtp_server.messages] == ["alice@example.com"]


def test_a_password_change_kills_an_unused_link(api_client, user):
    link = password_reset_link(user=user, base_url="https://chat.example.com")
    uid, token = re.search(r"uid=([\w-]+)&token=([\w-]+)", link).groups()
    user.set_password("changed-elsewhere")
    user.save()
    assert reset(api_client, uid, token).status_code == 400


def test_a_link_expires_after_the_timeout(api_client, user, settings):
    link = password_reset_link(user=user, base_url="https://chat.example.com")
    uid, token = re.search(r"uid=([\w-]+)&token=([\w-]+)", link).groups()
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 2), tick=False):
        assert reset(api_client, uid, token).status_code == 400
    assert reset(api_client, uid, token).status_code == 200  # within the hour it works


def test_garbage_uid_and_token_are_400_not_500(api_client, user):
    assert reset(api_client, "!!!", "x").status_code == 400
    assert reset(api_client, "bm90LWEtdXVpZA", "x").status_code == 400


def test_forgot_and_reset_share_the_login_rate_limit(api_client, settings, user):
    settings.RATE_LIMIT_AUTH = "2/m"
    statuses = [forgot(api_client, "nobody@example.com").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert reset(api_client, "x", "y").status_code == 429


def test_forgot_timing_does_not_tell_accounts_apart(api_client, user):
    def duration(address: str) -> float:
        started = time.perf_counter()
        forgot(api_client, address)
        return time.perf_counter() - started

    # Both answers do the same work (one job row): a generous bound catches a path that hashes,
    # builds a token or talks SMTP for known addresses only.
    known = min(duration("alice@example.com") for _ in range(3))
    unknown = min(duration("nobody@example.com") for _ in range(3))
    assert abs(known - unknown) < 0.1, (known, unknown)
    assert User.objects.get(pk=user.pk).check_password(DEFAULT_PASSWORD)
