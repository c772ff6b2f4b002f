from django.contrib import admin
from django.urls import include, path

from chatapp import health

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("rooms.urls")),
    path("", include("messaging.urls")),
    path("", include("dms.urls")),
    path("", include("uploads.urls")),
]

urlpatterns = [
    path("health", health.health),
    path("health/ready", health.ready),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]
