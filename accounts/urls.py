from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view()),
    path("auth/login", apis.LoginApi.as_view()),
    path("auth/me", apis.MeApi.as_view()),
    path("auth/logout", apis.LogoutApi.as_view()),
    path("auth/username", apis.UsernameChangeApi.as_view()),
    path("auth/email", apis.EmailChangeApi.as_view()),
    path("auth/password", apis.PasswordChangeApi.as_view()),
    path("auth/password/forgot", apis.PasswordForgotApi.as_view()),
    path("auth/password/reset", apis.PasswordResetApi.as_view()),
    path("admin/users", apis.AdminUserListApi.as_view()),
    path("admin/users/<uuid:user_id>", apis.AdminUserUpdateApi.as_view()),
    path("admin/audit", apis.AdminAuditApi.as_view()),
    path("invites", apis.InviteListCreateApi.as_view()),
    path("invites/<uuid:invite_id>", apis.InviteRevokeApi.as_view()),
    path("users/search", apis.UserSearchApi.as_view()),
    path("users/<uuid:user_id>", apis.UserDetailApi.as_view()),
]
