"""Every write to push subscriptions."""

import binascii
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction

import outbound
from accounts.models import User
from accounts.tokens import tokens_revoked
from chatapp.errors import BadRequest, NotFound
from notifications.models import MAX_SUBSCRIPTIONS_PER_USER, PushSubscription
from notifications.vapid import b64url_decode, push_enabled
from notifications.webpush import push_policy

PUSH_DISABLED = "Push notifications are not enabled on this server (no VAPID keys configured)"


def _decoded(value: str, name: str) -> bytes:
    try:
        return b64url_decode(value)
    except (binascii.Error, ValueError):
        raise BadRequest(f"keys.{name} must be base64url") from None


def _check_keys(*, p256dh: str, auth: str) -> None:
    """Keys a message can be encrypted to: a P-256 public point and a 16-byte secret."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _decoded(p256dh, "p256dh"))
    except ValueError:
        raise BadRequest("keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)") from None
    if len(_decoded(auth, "auth")) != 16:
        raise BadRequest("keys.auth must be a 16-byte secret (base64url)")


def push_subscribe(
    *, user: User, token_jti: str, endpoint: str, p256dh: str, auth: str
) -> tuple[PushSubscription, bool]:
    """Stores the browser's subscription for `user`; returns (subscription, created).

    The same endpoint again updates it (its keys, and the token it was renewed with), whoever held
    it: an endpoint names one browser, and that browser is now signed in as `user`. Beyond
    MAX_SUBSCRIPTIONS_PER_USER the user's least recently renewed subscriptions go.
    """
    if not push_enabled():
        raise NotFound(PUSH_DISABLED)
    _check_keys(p256dh=p256dh, auth=auth)
    try:
        # Resolved here, outside the transaction; checked again at each send on the address then.
        outbound.check_url(endpoint, push_policy())
    except outbound.Refused as refused:
        raise BadRequest(f"Push endpoint refused: {refused}") from None
    with transaction.atomic():
        subscription, created = PushSubscription.objects.select_for_update().update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "token_jti": token_jti}
        )
        kept = PushSubscription.objects.filter(user=user).order_by("-updated_at", "-id")[:MAX_SUBSCRIPTIONS_PER_USER]
        PushSubscription.objects.filter(user=user).exclude(id__in=list(kept.values_list("id", flat=True))).delete()
    return subscription, created


@transaction.atomic
def push_unsubscribe(*, user: User, endpoint: str) -> int:
    """Removes the user's subscription with this endpoint (none: nothing to do); returns how many."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


@transaction.atomic
def push_subscriptions_drop_revoked(*, user_id: UUID | str) -> int:
    """Deletes the user's subscriptions made with tokens that are now revoked (logout, password
    change, deactivation): that browser is signed out. Returns how many went."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0  # deleted: its subscriptions went with it
    subscriptions = PushSubscription.objects.select_for_update().filter(user=user)
    jtis = list({subscription.token_jti for subscription in subscriptions})
    revoked = tokens_revoked(user=user, jtis=jtis)
    if not revoked:
        return 0
    deleted, _ = subscriptions.filter(token_jti__in=revoked).delete()
    return deleted


@transaction.atomic
def push_subscription_delete(*, subscription_id: UUID | str) -> None:
    """The push service said the subscription is gone (404/410)."""
    PushSubscription.objects.filter(pk=subscription_id).delete()
