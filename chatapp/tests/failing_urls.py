"""URLs for tests that need a view that crashes."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny


@api_view(["GET"])
@permission_classes([AllowAny])
def explode(request):
    raise RuntimeError("secret internals: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")


urlpatterns = [path("api/v1/explode", explode)]
