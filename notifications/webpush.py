"""Sending one Web Push message: encrypted with aes128gcm (RFC 8291, http_ece), signed with VAPID
(RFC 8292, py_vapid), POSTed through the outbound guard to the address it checked.

pywebpush would wrap the same two libraries but sends with its own HTTP client, which cannot be
pinned to the checked address: here only its building blocks are used.
"""

import json
import os
import time
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02, VapidException

import outbound
from notifications.vapid import VapidKeys, b64url_decode

# Push services keep an undelivered message this long (a device that is off gets it later).
TTL_SECONDS = 86400
TIMEOUT_SECONDS = 5
# What the payload may weigh before encryption: push services accept about 4 KB encrypted.
MAX_PAYLOAD_BYTES = 3 * 1024
# A VAPID token is good for at most 24 h (RFC 8292); 12 h leaves room for clock skew.
VAPID_TOKEN_SECONDS = 12 * 3600


def push_policy() -> outbound.Policy:
    """https to public addresses on port 443, plus PUSH_ENDPOINT_ALLOWLIST; no redirects."""
    return outbound.Policy.with_origins(settings.PUSH_ENDPOINT_ALLOWLIST, timeout=TIMEOUT_SECONDS, max_bytes=16 * 1024)


class Outcome(Enum):
    SENT = "sent"
    GONE = "gone"  # 404/410: the browser unsubscribed; delete the subscription
    RETRY = "retry"  # 429, 5xx, timeout, network: worth another try later
    FAILED = "failed"  # refused by the guard, or another 4xx: another try would fail the same


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    detail: str = ""


def encrypt(payload: bytes, *, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body for the browser holding the private half of `p256dh`."""
    return http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        version="aes128gcm",
    )


def vapid_authorization(endpoint: str, keys: VapidKeys) -> str:
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    claims = {"aud": audience, "sub": settings.VAPID_SUBJECT, "exp": int(time.time()) + VAPID_TOKEN_SECONDS}
    return Vapid02.from_raw(keys.private_key.encode()).sign(claims)["Authorization"]


def send(*, endpoint: str, p256dh: str, auth: str, payload: dict, urgency: str, keys: VapidKeys) -> Delivery:
    """Delivers `payload` to one subscription; never raises for the push service's behaviour."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        authorization = vapid_authorization(endpoint, keys)
        encrypted = encrypt(body, p256dh=p256dh, auth=auth)
    except (VapidException, ValueError) as error:
        # One subscription the libraries cannot serve (py_vapid refuses an IPv6-literal audience)
        # must not fail the pushes of everyone else in the same job.
        return Delivery(Outcome.FAILED, f"cannot build the push: {error}")
    headers = {
        "Authorization": authorization,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": urgency,
    }
    try:
        answer = outbound.request("POST", endpoint, policy=push_policy(), headers=headers, body=encrypted)
    except outbound.Refused as refused:
        return Delivery(Outcome.FAILED, f"endpoint refused: {refused}")
    except outbound.Failed as failed:
        return Delivery(Outcome.RETRY, str(failed))
    if 200 <= answer.status < 300:
        return Delivery(Outcome.SENT)
    detail = f"push service answered {answer.status}: {answer.body[:200].decode(errors='replace')}"
    if answer.status in (404, 410):
        return Delivery(Outcome.GONE, detail)
    if answer.status == 429 or answer.status >= 500:
        return Delivery(Outcome.RETRY, detail)
    return Delivery(Outcome.FAILED, detail)
