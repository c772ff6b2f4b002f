"""Writes for single sign-on: the account a provider's claims sign in to, and the one-time code."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.registration import registration_refusal
from accounts.services import AuthResult, user_register
from accounts.tokens import token_issue
from chatapp.errors import Conflict, Unauthorized
from sso.errors import SsoRefused
from sso.models import SsoLoginCode

# Long enough to survive a slow page load between the redirect and the page's POST; short enough
# that a code read from a browser's history later is dead.
LOGIN_CODE_SECONDS = 60
INVALID_CODE = "Invalid or expired sign-in code"
EMAIL_NOT_VERIFIED = "Your identity provider has not verified your email address, so it cannot sign you in here"
NO_EMAIL = "Your identity provider did not share an email address, so it cannot sign you in here"
ACCOUNT_DEACTIVATED = "This account is deactivated"

_NOT_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _email_verified(claims: dict) -> bool:
    # Some providers send the claim as the string "true" rather than a JSON boolean.
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _username_candidates(claims: dict, email: str) -> list[str]:
    base = ""
    for source in (claims.get("preferred_username"), email.split("@")[0]):
        if isinstance(source, str):
            base = _NOT_USERNAME.sub("", source)[:24]
        if len(base) >= 3:
            break
    base = base if len(base) >= 3 else "user"
    return [base] + [f"{base}-{secrets.token_hex(2)}" for _ in range(5)]


def _user_create(*, claims: dict, email: str) -> User:
    for username in _username_candidates(claims, email):
        if User.objects.filter(username__iexact=username).exists():
            continue
        try:
            # The ordinary registration service, so its rules (first account owner, unique names)
            # apply to these accounts too. The sign-up rules were applied above, unless the
            # provider is trusted to create accounts. No password: the account signs in through
            # the provider (or sets one with a password reset, like any account).
            return user_register(username=username, email=email, password=None, enforce_registration=False).user
        except Conflict as conflict:
            if "Email" in conflict.message:
                raise
    raise SsoRefused("No free username could be found for your account")


def sso_user_for_claims(*, claims: dict) -> User:
    """The account the provider's claims sign in to: matched by verified email, else created.

    An unverified email matches nothing (anyone may type any address at some providers) and
    creates nothing. A new account is subject to the registration rules unless the provider is
    trusted to vouch for its users (OIDC_AUTO_CREATE).
    """
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SsoRefused(NO_EMAIL)
    if not _email_verified(claims):
        raise SsoRefused(EMAIL_NOT_VERIFIED)
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if not user.is_active:
            raise SsoRefused(ACCOUNT_DEACTIVATED)
        return user
    if not settings.OIDC_AUTO_CREATE:
        reason = registration_refusal(email=email)
        if reason is not None:
            raise SsoRefused(reason)
    return _user_create(claims=claims, email=email)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@transaction.atomic
def sso_code_issue(*, user: User, now: datetime | None = None) -> str:
    """A fresh one-time code for `user` (256 random bits); only its hash is kept."""
    now = now or timezone.now()
    SsoLoginCode.objects.filter(expires_at__lt=now).delete()
    code = secrets.token_urlsafe(32)
    SsoLoginCode.objects.create(
        code_hash=_hash(code), user=user, expires_at=now + timedelta(seconds=LOGIN_CODE_SECONDS)
    )
    return code


@transaction.atomic
def sso_code_exchange(*, code: str, now: datetime | None = None) -> AuthResult:
    """Trades a one-time code for an access token; the code dies with its first successful use."""
    now = now or timezone.now()
    # Deleting under the row lock makes the use single: of two simultaneous exchanges, one
    # deletes the row and the other finds nothing.
    row = SsoLoginCode.objects.select_for_update().select_related("user").filter(code_hash=_hash(code)).first()
    if row is None:
        raise Unauthorized(INVALID_CODE)
    row.delete()
    if row.expires_at < now or not row.user.is_active:
        raise Unauthorized(INVALID_CODE)
    User.objects.filter(pk=row.user.pk).update(last_login=now)
    return AuthResult(token=token_issue(row.user), user=row.user)
