from django.conf import settings
from django.db import models


class SsoLoginCode(models.Model):
    """The one-time code a finished sign-in hands the browser, exchanged by the page for a token.

    Only its SHA-256 is stored: a database read does not yield a usable code. Single use (the
    exchange deletes the row) and short-lived, so a code left in a browser's history is worthless.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"sign-in code for {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
