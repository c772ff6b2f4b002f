"""Liveness and readiness probes."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "service": "chatapp"})


def _database_ok() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception as error:  # any failure means "not ready"; the reason is logged
        logger.warning("readiness: database unavailable", extra={"error": str(error)})
        connection.close_if_unusable_or_obsolete()
        return False


def _redis_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError as error:
        logger.warning("readiness: redis unavailable", extra={"error": str(error)})
        return False


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok" if _database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "unavailable"
    failed = [name for name, state in checks.items() if state != "ok"]
    if failed:
        return JsonResponse({"error": f"Not ready: {', '.join(failed)} unavailable", "checks": checks}, status=503)
    return JsonResponse({"status": "ready", "checks": checks})
