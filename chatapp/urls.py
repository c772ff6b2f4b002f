from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin import staff_login
from chatapp import health, webapp
from sso.urls import api_urlpatterns as sso_api_urls
from uploads.views import media_serve

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("rooms.urls")),
    path("", include("messaging.urls")),
    path("", include("dms.urls")),
    path("", include("uploads.urls")),
    path("", include("notifications.urls")),
    path("", include("search.urls")),
    path("", include(sso_api_urls)),
]

urlpatterns = [
    path("health", health.health),
    path("health/ready", health.ready),
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("media/<path:name>", media_serve),
    # Before the admin's own login view, which it wraps with the login rate limits.
    path("admin/login/", staff_login),
    path("admin/", admin.site.urls),
    # The web client: two server-rendered pages; everything else is static/js talking to the API.
    path("", TemplateView.as_view(template_name="chat/app.html"), name="app"),
    path("login", TemplateView.as_view(template_name="chat/login.html"), name="login"),
    # The mailed reset link and an invitation's link: the login page, opened at the right form.
    path("reset-password", TemplateView.as_view(template_name="chat/login.html"), name="reset-password"),
    path("join/<str:code>", TemplateView.as_view(template_name="chat/login.html"), name="join"),
    path("", include("sso.urls")),
    # A room's and a message's own addresses (push notifications and "Copy link" give the second):
    # the workspace, opened at that room or message by static/js/routes.js.
    path("rooms/<uuid:room_id>", TemplateView.as_view(template_name="chat/app.html"), name="app-room"),
    path(
        "rooms/<uuid:room_id>/messages/<uuid:message_id>",
        TemplateView.as_view(template_name="chat/app.html"),
        name="app-message",
    ),
    # The installable app: its service worker and manifest, at the root (see chatapp/webapp.py).
    path("sw.js", webapp.service_worker, name="service-worker"),
    path("manifest.webmanifest", webapp.manifest, name="manifest"),
    path("static/index.html", RedirectView.as_view(url="/", permanent=False)),
]
