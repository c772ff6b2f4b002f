"""The WebSocket events about accounts: one typed event each, built where it is published."""

from dataclasses import dataclass
from typing import Any

from accounts.models import User
from broadcast.events import Event


@dataclass(frozen=True, kw_only=True)
class ProfileUpdated(Event):
    """To the user's sockets and every room they belong to: their public profile changed."""

    type = "profile_updated"
    user: dict[str, Any]  # the public user JSON (accounts.serializers.PublicUserSerializer)

    @classmethod
    def of(cls, user: User) -> "ProfileUpdated":
        from accounts.serializers import PublicUserSerializer

        return cls(user=PublicUserSerializer(user).data)

    def payload(self) -> dict[str, Any]:
        return self.user


@dataclass(frozen=True, kw_only=True)
class SessionRevoked(Event):
    """Internal, to a user's group: their sockets close (all of them, or those using `jti`)."""

    type = "session_revoked"
    jti: str | None
