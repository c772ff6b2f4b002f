"""Issuing and validating access tokens (HS256 JWTs made by simplejwt)."""

import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.db import connection
from django.db.models import Exists
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import TokenBlacklist, User
from chatapp.errors import Unauthorized
from chatapp.ids import parse_uuid

INVALID_TOKEN = "Invalid or expired token"
REVOKED_TOKEN = "Token has been revoked. Please log in again."
_ALLOWED_HEADER_KEYS = {"alg", "typ"}
# What token_issue writes: a UUID's 32 hex digits (it must also fit TokenBlacklist.jti).
_JTI = re.compile(r"[0-9a-f]{32}")
# NumericDates as simplejwt writes them: whole seconds that datetime can hold (up to 9999-12-31).
_LATEST_TIMESTAMP = 253402300799


def _uuid7_hex() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness.

    `iat` only has whole seconds, so it cannot tell a token issued just before a password change
    from one issued just after it in the same second. The jti's millisecond prefix can.
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value).hex


def jti_issued_at(jti: str) -> datetime | None:
    try:
        value = uuid.UUID(hex=jti)
    except ValueError:
        return None
    if value.version != 7:
        return None
    return datetime.fromtimestamp((value.int >> 80) / 1000, tz=UTC)


def _is_timestamp(value: object) -> bool:
    return type(value) is int and 0 <= value <= _LATEST_TIMESTAMP


def _has_well_formed_claims(payload: dict) -> bool:
    """The claims this server issues, with the types it issues them with.

    A token signed with the real key can still carry anything; without these checks a string or
    1e308 `exp` reaches `datetime.fromtimestamp` and a NUL in `jti` reaches PostgreSQL, both 500s.
    """
    jti, user_id = payload.get("jti"), payload.get("user_id")
    if not isinstance(jti, str) or not _JTI.fullmatch(jti) or not isinstance(user_id, str):
        return False
    if parse_uuid(user_id) is None:
        return False
    if "nbf" in payload and not _is_timestamp(payload["nbf"]):
        return False
    return _is_timestamp(payload.get("exp")) and _is_timestamp(payload.get("iat"))


class ChatAccessToken(AccessToken):
    def set_jti(self) -> None:
        self.payload["jti"] = _uuid7_hex()

    def verify(self) -> None:
        # Before simplejwt's own checks, which assume `exp` is a usable number.
        if not _has_well_formed_claims(self.payload):
            raise TokenError("Token has malformed claims")
        super().verify()


@dataclass(frozen=True)
class VerifiedToken:
    user: User
    jti: str
    expires_at: datetime


def revocation_cutoff(now: datetime) -> datetime:
    """The first whole millisecond after `now`: every token issued so far has a smaller jti time."""
    return now.replace(microsecond=(now.microsecond // 1000) * 1000) + timedelta(milliseconds=1)


# The claim naming the password a token was issued for (see password_stamp).
PASSWORD_STAMP_CLAIM = "pw_stamp"


def password_stamp(user: User) -> str:
    """A short keyed digest of the stored password hash: it changes whenever the password does.

    A token carries the stamp of the hash its login checked, and is refused once the stored hash
    differs. That holds whatever changed the password (the API, the admin's form, `changepassword`,
    `set_password()` in a shell) and however a login raced the change: a login that checked the
    old password issues a token for the old hash, dead from the moment the new one is stored.
    Keyed with the JWT secret, so the claim reveals nothing about the hash.
    """
    digest = salted_hmac(
        "accounts.tokens.password_stamp", user.password, secret=settings.JWT_SECRET, algorithm="sha256"
    )
    return digest.hexdigest()[:16]


def token_issue(user: User) -> str:
    cutoff = user.tokens_valid_after
    if cutoff is not None:
        # A token minted right after a revocation must not share its millisecond (< 1 ms wait).
        while datetime.now(tz=UTC) < cutoff:
            time.sleep(0.0002)
    token = ChatAccessToken.for_user(user)
    token["username"] = user.username
    token[PASSWORD_STAMP_CLAIM] = password_stamp(user)
    return str(token)


def _user_with_revocation(*, user_id: uuid.UUID, jti: str) -> User | None:
    """The user, annotated with `token_revoked`: one query, run on every authenticated request.

    Hand-written SQL on PostgreSQL: the ORM spent ~1 ms of CPU building this query each time,
    against ~0.2 ms to run it and load the user (docs/benchmarks.md).
    """
    if connection.vendor != "postgresql":
        revoked = Exists(TokenBlacklist.objects.filter(jti=jti))
        # User declares token_revoked for the type checker; Django only refuses real fields here.
        return User.objects.annotate(token_revoked=revoked).filter(id=user_id).first()  # type: ignore[no-redef]
    sql = (
        f"SELECT u.*, EXISTS (SELECT 1 FROM {TokenBlacklist._meta.db_table} b WHERE b.jti = %s) AS token_revoked "
        f"FROM {User._meta.db_table} u WHERE u.id = %s"
    )
    return next(iter(User.objects.raw(sql, [jti, user_id])), None)


def token_verify(raw: str) -> VerifiedToken:
    """Checks signature, algorithm, expiry, revocation and the user; raises Unauthorized."""
    # A JWT is base64url and dots. Anything else, a lone surrogate from a JSON `auth` frame
    # included, would fail in PyJWT's UTF-8 encoding with an error that is not a PyJWTError.
    if not raw.isascii():
        raise Unauthorized(INVALID_TOKEN)
    try:
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError:
        raise Unauthorized(INVALID_TOKEN) from None
    # Key-locating headers (kid, jku, jwk, x5u...) are never honoured: there is one key.
    if set(header) - _ALLOWED_HEADER_KEYS or header.get("alg") != "HS256":
        raise Unauthorized(INVALID_TOKEN)
    try:
        # simplejwt annotates the argument as a Token, but it takes (and decodes) the encoded string.
        token = ChatAccessToken(raw)  # type: ignore[arg-type]
    except TokenError:
        raise Unauthorized(INVALID_TOKEN) from None

    # ChatAccessToken.verify has checked both claims' types and shapes.
    jti = token["jti"]
    user = _user_with_revocation(user_id=uuid.UUID(token["user_id"]), jti=jti)
    if user is not None and user.token_revoked:
        raise Unauthorized(REVOKED_TOKEN)
    if user is None or not user.is_active:
        raise Unauthorized(INVALID_TOKEN)
    if user.tokens_valid_after is not None:
        issued = jti_issued_at(jti)
        if issued is None or issued < user.tokens_valid_after:
            raise Unauthorized(REVOKED_TOKEN)
    # Tokens issued before the claim existed have none; `tokens_valid_after` still ends them at
    # a password change (accounts.services.user_password_changed).
    stamp = token.get(PASSWORD_STAMP_CLAIM)
    if stamp is not None and not constant_time_compare(str(stamp), password_stamp(user)):
        raise Unauthorized(REVOKED_TOKEN)
    expires_at = datetime.fromtimestamp(token["exp"], tz=UTC)
    return VerifiedToken(user=user, jti=jti, expires_at=expires_at)


def tokens_revoked(*, user: User, jtis: list[str]) -> set[str]:
    """Of `jtis` (tokens the user was issued), those `token_verify` would now refuse as revoked:
    logged out (blacklisted), issued before a password change or deactivation, or the user inactive.
    """
    if not user.is_active:
        return set(jtis)
    revoked = set(TokenBlacklist.objects.filter(jti__in=jtis).values_list("jti", flat=True))
    if user.tokens_valid_after is not None:
        for jti in jtis:
            issued = jti_issued_at(jti)
            if issued is None or issued < user.tokens_valid_after:
                revoked.add(jti)
    return revoked
