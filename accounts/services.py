"""Every write to accounts: registration, login, profile changes, logout and revocation."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

import jobs
from accounts.event_types import ProfileUpdated, SessionRevoked
from accounts.login_limits import (
    TOO_MANY_FAILED_LOGINS,
    login_account,
    login_failure_record,
    login_failures_retry_after,
)
from accounts.models import TokenBlacklist, User
from accounts.selectors import user_find_for_login
from accounts.signals import profile_changed, user_deleting
from accounts.tokens import VerifiedToken, revocation_cutoff, token_issue
from broadcast.groups import user_group
from broadcast.publish import publish
from chatapp.errors import BadRequest, Conflict, TooManyRequests, Unauthorized
from uploads.selectors import upload_get_owned

INVALID_CREDENTIALS = "Invalid credentials"

# Checked against when the user does not exist, so an unknown account costs the same hashing
# time as a wrong password and the two cannot be told apart by timing.
_DUMMY_PASSWORD_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_PASSWORD_HASH
    if _DUMMY_PASSWORD_HASH is None:
        _DUMMY_PASSWORD_HASH = make_password("dummy-password-for-timing")
    return _DUMMY_PASSWORD_HASH


@dataclass(frozen=True)
class AuthResult:
    token: str
    user: User


def _ensure_username_free(username: str, *, exclude: User | None = None) -> None:
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict("Username already taken")


def _ensure_email_free(email: str, *, exclude: User | None = None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict("Email already registered")


def _save_unique(user: User, **kwargs) -> None:
    """Saves, turning a lost uniqueness race into the same 409 the pre-checks give."""
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError as error:
        text = str(error).lower()
        raise Conflict("Email already registered" if "email" in text else "Username already taken") from None


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> AuthResult:
    """Creates an account and returns it with a fresh token."""
    email = email.strip().lower()
    _ensure_email_free(email)
    _ensure_username_free(username)
    user = User(username=username, email=email)
    user.set_password(password)
    _save_unique(user, force_insert=True)
    return AuthResult(token=token_issue(user), user=user)


def user_login(*, password: str, email: str | None = None, username: str | None = None) -> AuthResult:
    """Returns a token for valid credentials; unknown user and wrong password look the same.

    An account with too many recent failures is refused with 429 before its password is checked.
    """
    user = user_find_for_login(email=email, username=username)
    account = login_account(user=user, identifier=email or username or "")
    retry_after = login_failures_retry_after(account=account)
    if retry_after is not None:
        raise TooManyRequests(TOO_MANY_FAILED_LOGINS, retry_after=retry_after)
    if user is None:
        check_password(password, _dummy_hash())
        login_failure_record(account=account)
        raise Unauthorized(INVALID_CREDENTIALS)
    if not user.check_password(password) or not user.is_active:
        login_failure_record(account=account)
        raise Unauthorized(INVALID_CREDENTIALS)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return AuthResult(token=token_issue(user), user=user)


def _announce_profile(user: User) -> None:
    profile_changed.send(sender=User, user=user, event=ProfileUpdated.of(user))


AVATAR_NOT_OWN_IMAGE = "Avatar must be the URL of an image you uploaded"


def _avatar_url(*, user: User, avatar: str) -> str:
    """The canonical URL of the user's own image upload that `avatar` points at ("" clears it)."""
    if avatar == "":
        return ""
    # Locked so `cleanup_uploads` cannot delete the file between this check and the commit.
    upload = upload_get_owned(owner=user, url=avatar, for_update=True)
    if upload is None or not upload.is_image:
        raise BadRequest(AVATAR_NOT_OWN_IMAGE)
    return upload.url


@transaction.atomic
def user_update_profile(*, user: User, status: str | None = None, avatar: str | None = None) -> User:
    """Sets status and/or avatar; an avatar must be an image upload of this user, or "" for none."""
    fields = []
    if status is not None:
        user.status = status
        fields.append("status")
    if avatar is not None:
        user.avatar = _avatar_url(user=user, avatar=avatar.strip())
        fields.append("avatar")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
        _announce_profile(user)
    return user


@transaction.atomic
def user_change_username(*, user: User, username: str) -> User:
    _ensure_username_free(username, exclude=user)
    user.username = username
    _save_unique(user, update_fields=["username", "updated_at"])
    _announce_profile(user)
    return user


@transaction.atomic
def user_change_email(*, user: User, email: str, current_password: str) -> User:
    if not user.check_password(current_password):
        raise Unauthorized("Current password is incorrect")
    email = email.strip().lower()
    _ensure_email_free(email, exclude=user)
    user.email = email
    _save_unique(user, update_fields=["email", "updated_at"])
    return user


def _revoke_all_tokens(user: User, *, now: datetime) -> None:
    user.tokens_valid_after = revocation_cutoff(now)
    publish(SessionRevoked(jti=None), to=[user_group(user.id)])
    _forget_signed_out_browsers(user)


def _forget_signed_out_browsers(user: User) -> None:
    # Push subscriptions made with the revoked tokens go (the notifications app handles the job):
    # a signed-out browser must not show the user's messages.
    jobs.enqueue("push_subscriptions_revoked", user_id=str(user.id))


@transaction.atomic
def user_change_password(*, user: User, current_password: str, new_password: str) -> str:
    """Sets the password, ends every earlier token (this one too) and returns a fresh token."""
    if not user.check_password(current_password):
        raise Unauthorized("Current password is incorrect")
    user.set_password(new_password)
    # Saving a password set this way runs `user_password_changed` (accounts.passwords), as on
    # every other path that changes a password.
    user.save(update_fields=["password", "updated_at"])
    return token_issue(user)


@transaction.atomic
def user_password_changed(*, user: User) -> None:
    """Ends the sessions of the old password: earlier tokens refused, open sockets closed.

    Runs after any saved password change, whatever made it (accounts.passwords). Tokens carrying
    a password stamp die with the old hash anyway (accounts.tokens.password_stamp); the cut-off
    also ends older tokens without one, and the event closes sockets opened with either.
    """
    _revoke_all_tokens(user, now=timezone.now())
    User.objects.filter(pk=user.pk).update(tokens_valid_after=user.tokens_valid_after)


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Blocks the account: no login, every token refused, every open socket closed."""
    user.is_active = False
    _revoke_all_tokens(user, now=timezone.now())
    user.save(update_fields=["is_active", "tokens_valid_after", "updated_at"])
    return user


@transaction.atomic
def user_delete_by_staff(*, user: User) -> None:
    """Site staff (Django admin) delete an account; its open sockets are closed like on deactivation.

    A socket authenticates once, at connect: without this it would stay open, receiving its
    rooms, after the account is gone.
    """
    user_id = user.id
    user_deleting.send(sender=User, user=user)
    user.delete()
    publish(SessionRevoked(jti=None), to=[user_group(user_id)])


@transaction.atomic
def token_revoke(*, token: VerifiedToken) -> None:
    """Logout: the token's jti goes on the blacklist until it would have expired anyway."""
    TokenBlacklist.objects.get_or_create(jti=token.jti, defaults={"expires_at": token.expires_at, "user": token.user})
    publish(SessionRevoked(jti=token.jti), to=[user_group(token.user.id)])
    _forget_signed_out_browsers(token.user)


def token_blacklist_cleanup(*, now: datetime | None = None) -> int:
    """Deletes blacklist rows whose tokens have expired; returns how many."""
    deleted, _ = TokenBlacklist.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
