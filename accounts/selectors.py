"""Reads with rules in them for accounts."""

from uuid import UUID

from accounts.models import User
from chatapp.errors import BadRequest, NotFound

SEARCH_LIMIT = 20


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
