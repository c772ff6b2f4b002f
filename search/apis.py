"""GET /search: full-text search over the messages the caller may read."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatapp.api import signed_in
from chatapp.openapi import error_responses
from chatapp.paging import limit_param
from search import selectors
from search.serializers import SearchResultSerializer, search_hit_json

_Q_HELP = (
    'Words (all must appear), "exact phrase", -excluded, a OR b; the last word also matches as a prefix. '
    "Operators anywhere, - in front negates one: from:<username>, in:<room name> (quoted if it has spaces), "
    "in:@<username> (the direct room with them), has:file|image|link|audio, before:YYYY-MM-DD, "
    "after:YYYY-MM-DD (both exclude the day named), is:mention (mentions of you, by name or @room), is:unread. "
    "Operators alone are a valid search."
)


class MessageSearchApi(APIView):
    @extend_schema(
        operation_id="search_messages",
        parameters=[
            OpenApiParameter("q", str, required=True, description=_Q_HELP),
            OpenApiParameter("sort", str, enum=list(selectors.SORTS), description="default newest"),
            OpenApiParameter("limit", int, description=f"1-{selectors.MAX_LIMIT}, default 20"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page (same q and sort)"),
        ],
        responses={
            200: inline_serializer(
                "SearchResults",
                {
                    "data": SearchResultSerializer(many=True),
                    "limit": serializers.IntegerField(),
                    "next_cursor": serializers.CharField(allow_null=True, help_text="null on the last page"),
                },
            ),
            **error_responses(400),
        },
        description=(
            "Messages in the rooms the caller is a member of now (public, private and direct), never deleted "
            "ones, matching `q`. Words match their stems in the configured SEARCH_LANGUAGE and ignore accents."
        ),
    )
    def get(self, request: Request) -> Response:
        limit = limit_param(request, max_limit=selectors.MAX_LIMIT)
        page = selectors.message_search(
            user=signed_in(request.user),
            q=request.query_params.get("q", ""),
            sort=request.query_params.get("sort") or "newest",
            limit=limit,
            cursor=request.query_params.get("cursor") or None,
        )
        data = [search_hit_json(hit) for hit in page.hits]
        return Response({"data": data, "limit": limit, "next_cursor": page.next_cursor})
