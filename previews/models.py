from datetime import timedelta

from django.db import models

# One fetch per URL per this interval, whoever posts it: later messages linking it share the result.
FETCH_INTERVAL = timedelta(minutes=10)
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 300
SITE_NAME_MAX_LENGTH = 100


class LinkPreview(models.Model):
    """What one URL showed when it was last fetched: the cache that holds every URL to one fetch per
    FETCH_INTERVAL. A row older than that is stale and goes at the next fetch of any URL."""

    class Status(models.TextChoices):
        FETCHING = "fetching"  # claimed by a job that is fetching it now
        READY = "ready"
        FAILED = "failed"  # refused, unreachable, not HTML, or nothing to show: not tried again

    # The URL's SHA-256 (hex): a URL of up to 2,000 characters is too long to index as it is.
    url_hash = models.CharField(max_length=64, unique=True)
    url = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FETCHING)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, default="")
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    site_name = models.CharField(max_length=SITE_NAME_MAX_LENGTH, blank=True, default="")
    # The page's image, re-encoded and stored as an upload (a row pointing at it keeps it from
    # cleanup_uploads).
    image = models.ForeignKey(
        "uploads.Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="link_previews"
    )
    # When the fetch began: the interval counts from it.
    fetched_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.url} ({self.status})"


class MessageLinkPreview(models.Model):
    """The preview of the first link in a message's text: pending until its job has fetched it,
    then a copy of what the page showed. It goes when the message is deleted or its first link
    changes (a new one is made for the new link)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"
        FAILED = "failed"

    # By app label, not imported: messaging sits above this app and reads this relation.
    message = models.OneToOneField(
        "messaging.Message", on_delete=models.CASCADE, primary_key=True, related_name="link_preview"
    )
    url = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, default="")
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    site_name = models.CharField(max_length=SITE_NAME_MAX_LENGTH, blank=True, default="")
    image = models.ForeignKey(
        "uploads.Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="message_link_previews"
    )

    def __str__(self) -> str:
        return f"{self.message_id}: {self.url} ({self.status})"
