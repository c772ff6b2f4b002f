"""Small helpers shared by every app's DRF views."""

from rest_framework import serializers
from rest_framework.request import Request


def validated(serializer_class: type[serializers.Serializer], request: Request, **kwargs) -> dict:
    """Parses the request body with `serializer_class`; bad input raises a 400 with `fields`."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
