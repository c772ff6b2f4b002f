"""Structured logging: one JSON object per line, with the request's id and no secrets."""

import logging
import re
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# A JWT (three base64url segments starting with the encoded '{"'), a Bearer credential, or a
# password/token value in a key=value or JSON pair. Tokens must never reach a log line.
_SECRET_PATTERNS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1[redacted]"),
    (
        re.compile(
            r"(?i)([\"']?(?:password|current_password|new_password|token|authorization)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\"',\s}]+"
        ),
        r"\1[redacted]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        # Django attaches the request object to some records; its repr is noise in JSON.
        if hasattr(record, "request"):
            record.request = None
        return True


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class UnavailableIsNotAnErrorFilter(logging.Filter):
    """Drops Django's ERROR line ("Service Unavailable: /path") for each 503 it answers.

    A 503 here is always a deliberate answer to an outage (PostgreSQL or Redis away, readiness),
    logged once by the code that detected the outage and once per request by the access log; an
    ERROR for every request during an outage would bury the lines that matter. A 500 stays an ERROR.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "message": "event", "name": "logger"}
        )
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)

    # python-json-logger widens logging's return type to a list (with exc_info_as_array) and ignores
    # the override the same way.
    def formatException(self, ei) -> str | list[str]:  # type: ignore[override]  # noqa: N802 - logging's API name
        formatted = super().formatException(ei)
        if isinstance(formatted, list):
            return [redact(line) for line in formatted]
        return redact(formatted)
