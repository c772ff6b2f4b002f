"""Reads with rules in them for accounts."""

from uuid import UUID

from django.db.models import Q

from accounts.models import MODERATOR_ROLES, AuditEntry, Invite, User
from chatapp.errors import BadRequest, Forbidden, NotFound
from chatapp.paging import Page, paginate

SEARCH_LIMIT = 20
NOT_A_MODERATOR = "Only owners and admins can do this"


def ensure_moderator(user: User) -> None:
    """Owners and admins moderate the workspace; anyone else gets 403."""
    if not user.is_active or user.role not in MODERATOR_ROLES:
        raise Forbidden(NOT_A_MODERATOR)


def user_search(*, query: str, exclude: User, limit: int = SEARCH_LIMIT) -> list[User]:
    query = query.strip()
    if not query:
        raise BadRequest("Query parameter 'q' is required")
    if "\x00" in query:
        # No username holds a NUL, and PostgreSQL refuses one in a text parameter (500 otherwise).
        return []
    return list(
        User.objects.filter(username__icontains=query, is_active=True)
        .exclude(pk=exclude.pk)
        .order_by("username")[:limit]
    )


def user_find_for_login(*, email: str | None = None, username: str | None = None) -> User | None:
    """The account a login names, by email or else username, either case-insensitively."""
    if email:
        return User.objects.filter(email__iexact=email.strip()).first()
    if username:
        return User.objects.filter(username__iexact=username.strip()).first()
    return None


def user_get(*, user_id: UUID) -> User:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotFound("User not found")
    return user


def users_page_for_moderator(*, actor: User, query: str, page: int, limit: int) -> Page:
    """Every account, deactivated ones too, for the workspace's moderators; `query` matches
    username or email."""
    ensure_moderator(actor)
    users = User.objects.order_by("username")
    query = query.strip().replace("\x00", "")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
    return paginate(users, page=page, limit=limit)


def invites_list_for_moderator(*, actor: User) -> list[Invite]:
    """Invites not revoked, newest first (spent and expired ones included: the list explains why
    a code stopped working)."""
    ensure_moderator(actor)
    return list(Invite.objects.filter(revoked_at=None).select_related("created_by").order_by("-created_at")[:200])


def audit_page_for_moderator(*, actor: User, page: int, limit: int) -> Page:
    ensure_moderator(actor)
    return paginate(AuditEntry.objects.select_related("actor", "target_user"), page=page, limit=limit)
