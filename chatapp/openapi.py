"""OpenAPI helpers shared by every app's views: the error shape and its responses."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

_ERROR_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Missing, invalid, expired or revoked token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with existing data",
    413: "File too large. Maximum size is 4 MB",
    415: "Unsupported content type",
    429: "Too many requests (see Retry-After)",
}


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API."""

    error = serializers.CharField(help_text="A message fit to show a user")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On invalid input: the messages for each field",
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for error statuses, all with the `{"error": "..."}` shape."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(code, "")) for code in codes}
