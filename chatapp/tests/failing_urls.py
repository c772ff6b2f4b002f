"""URLs for tests that need a view that crashes, or one that waits for the test."""

import threading

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response


@api_view(["GET"])
@permission_classes([AllowAny])
def explode(request):
    raise RuntimeError("secret internals: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")


# `slow` signals that it runs, then waits for the test to release it.
slow_view_entered = threading.Event()
slow_view_release = threading.Event()


@api_view(["GET"])
@permission_classes([AllowAny])
def slow(request):
    slow_view_entered.set()
    slow_view_release.wait(10)
    return Response({"status": "late"})


urlpatterns = [path("api/v1/explode", explode), path("api/v1/slow", slow)]
