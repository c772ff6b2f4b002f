"""Who may sign up: the one rule every way of creating an account asks."""

from django.conf import settings


def registration_refusal(*, email: str, invite_code: str | None = None) -> str | None:
    """None when an account may be created for `email`, else the reason it may not."""
    if getattr(settings, "REGISTRATION", "open") == "closed":
        return "Registration is closed on this server"
    return None
