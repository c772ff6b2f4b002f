import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.http import HttpRequest, HttpResponse
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from accounts import services
from accounts.login_limits import (
    TOO_MANY_FAILED_LOGINS,
    login_account,
    login_failure_record,
    login_failures_retry_after,
)
from accounts.models import Role, TokenBlacklist, User
from accounts.selectors import user_find_for_login
from chatapp.errors import DomainError

TOO_MANY_LOGINS_FROM_ADDRESS = "Too many login attempts from this address. Try again later."
LIMITER_UNAVAILABLE = "Service temporarily unavailable. Try again shortly."
logger = logging.getLogger(__name__)


def staff_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page behind the API login's limits.

    Per address: RATE_LIMIT_AUTH, one count shared with the API's login and register (the same
    group and key as chatapp.middleware.RateLimitMiddleware). Per account: the failures counted
    by accounts.login_limits, whichever login they were made on.
    """
    if request.method != "POST":
        return admin.site.login(request)
    try:
        usage = get_usage(request, group="auth", key="ip", rate=settings.RATE_LIMIT_AUTH, method=ALL, increment=True)
    except RedisError as error:
        # Closed, like the API's login (chatapp.middleware.RateLimitMiddleware): unlimited guessing
        # at staff passwords is worse than the admin waiting for Redis.
        logger.warning("admin login refused while the rate limiter is unavailable", extra={"error": str(error)})
        return _refuse(LIMITER_UNAVAILABLE, status=503, retry_after=settings.RATE_LIMIT_RETRY_SECONDS)
    if usage is not None and usage["should_limit"]:
        return _refuse(TOO_MANY_LOGINS_FROM_ADDRESS, retry_after=max(1, int(usage.get("time_left") or 1)))
    username = request.POST.get("username", "")
    account = login_account(user=user_find_for_login(username=username), identifier=username)
    retry_after = login_failures_retry_after(account=account)
    if retry_after is not None:
        return _refuse(TOO_MANY_FAILED_LOGINS, retry_after=retry_after)
    response = admin.site.login(request)
    if not (request.user.is_authenticated and request.user.is_staff):
        login_failure_record(account=account)
    return response


def _refuse(message: str, *, retry_after: int, status: int = 429) -> HttpResponse:
    return HttpResponse(
        message, status=status, content_type="text/plain; charset=utf-8", headers={"Retry-After": str(retry_after)}
    )


class ChatUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email")


class ChatUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean(self) -> dict:
        # The workspace's last active owner stays an active owner: said on the form, beside the
        # fields; the role service checks again under the lock (UserAdmin.save_model).
        data = super().clean() or {}
        user = self.instance
        if user.pk and user.role == Role.OWNER and user.is_active:
            leaving = data.get("role", user.role) != Role.OWNER or not data.get("is_active", True)
            others = User.objects.filter(role=Role.OWNER, is_active=True).exclude(pk=user.pk)
            if leaving and not others.exists():
                raise forms.ValidationError(services.LAST_OWNER)
        return data


class ChatAdminPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        user = super().save(commit)
        if commit and not user.has_usable_password():
            # "Disable password-based authentication" sets no new password, so Django does not
            # run the password-changed hook (accounts.passwords): end the sessions here.
            services.user_password_changed(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = ChatUserChangeForm
    change_password_form = ChatAdminPasswordChangeForm
    add_form = ChatUserCreationForm
    list_display = ("username", "email", "role", "is_active", "is_staff", "is_online", "last_seen", "created_at")
    list_filter = ("role", "is_active", "is_staff", "is_online")
    search_fields = ("username", "email")
    ordering = ("username",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login", "last_seen", "tokens_valid_after")
    fieldsets = (
        (None, {"fields": ("id", "username", "email", "password")}),
        ("Profile", {"fields": ("avatar", "status", "is_online", "last_seen")}),
        (
            "Access",
            {
                "fields": (
                    "role",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                    "tokens_valid_after",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),)
    actions = ["deactivate_users"]

    @admin.action(description="Deactivate (revoke tokens, close sockets)")
    def deactivate_users(self, request, queryset) -> None:
        count = 0
        for user in queryset.filter(is_active=True):
            services.user_deactivate(user=user)
            count += 1
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)

    def delete_model(self, request, obj: User) -> None:
        services.user_delete_by_staff(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        # The bulk "delete selected" action: one user at a time, through the same service.
        for user in queryset:
            services.user_delete_by_staff(user=user)

    def save_model(self, request, obj, form, change) -> None:
        if change and "role" in form.changed_data:
            # Through the service, as the API's role changes: the last owner stays one, Django
            # admin access follows the role, the audit log says who.
            try:
                changed = services.user_role_set_by_staff(actor=request.user, user=obj, role=obj.role)
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)
                return
            if "is_staff" not in form.changed_data:
                obj.is_staff = changed.is_staff
        # Unticking "active" in the form goes through the same service as the action.
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.is_active = True
            super().save_model(request, obj, form, change)
            services.user_deactivate(user=obj)
            return
        super().save_model(request, obj, form, change)


@admin.register(TokenBlacklist)
class TokenBlacklistAdmin(admin.ModelAdmin):
    list_display = ("jti", "user", "expires_at", "created_at")
    search_fields = ("jti", "user__username")
    readonly_fields = ("jti", "user", "expires_at", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
