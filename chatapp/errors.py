"""Domain errors raised by services and selectors.

Each carries the HTTP status it maps to and a message fit to show a user; REST turns them into
`{"error": message}` with that status, the WebSocket consumer into an `error` event.
"""


class DomainError(Exception):
    status_code = 400
    retry_after: int | None = None  # seconds, sent as Retry-After (a 503 that clears by itself)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
