"""Who may create an account: REGISTRATION (open, invite, closed) and REGISTRATION_EMAIL_DOMAINS.

One rule for every way in (the register endpoint, single sign-on): `registration_refusal` says why
not, or None. Redeeming an invite (counting its use) is a write and happens in
`accounts.services.user_register`, in the transaction that creates the account.
"""

import hashlib

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import Invite

REGISTRATION_CLOSED = "Registration is closed on this server"
INVITE_REQUIRED = "Registration on this server needs an invitation"
INVITE_INVALID = "This invitation is invalid, used up or expired"
INVITE_OTHER_EMAIL = "This invitation is for another email address"
DOMAIN_REFUSED = "Accounts on this server need an email address at {domains}"


def invite_code_hash(code: str) -> str:
    # SHA-256 without salt is enough: a code holds 192 random bits, so there is nothing to guess
    # from its digest, and the digest must be searchable.
    return hashlib.sha256(code.strip().encode()).hexdigest()


def invites_redeemable() -> QuerySet[Invite]:
    return Invite.objects.filter(revoked_at=None, expires_at__gt=timezone.now(), uses__lt=F("max_uses"))


def invite_refusal(*, code: str, email: str) -> str | None:
    invite = invites_redeemable().filter(code_hash=invite_code_hash(code)).first()
    if invite is None:
        return INVITE_INVALID
    if invite.email and invite.email != email.strip().lower():
        return INVITE_OTHER_EMAIL
    return None


def _domain_refusal(email: str) -> str | None:
    domains = settings.REGISTRATION_EMAIL_DOMAINS
    if not domains:
        return None
    domain = email.strip().lower().rpartition("@")[2]
    if domain in domains:
        return None
    return DOMAIN_REFUSED.format(domains=", ".join(domains))


def registration_refusal(*, email: str, invite_code: str | None = None) -> str | None:
    """None when an account for `email` may be created now, else the reason (the 403's message).

    open: anyone (an invite code, if given, must still be valid); invite: a valid code, bound to
    this email if the invite names one; closed: nobody. The email domain rule applies in every mode.
    """
    mode = settings.REGISTRATION
    if mode == "closed":
        return REGISTRATION_CLOSED
    refusal = _domain_refusal(email)
    if refusal is not None:
        return refusal
    if invite_code:
        return invite_refusal(code=invite_code, email=email)
    if mode == "invite":
        return INVITE_REQUIRED
    return None


def invite_redeem_filter(*, code: str, email: str) -> Q:
    """The rows one registration may spend a use of (the same rules as `invite_refusal`)."""
    return Q(code_hash=invite_code_hash(code)) & (Q(email="") | Q(email=email.strip().lower()))
