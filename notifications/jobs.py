"""Job handlers: pushes for a new message, retries of single pushes, and dropping the
subscriptions of signed-out browsers. Other apps queue them by name (jobs.enqueue)."""

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID

from django.utils import timezone

import jobs
from accounts.tokens import tokens_revoked
from messaging.models import Message
from messaging.selectors import unread_total
from notifications import services, webpush
from notifications.models import PushSubscription
from notifications.payloads import MessagePush, message_push, urgency
from notifications.vapid import VapidKeys, vapid_keys
from realtime.selectors import users_connected

logger = logging.getLogger("chatapp.push")

# Pushes of one message go out this many at a time, so one slow push service (up to its 5 s
# timeout) holds up one of them, not the rest.
SEND_CONCURRENCY = 8


class PushNotDelivered(Exception):
    """A push service failed in a way worth another try (429, 5xx, timeout, network)."""


@jobs.handler("push_message", max_attempts=1, timeout=180)
def push_message(*, message_id: str, recipients: list[dict]) -> None:
    """One push per subscription of each recipient with no live WebSocket on any server process.

    `recipients`: [{"user_id", "mentioned"}], already chosen by their notification level. Not
    retried as a whole (it would repeat the pushes that went out): single failed pushes are.
    """
    keys = vapid_keys()
    if keys is None:
        return
    message = Message.objects.select_related("room", "sender").filter(pk=message_id).first()
    if message is None or message.is_deleted:
        return
    if message.created_at < timezone.now() - timedelta(seconds=webpush.TTL_SECONDS):
        # A backlog older than a push's own lifetime: nobody wants it any more.
        logger.info("push skipped: message too old", extra={"message_id": message_id})
        return
    mentioned = {str(r["user_id"]): bool(r.get("mentioned")) for r in recipients}
    mentioned.pop(str(message.sender_id), None)
    connected = users_connected(user_ids=list(mentioned))
    by_user: dict[str, list[PushSubscription]] = defaultdict(list)
    offline = [user_id for user_id in mentioned if user_id not in connected]
    for subscription in PushSubscription.objects.filter(user_id__in=offline).select_related("user"):
        by_user[str(subscription.user_id)].append(subscription)

    sends: list[tuple[PushSubscription, MessagePush, str]] = []
    for user_id, subscriptions in by_user.items():
        revoked = tokens_revoked(user=subscriptions[0].user, jtis=[s.token_jti for s in subscriptions])
        if revoked:
            services.push_subscriptions_drop_revoked(user_id=user_id)
            subscriptions = [s for s in subscriptions if s.token_jti not in revoked]
        if subscriptions:
            push = message_push(message, unread_total=unread_total(user_id=UUID(user_id)))
            level = urgency(message, mentioned=mentioned[user_id])
            sends.extend((subscription, push, level) for subscription in subscriptions)
    if sends:
        _send_all(sends, keys)


def _send_all(sends: list[tuple[PushSubscription, MessagePush, str]], keys: VapidKeys) -> None:
    def send(item: tuple[PushSubscription, MessagePush, str]) -> webpush.Delivery:
        subscription, push, level = item
        return webpush.send(
            endpoint=subscription.endpoint,
            p256dh=subscription.p256dh,
            auth=subscription.auth,
            payload=dict(push),
            urgency=level,
            keys=keys,
        )

    with ThreadPoolExecutor(max_workers=min(SEND_CONCURRENCY, len(sends)), thread_name_prefix="push") as pool:
        deliveries = list(pool.map(send, sends))
    for (subscription, push, level), delivery in zip(sends, deliveries, strict=True):
        if delivery.outcome is webpush.Outcome.RETRY:
            jobs.enqueue("push_deliver", subscription_id=str(subscription.id), payload=dict(push), urgency=level)
        _record(subscription.id, delivery)


def _record(subscription_id: object, delivery: webpush.Delivery) -> None:
    context = {"subscription_id": str(subscription_id), "outcome": delivery.outcome.value, "detail": delivery.detail}
    if delivery.outcome is webpush.Outcome.GONE:
        services.push_subscription_delete(subscription_id=str(subscription_id))
        logger.info("push subscription gone; deleted", extra=context)
    elif delivery.outcome is not webpush.Outcome.SENT:
        logger.warning("push not delivered", extra=context)


@jobs.handler("push_deliver", max_attempts=3, timeout=30, backoff_seconds=30)
def push_deliver(*, subscription_id: str, payload: dict, urgency: str) -> None:
    """Another try at one push a push service turned away for a while."""
    keys = vapid_keys()
    subscription = PushSubscription.objects.filter(pk=subscription_id).first()
    if keys is None or subscription is None:
        return
    delivery = webpush.send(
        endpoint=subscription.endpoint,
        p256dh=subscription.p256dh,
        auth=subscription.auth,
        payload=payload,
        urgency=urgency,
        keys=keys,
    )
    _record(subscription.id, delivery)
    if delivery.outcome is webpush.Outcome.RETRY:
        raise PushNotDelivered(delivery.detail)


@jobs.handler("push_subscriptions_revoked")
def push_subscriptions_revoked(*, user_id: str) -> None:
    """Queued by accounts when tokens are revoked (logout, password change, deactivation)."""
    services.push_subscriptions_drop_revoked(user_id=user_id)
