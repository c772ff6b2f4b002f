"""The server's VAPID identity (RFC 8292): the key pair push services know this server by."""

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    private_key: str  # base64url of the raw 32-byte scalar (what py_vapid's from_raw reads)
    public_key: str  # base64url of the 65-byte uncompressed point (a browser's applicationServerKey)


def generate() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(b64url(private), b64url(public))


def _matching(keys: VapidKeys, source: str) -> VapidKeys:
    try:
        scalar = int.from_bytes(b64url_decode(keys.private_key), "big")
        derived = ec.derive_private_key(scalar, ec.SECP256R1()).public_key()
        expected = derived.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    except ValueError as error:
        raise ImproperlyConfigured(f"{source}: VAPID_PRIVATE_KEY is not a base64url P-256 key ({error})") from None
    if b64url(expected) != keys.public_key.rstrip("="):
        raise ImproperlyConfigured(f"{source}: VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
    return VapidKeys(keys.private_key.rstrip("="), keys.public_key.rstrip("="))


@cache
def vapid_keys() -> VapidKeys | None:
    """The configured pair; with DEBUG and none configured, one generated once into VAR_DIR (so
    browsers' subscriptions survive restarts); else None: push is off."""
    if settings.VAPID_PRIVATE_KEY:
        return _matching(VapidKeys(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY), "the environment")
    if not settings.DEBUG:
        return None
    path = settings.VAR_DIR / "vapid_keys.json"
    if not path.exists():
        # The server and its jobs worker may both get here first: a complete file is linked into
        # place, and only the first link wins.
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        keys = generate()
        with tempfile.NamedTemporaryFile("w", dir=settings.VAR_DIR, delete=False) as draft:
            json.dump({"private_key": keys.private_key, "public_key": keys.public_key}, draft)
        try:
            os.link(draft.name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft.name)
    stored = json.loads(path.read_text())
    return _matching(VapidKeys(stored["private_key"], stored["public_key"]), str(path))


def push_enabled() -> bool:
    return vapid_keys() is not None
