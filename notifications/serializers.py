from rest_framework import serializers

from notifications.models import ENDPOINT_MAX_LENGTH


class PushKeyOutput(serializers.Serializer):
    public_key = serializers.CharField(help_text="The server's VAPID public key: base64url, uncompressed P-256 point")


class PushKeysInput(serializers.Serializer):
    p256dh = serializers.CharField(max_length=120)
    auth = serializers.CharField(max_length=60)


class PushSubscribeInput(serializers.Serializer):
    """A browser's `PushSubscription.toJSON()` (expirationTime, if sent, is ignored)."""

    endpoint = serializers.CharField(max_length=ENDPOINT_MAX_LENGTH)
    keys = PushKeysInput()


class PushUnsubscribeInput(serializers.Serializer):
    endpoint = serializers.CharField(max_length=ENDPOINT_MAX_LENGTH)


class PushSubscriptionOutput(serializers.Serializer):
    id = serializers.UUIDField()
