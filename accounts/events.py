"""WebSocket events about accounts (built once, where they are published)."""

from accounts.models import User


def public_user(user: User) -> dict:
    from accounts.serializers import PublicUserSerializer

    return PublicUserSerializer(user).data


def profile_updated(user: User) -> dict:
    return {"type": "profile_updated", "payload": public_user(user)}


def session_revoked(*, jti: str | None) -> dict:
    """Internal: tells a user's sockets to close (all of them, or those using `jti`)."""
    return {"type": "session_revoked", "payload": {"jti": jti}}
