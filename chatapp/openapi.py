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
    503: "Temporarily unavailable (see Retry-After)",
}


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API."""

    error = serializers.CharField(help_text="A message fit to show a user")
    # DRF's serializer metaclass moves declared fields off the class, so this field does not shadow
    # Serializer.fields at run time; the stubs cannot see that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On invalid input: the messages for each field",
    )


class ConfirmationSerializer(serializers.Serializer):
    """The answer of an action that returns nothing else (a deletion, a join, a logout)."""

    message = serializers.CharField(help_text="What was done, fit to show a user")


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for error statuses, all with the `{"error": "..."}` shape."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(code, "")) for code in codes}


_POSITIVE_QUERY_PARAMETERS = {"page", "limit"}
_UUID_QUERY_PARAMETERS = {"before", "after", "around"}


def add_standard_answers(result: dict, generator, request, public) -> dict:
    """Documents the answers every /api/v1 operation can give, so the schema matches the server.

    Found by fuzzing the schema (tests/fuzz): the middleware and the shared request handling answer
    429 everywhere, 401 without a valid token, 400 for a malformed body or query and 404 for an
    unknown id, whatever the view says. Query ids are UUIDs (path ids say so through their
    `<uuid:…>` converters) and pages start at 1.
    """
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            wanted = {"429"}
            if {} not in operation.get("security", [{}]):
                wanted.add("401")
            if operation.get("requestBody") or any(p["in"] == "query" for p in parameters):
                wanted.add("400")
            if any(p["in"] == "path" for p in parameters):
                wanted.add("404")
            for code in sorted(wanted - set(responses)):
                responses[code] = {"content": error_ref, "description": _ERROR_DESCRIPTIONS[int(code)]}
            for parameter in parameters:
                name, schema = parameter["name"], parameter.setdefault("schema", {})
                if parameter["in"] == "query" and name in _POSITIVE_QUERY_PARAMETERS:
                    schema["minimum"] = 1
                elif parameter["in"] == "query" and name in _UUID_QUERY_PARAMETERS:
                    schema["format"] = "uuid"
    return result
