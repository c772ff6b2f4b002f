import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,30}$"
DEFAULT_STATUS = "Hey there! I am using ChatApp"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique case-insensitively, so look them up that way (admin, createsuperuser).
        return self.get(username__iexact=username)

    def create_user(self, username: str, email: str, password: str | None = None, **extra: Any) -> "User":
        # The hash is assigned, not set with set_password(): a new account has no sessions for
        # Django's password_changed hook (accounts.passwords) to end, and ending them would stamp a
        # token cut-off at creation that a token issued under a test's frozen clock never passes.
        user = self.model(
            username=username, email=self.normalize_email(email).lower(), password=make_password(password), **extra
        )
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        max_length=30,
        unique=True,
        validators=[RegexValidator(USERNAME_PATTERN, "3-30 letters, digits, '_', '.' or '-'")],
    )
    email = models.EmailField(max_length=254)
    avatar = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=140, blank=True, default=DEFAULT_STATUS)
    is_online = models.BooleanField(default=False)
    last_seen = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Tokens issued before this instant are refused (set on password change and deactivation).
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    # Not a column: set by the query that loads a token's user (accounts.tokens).
    token_revoked: bool

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username


class TokenBlacklist(models.Model):
    """A revoked JWT, kept until it would have expired anyway (then `cleanup_tokens` drops it)."""

    jti = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.jti
