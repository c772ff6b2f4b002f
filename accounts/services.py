"""Every write to accounts: registration, login, profile changes, logout and revocation, the
workspace's roles and invites, password reset and account deletion."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

import jobs
from accounts.event_types import ProfileUpdated, SessionRevoked
from accounts.login_limits import (
    TOO_MANY_FAILED_LOGINS,
    login_account,
    login_failure_record,
    login_failures_retry_after,
)
from accounts.models import MODERATOR_ROLES, AuditEntry, Invite, Role, TokenBlacklist, User
from accounts.registration import (
    INVITE_INVALID,
    invite_code_hash,
    invite_redeem_filter,
    invites_redeemable,
    registration_refusal,
)
from accounts.selectors import ensure_moderator, user_find_for_login
from accounts.signals import account_deleting, profile_changed, user_deleting
from accounts.tokens import VerifiedToken, revocation_cutoff, token_issue
from broadcast.groups import user_group
from broadcast.publish import publish
from chatapp.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
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


# Any constant: the key of the PostgreSQL advisory lock that makes "first account" a decision one
# registration at a time (the ASCII of "owner").
_FIRST_OWNER_LOCK = 0x6F776E6572


def _is_first_account() -> bool:
    """Whether the account being created is the server's first, decided one registration at a time.

    Two registrations on an empty table would both see it empty; the one that waits for the lock
    looks again after the other commits (a new statement under READ COMMITTED sees it). SQLite
    needs no lock: its transactions begin IMMEDIATE (settings), one writer at a time.
    """
    if User.objects.exists():
        return False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FIRST_OWNER_LOCK])
    return not User.objects.exists()


def _invite_spend(*, code: str, email: str) -> None:
    """Counts one use of the invite, or refuses: one UPDATE whose WHERE holds every rule.

    Two registrations on a one-use code both run it; PostgreSQL makes the second wait for the
    first's row lock and then re-checks `uses < max_uses` against the committed row, so it
    updates nothing and is refused (accounts/tests/test_invite_races.py).
    """
    spent = invites_redeemable().filter(invite_redeem_filter(code=code, email=email)).update(uses=F("uses") + 1)
    if spent != 1:
        raise Forbidden(INVITE_INVALID)


@transaction.atomic
def user_register(
    *,
    username: str,
    email: str,
    password: str | None,
    invite_code: str | None = None,
    enforce_registration: bool = True,
) -> AuthResult:
    """Creates an account and returns it with a fresh token: every way of creating one comes here.

    REGISTRATION and REGISTRATION_EMAIL_DOMAINS apply (403 saying why) unless
    `enforce_registration` is false (an identity provider trusted to create accounts). An invite
    code, when given, is spent in this transaction. `password` None: no password login (single
    sign-on). The first account on an empty server is its owner.
    """
    email = email.strip().lower()
    if enforce_registration:
        refusal = registration_refusal(email=email, invite_code=invite_code)
        if refusal is not None:
            raise Forbidden(refusal)
    _ensure_email_free(email)
    _ensure_username_free(username)
    if invite_code:
        _invite_spend(code=invite_code, email=email)
    user = User(username=username, email=email)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    if _is_first_account():
        user.role, user.is_staff = Role.OWNER, True
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


# --- The workspace: roles, moderation, the audit log ------------------------------------------
ONLY_OWNERS_CHANGE_ROLES = "Only owners can change roles"
ONLY_OWNERS_MODERATE_MODERATORS = "Only owners can deactivate or reactivate owners and admins"
LAST_OWNER = "The last owner cannot be demoted, deactivated or deleted: make someone else owner first"
NOT_YOURSELF = "You cannot deactivate your own account here (Settings → Security deletes it)"


def _audit(*, actor: User | None, action: str, target: User | None = None, **detail: Any) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, action=action, target_user=target, detail=detail)


def _ensure_another_owner(user: User) -> None:
    """Refuses when `user` is the last active owner.

    Every owner row is locked, so two owners demoting each other at once cannot both pass: the
    second waits, then PostgreSQL re-checks `role` on the rows the first changed.
    """
    owners = list(User.objects.select_for_update().filter(role=Role.OWNER, is_active=True).values_list("pk", flat=True))
    if owners == [user.pk] or not owners:
        raise Conflict(LAST_OWNER)


def _staff_follows_role(user: User, *, old_role: str) -> None:
    # is_staff follows owner/admin unless someone set it separately (Django admin, createsuperuser).
    if user.is_staff == (old_role in MODERATOR_ROLES):
        user.is_staff = user.role in MODERATOR_ROLES


@transaction.atomic
def user_update_by_moderator(
    *, actor: User, user_id: UUID, role: str | None = None, is_active: bool | None = None
) -> User:
    """A moderator changes an account's role (owners only) and/or deactivates or reactivates it.

    Deactivation is `user_deactivate`, as in Django admin: tokens refused, sockets closed, push
    subscriptions dropped. Each change is written to the audit log.
    """
    ensure_moderator(actor)
    target = User.objects.select_for_update().filter(pk=user_id).first()
    if target is None:
        raise NotFound("User not found")
    if role is not None and role != target.role:
        if actor.role != Role.OWNER:
            raise Forbidden(ONLY_OWNERS_CHANGE_ROLES)
        _set_role(target, role, actor=actor)
    if is_active is not None and is_active != target.is_active:
        if target.pk == actor.pk:
            raise Forbidden(NOT_YOURSELF)
        if actor.role != Role.OWNER and target.role != Role.MEMBER:
            raise Forbidden(ONLY_OWNERS_MODERATE_MODERATORS)
        if is_active:
            target.is_active = True
            target.save(update_fields=["is_active", "updated_at"])
            _audit(actor=actor, action="user_reactivated", target=target)
        else:
            if target.role == Role.OWNER:
                _ensure_another_owner(target)
            user_deactivate(user=target)
            _audit(actor=actor, action="user_deactivated", target=target)
    return target


@transaction.atomic
def user_role_set_by_staff(*, actor: User, user: User, role: str) -> User:
    """Site staff set an account's workspace role in Django admin: the API's rules but for who may
    (staff may, whatever their own role). The last active owner stays one; Django admin access
    follows the role as it does there; the change is audited."""
    target = User.objects.select_for_update().get(pk=user.pk)
    if role != target.role:
        _set_role(target, role, actor=actor, via="django_admin")
    return target


def _set_role(target: User, role: str, *, actor: User, **audit_detail: Any) -> None:
    """`target` (locked) gets `role`, whoever may decide that having been checked: the last active
    owner stays one, Django admin access follows the role, the audit log says who."""
    if target.role == Role.OWNER:
        _ensure_another_owner(target)
    old_role = target.role
    target.role = role
    _staff_follows_role(target, old_role=old_role)
    target.save(update_fields=["role", "is_staff", "updated_at"])
    _audit(actor=actor, action="role_changed", target=target, old=old_role, new=role, **audit_detail)


@dataclass(frozen=True)
class InviteCreated:
    invite: Invite
    code: str  # shown once: only its digest is stored


INVITE_MAX_USES_LIMIT = 1000
INVITE_MAX_HOURS = 24 * 90


@transaction.atomic
def invite_create(
    *, actor: User, email: str = "", max_uses: int = 1, expires_in_hours: int = 168, now: datetime | None = None
) -> InviteCreated:
    """A new invite; its code (192 random bits) is returned once and stored as a SHA-256 digest."""
    ensure_moderator(actor)
    code = secrets.token_urlsafe(24)
    invite = Invite.objects.create(
        code_hash=invite_code_hash(code),
        email=email.strip().lower(),
        max_uses=max_uses,
        expires_at=(now or timezone.now()) + timedelta(hours=expires_in_hours),
        created_by=actor,
    )
    _audit(actor=actor, action="invite_created", invite_id=str(invite.id), email=invite.email, max_uses=max_uses)
    return InviteCreated(invite=invite, code=code)


@transaction.atomic
def invite_revoke(*, actor: User, invite_id: UUID) -> None:
    """Ends an invite at once; the row stays (the audit log and `uses` keep their meaning)."""
    ensure_moderator(actor)
    invite = Invite.objects.select_for_update().filter(pk=invite_id, revoked_at=None).first()
    if invite is None:
        raise NotFound("Invite not found")
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    _audit(actor=actor, action="invite_revoked", invite_id=str(invite.id), email=invite.email)


# --- Password reset ---------------------------------------------------------------------------
INVALID_RESET_LINK = "This reset link is invalid or has expired"


def password_reset_request(*, email: str, base_url: str) -> None:
    """Queues the reset mail job whether or not the address has an account.

    The request does the same work either way (one job row), so neither its answer nor its timing
    tells who has an account; the job looks the address up and mails only a real, active one.
    """
    jobs.enqueue("password_reset_mail", email=email.strip().lower()[:254], base_url=base_url)


def password_reset_link(*, user: User, base_url: str) -> str:
    """The one-time link: Django's token generator (valid PASSWORD_RESET_TIMEOUT, dead once the
    password changes). In the fragment, so it reaches neither server logs nor a Referer."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{base_url}/reset-password#uid={uid}&token={default_token_generator.make_token(user)}"


def _user_from_uid(uid: str) -> User | None:
    try:
        user_id = UUID(urlsafe_base64_decode(uid).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    return User.objects.select_for_update().filter(pk=user_id, is_active=True).first()


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> AuthResult:
    """Sets a new password from a reset link; every older token dies (the password-changed hook).

    The row lock makes two uses of one link take turns; the second finds the hash changed, which
    invalidates the token.
    """
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise BadRequest(INVALID_RESET_LINK)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return AuthResult(token=token_issue(user), user=user)


# --- Account deletion -------------------------------------------------------------------------
@transaction.atomic
def user_delete_account(*, user: User, current_password: str, erase_messages: bool = False) -> None:
    """The user leaves: the account is deactivated and anonymised, its row kept.

    Messages stay, shown under the anonymous name, unless `erase_messages` (then the messaging app
    soft-deletes them in this transaction, through `account_deleting`). The last owner cannot.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password):
        raise Unauthorized("Current password is incorrect")
    if user.role == Role.OWNER:
        _ensure_another_owner(user)
    account_deleting.send(sender=User, user=user, erase_messages=erase_messages)
    # The email column is unique, so a placeholder in the reserved .invalid domain stands for "none".
    user.username = f"deleted-{user.id.hex[:12]}"
    user.email = f"deleted-{user.id.hex}@deleted.invalid"
    user.avatar, user.status = "", ""
    user.role, user.is_staff, user.is_superuser = Role.MEMBER, False, False
    user.set_unusable_password()
    user.is_active = False
    _revoke_all_tokens(user, now=timezone.now())
    user.save()
    _audit(actor=user, action="account_deleted", target=user, erased_messages=erase_messages)
    _announce_profile(user)
