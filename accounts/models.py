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


class Role(models.TextChoices):
    """Workspace roles: owners and admins moderate; only owners change roles."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


MODERATOR_ROLES = (Role.OWNER, Role.ADMIN)


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
        # How an invite-only or closed server gets its first owner.
        extra.setdefault("role", Role.OWNER)
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
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
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

    @property
    def is_moderator(self) -> bool:
        return self.role in MODERATOR_ROLES


class TokenBlacklist(models.Model):
    """A revoked JWT, kept until it would have expired anyway (then `cleanup_tokens` drops it)."""

    jti = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.jti


class Invite(models.Model):
    """A way in when REGISTRATION=invite: one row per invite, its code kept only as a SHA-256 digest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code_hash = models.CharField(max_length=64, unique=True)
    # Bound to one address when set (lower-cased); any address when blank.
    email = models.EmailField(max_length=254, blank=True, default="")
    max_uses = models.PositiveIntegerField(default=1)
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The redeeming UPDATE checks this too; the constraint makes overspending impossible.
            models.CheckConstraint(condition=models.Q(uses__lte=models.F("max_uses")), name="invite_uses_within_max"),
        ]

    def __str__(self) -> str:
        return f"invite {self.id} ({self.uses}/{self.max_uses})"


class AuditEntry(models.Model):
    """One moderation action: append-only (services only create rows; the admin cannot edit them)."""

    id = models.BigAutoField(primary_key=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40)
    target_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.created_at:%Y-%m-%d %H:%M}"
