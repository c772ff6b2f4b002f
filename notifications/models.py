import uuid

from django.conf import settings
from django.db import models

ENDPOINT_MAX_LENGTH = 2048
# A browser may hold several subscriptions (several browsers, phones); beyond this the least
# recently refreshed one goes.
MAX_SUBSCRIPTIONS_PER_USER = 10


class PushSubscription(models.Model):
    """A browser's Web Push subscription (`PushSubscription.toJSON()`), owned by the user signed in there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The push service URL this server POSTs to: user input, checked by outbound's guard.
    endpoint = models.CharField(max_length=ENDPOINT_MAX_LENGTH)
    p256dh = models.CharField(max_length=120)  # the browser's P-256 public key, base64url
    auth = models.CharField(max_length=60)  # its 16-byte auth secret, base64url
    # The token the subscription was made with: once it is revoked (logout, password change) the
    # subscription goes too, as that browser is no longer signed in.
    token_jti = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint"], name="push_subscription_endpoint_unique")]
        indexes = [models.Index(fields=["user", "updated_at"], name="push_subscription_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.endpoint[:60]}"
