"""HTTP middleware: request ids and access logs, JSON errors, CORS preflight status, rate limits."""

import logging
import re
import threading
import time
import uuid
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from chatapp.logging import request_id_var

access_logger = logging.getLogger("chatapp.access")
error_logger = logging.getLogger("chatapp.errors")

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_JSON_PATH_PREFIXES = ("/api/", "/health")
# Password reset shares the login's per-address count: both are ways to guess at an account.
_AUTH_RATE_LIMITED_PATHS = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/password/reset",
    "/api/v1/auth/sso/exchange",
}
_CLIENT_ERRORS: dict[type[Exception], tuple[int, str]] = {
    RequestDataTooBig: (413, "Request body too large"),
    TooManyFieldsSent: (400, "Too many fields or query parameters"),
    TooManyFilesSent: (400, "Too many files"),
}


def _wants_json_errors(request: HttpRequest) -> bool:
    return request.path.startswith(_JSON_PATH_PREFIXES)


class RequestIdMiddleware:
    """Keeps a sane client X-Request-ID (else makes one), echoes it, and logs one access line."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else str(uuid.uuid4())
        context_token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            access_logger.info(
                "request",
                extra={
                    "method": request.method,
                    # The path only: a query string may carry anything a client put there.
                    "path": request.path,
                    "status": response.status_code,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": str(user.pk) if user is not None and user.is_authenticated else None,
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                },
            )
            return response
        finally:
            request_id_var.reset(context_token)


class JsonErrorMiddleware:
    """Under /api/ and /health*, every error is `{"error": ...}`: no HTML pages, no tracebacks."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _wants_json_errors(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            reason = (
                HTTPStatus(response.status_code).phrase
                if response.status_code in HTTPStatus._value2member_map_
                else "Error"
            )
            replacement = JsonResponse({"error": reason}, status=response.status_code)
            for header in ("Retry-After", "Allow", "X-Request-ID"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _wants_json_errors(request):
            return None
        if isinstance(exception, (SuspiciousOperation, BadRequest)):
            # Django's own verdicts on a request it would not read (a body over
            # DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or parameters...): the client's doing.
            status, message = _CLIENT_ERRORS.get(type(exception), (400, "Bad request"))
            error_logger.warning(
                "request refused", extra={"path": request.path, "status": status, "error": type(exception).__name__}
            )
            return JsonResponse({"error": message}, status=status)
        if isinstance(exception, (OperationalError, InterfaceError)):
            # The database is unreachable: a retryable outage, not a bug.
            error_logger.warning("database unavailable", extra={"path": request.path, "error": str(exception)})
            return JsonResponse({"error": "Service temporarily unavailable"}, status=503, headers={"Retry-After": "2"})
        if isinstance(exception, DatabaseError):
            error_logger.exception("database error", extra={"path": request.path})
            return JsonResponse({"error": "Internal server error"}, status=500)
        error_logger.exception("unhandled error", extra={"path": request.path})
        return JsonResponse({"error": "Internal server error"}, status=500)


class PreflightNoContentMiddleware:
    """CORS preflights answer 204 No Content (the seed's contract), allowed origin or not."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method == "OPTIONS"
            and "access-control-request-method" in request.headers
            and response.status_code == 200
        ):
            response.status_code = 204
            response.content = b""
            if "Content-Length" in response:
                del response["Content-Length"]
        return response


class _LimiterOutage:
    """Remembers that the rate limiter's cache (Redis) is unreachable, and says so in few log lines.

    Once a cache call fails, the next RATE_LIMIT_RETRY_SECONDS skip the cache altogether (a Redis
    that does not answer would otherwise cost every request its connect timeout); the first call
    after that tries again. One WARNING when the outage starts, one per RATE_LIMIT_LOG_SECONDS while
    it lasts (with how many requests went unlimited or were refused meanwhile), one when it ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._logged_at = 0.0
        self._skipped = 0

    def should_skip(self) -> bool:
        return self._down_since is not None and time.monotonic() < self._retry_at

    def failed(self, error: Exception | None) -> None:
        """Counts a request the limiter could not check; `error` when the cache was asked and failed."""
        now = time.monotonic()
        with self._lock:
            if error is not None:
                self._retry_at = now + settings.RATE_LIMIT_RETRY_SECONDS
            self._skipped += 1
            if self._down_since is None:
                self._down_since = now
            elif now - self._logged_at < settings.RATE_LIMIT_LOG_SECONDS:
                return
            self._logged_at, skipped, self._skipped = now, self._skipped, 0
            down_for = round(now - self._down_since, 1)
        error_logger.warning(
            "rate limiter unavailable: API requests go unlimited, register and login answer 503",
            extra={"requests_since_last_line": skipped, "down_seconds": down_for, "error": str(error or "")},
        )

    def recovered(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            down_for, skipped = round(time.monotonic() - self._down_since, 1), self._skipped
            self._down_since, self._skipped = None, 0
        error_logger.warning(
            "rate limiter available again", extra={"down_seconds": down_for, "requests_since_last_line": skipped}
        )


class RateLimitMiddleware:
    """Per-IP fixed-window limits shared by every process through the Django cache.

    When the cache (Redis) is unreachable the limiter fails open for the API (each call needs a valid
    token, and unlimited is better than a 500 for everyone) but closed for register and login: the
    per-IP limit is what stands between a password guesser and the password hashes, so those answer
    503 with Retry-After until Redis is back. PostgreSQL being down answers the same way.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.outage = _LimiterOutage()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/v1/"):
            auth = request.path in _AUTH_RATE_LIMITED_PATHS
            group, rate = ("auth", settings.RATE_LIMIT_AUTH) if auth else ("api", settings.RATE_LIMIT_API)
            usage, available = self._usage(request, group, rate)
            if not available and auth:
                return JsonResponse(
                    {"error": "Service temporarily unavailable"},
                    status=503,
                    headers={"Retry-After": str(settings.RATE_LIMIT_RETRY_SECONDS)},
                )
            if usage is not None and usage["should_limit"]:
                retry_after = max(1, int(usage.get("time_left") or 1))
                return JsonResponse(
                    {"error": "Too many requests"}, status=429, headers={"Retry-After": str(retry_after)}
                )
        return self.get_response(request)

    def _usage(self, request: HttpRequest, group: str, rate: str) -> tuple[dict | None, bool]:
        """The limiter's count for this request, and whether the cache could be asked at all."""
        if self.outage.should_skip():
            self.outage.failed(None)
            return None, False
        try:
            usage = get_usage(request, group=group, key="ip", rate=rate, method=ALL, increment=True)
        except RedisError as error:
            self.outage.failed(error)
            return None, False
        self.outage.recovered()
        return usage, True
