import uuid

from django.conf import settings
from django.db import models


class Upload(models.Model):
    """A file a user uploaded. `file` is a random storage name; the client's name is only kept as text."""

    class Kind(models.TextChoices):
        IMAGE = "image"
        FILE = "file"
        AUDIO = "audio"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(max_length=200, unique=True)
    thumbnail = models.FileField(max_length=200, blank=True, db_index=True)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    mime = models.CharField(max_length=127)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.file.name})"

    @property
    def url(self) -> str:
        return f"{settings.MEDIA_URL}{self.file.name}"

    @property
    def thumbnail_url(self) -> str | None:
        return f"{settings.MEDIA_URL}{self.thumbnail.name}" if self.thumbnail else None

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE

    @property
    def is_audio(self) -> bool:
        return self.kind == self.Kind.AUDIO
