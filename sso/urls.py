from django.urls import path

from sso import apis, views

# Under /api/v1/.
api_urlpatterns = [
    path("auth/providers", apis.AuthProvidersApi.as_view()),
    path("auth/sso/exchange", apis.SsoExchangeApi.as_view()),
]

# Browser pages (redirects and HTML), at the root beside /login.
urlpatterns = [
    path("sso/start", views.SsoStartView.as_view(), name="sso-start"),
    path("sso/callback", views.SsoCallbackView.as_view(), name="sso-callback"),
]
