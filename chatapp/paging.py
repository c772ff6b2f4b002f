"""Offset pages shared by every list endpoint: `{data, total, page, limit, total_pages}`."""

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from chatapp.errors import BadRequest

DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0

    def as_response(self, data: Any) -> dict:
        return {
            "data": data,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "total_pages": self.total_pages,
        }


def _positive_int(raw: str | None, *, name: str, default: int, maximum: int | None = None, clamp: bool = False) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a positive integer") from None
    if value < 1:
        raise BadRequest(f"{name} must be a positive integer")
    if maximum is not None and value > maximum:
        if clamp:
            return maximum
        raise BadRequest(f"{name} must be between 1 and {maximum}")
    return value


def page_params(request: Request, *, max_limit: int) -> tuple[int, int]:
    """`page` (from 1) and `limit` (default 20) from the query string; nonsense is a 400.

    A `limit` above `max_limit` is lowered to it rather than refused: clients written for the Go
    server ask for larger pages and expect to get the largest one allowed.
    """
    page = _positive_int(request.query_params.get("page"), name="page", default=1, maximum=1_000_000)
    limit = limit_param(request, max_limit=max_limit)
    return page, limit


def limit_param(request: Request, *, max_limit: int) -> int:
    return _positive_int(
        request.query_params.get("limit"), name="limit", default=DEFAULT_LIMIT, maximum=max_limit, clamp=True
    )


def paginate(queryset: QuerySet, *, page: int, limit: int) -> Page:
    """Two queries: a count and one slice."""
    total = queryset.count()
    offset = (page - 1) * limit
    items = list(queryset[offset : offset + limit]) if offset < total else []
    return Page(items=items, total=total, page=page, limit=limit)
