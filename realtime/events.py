"""Builders for the WebSocket events the realtime app itself sends."""

from datetime import datetime

from django.utils import timezone


def event(event_type: str, payload: dict | None = None) -> dict:
    return {"type": event_type, "payload": payload or {}}


def auth_required() -> dict:
    return {"type": "auth_required"}


def error(message: str, **extra) -> dict:
    return event("error", {"error": message, **extra})


def pong(now: datetime | None = None) -> dict:
    return event("pong", {"time": (now or timezone.now()).isoformat()})


def connected(user) -> dict:
    return event(
        "user_online", {"user_id": str(user.id), "username": user.username, "message": "Connected to chat server"}
    )


def user_online(user) -> dict:
    return event("user_online", {"user_id": str(user.id), "username": user.username})


def user_offline(user) -> dict:
    return event(
        "user_offline",
        {
            "user_id": str(user.id),
            "username": user.username,
            "last_seen": user.last_seen.isoformat() if user.last_seen else None,
        },
    )


def typing(room_id: str, user) -> dict:
    return event("typing", {"room_id": str(room_id), "user_id": str(user.id), "username": user.username})


def stop_typing(room_id: str, user) -> dict:
    return event("stop_typing", {"room_id": str(room_id), "user_id": str(user.id), "username": user.username})


def resumed(room_ids: list[str], *, truncated: list[str]) -> dict:
    """`truncated`: rooms with more missed messages than one replay holds (page with `?after=`)."""
    return event("resumed", {"rooms": room_ids, "truncated": truncated})
