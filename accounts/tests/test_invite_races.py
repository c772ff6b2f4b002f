"""Registrations racing on PostgreSQL, in real threads with their own connections and transactions."""

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import Invite, Role, User
from chatapp.errors import DomainError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the race is about PostgreSQL's row locks"),
]


def race(*registrations: dict) -> list[str]:
    """Runs each registration in its own thread at once; returns "ok" or the refusal, in order."""
    barrier = threading.Barrier(len(registrations))
    outcomes: list[str] = [""] * len(registrations)

    def run(index: int, kwargs: dict) -> None:
        try:
            barrier.wait(timeout=10)
            services.user_register(password="secret123", **kwargs)
            outcomes[index] = "ok"
        except DomainError as error:
            outcomes[index] = error.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, kwargs)) for i, kwargs in enumerate(registrations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_registrations_on_a_one_use_invite_exactly_one_wins(settings):
    settings.REGISTRATION = "invite"
    admin = User.objects.create_user("adam", "adam@example.com", "secret123", role=Role.ADMIN)
    code = services.invite_create(actor=admin).code
    for _ in range(5):  # a few rounds: each must have exactly one winner
        outcomes = race(
            {"username": "first", "email": "first@example.com", "invite_code": code},
            {"username": "second", "email": "second@example.com", "invite_code": code},
        )
        assert sorted(outcomes) == ["This invitation is invalid, used up or expired", "ok"]
        assert Invite.objects.get().uses == 1
        User.objects.filter(username__in=["first", "second"]).delete()
        Invite.objects.update(uses=0)


def test_two_first_registrations_make_exactly_one_owner():
    outcomes = race(
        {"username": "first", "email": "first@example.com"},
        {"username": "second", "email": "second@example.com"},
    )
    assert outcomes == ["ok", "ok"]
    assert sorted(User.objects.values_list("role", flat=True)) == ["member", "owner"]
