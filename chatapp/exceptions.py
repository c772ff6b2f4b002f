"""DRF exception handler: every API error is `{"error": "..."}` (plus `fields` for bad input)."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from chatapp.errors import DomainError

_MESSAGES = {
    exceptions.NotAuthenticated: "Authorization header is required",
    exceptions.MethodNotAllowed: "Method not allowed",
    exceptions.NotFound: "Not found",
    exceptions.PermissionDenied: "You do not have permission to perform this action",
    exceptions.UnsupportedMediaType: "Unsupported content type",
    exceptions.NotAcceptable: "Not acceptable",
}


def first_error_message(detail: Any, prefix: str = "") -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            label = "" if key == "non_field_errors" else str(key)
            return first_error_message(value, label or prefix)
        return "Invalid input"
    if isinstance(detail, list):
        return first_error_message(detail[0], prefix) if detail else "Invalid input"
    text = str(detail)
    return f"{prefix}: {text}" if prefix else text


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response({"error": exc.message}, status=exc.status_code, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None  # unexpected: JsonErrorMiddleware logs it and answers 500 JSON

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        body: dict[str, Any] = {"error": first_error_message(detail)}
        if isinstance(detail, dict):
            body["fields"] = {key: [str(m) for m in (v if isinstance(v, list) else [v])] for key, v in detail.items()}
        response.data = body
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    if isinstance(exc, exceptions.ParseError):
        response.data = {"error": "Malformed request body"}
        return response

    message = next((text for kind, text in _MESSAGES.items() if type(exc) is kind), None)
    if message is None:
        message = first_error_message(exc.detail) if hasattr(exc, "detail") else str(exc)
    response.data = {"error": message}
    return response
