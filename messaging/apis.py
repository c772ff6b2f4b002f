"""REST endpoints for messages: history, send, edit, delete, reactions, pins, the mentions inbox."""

import json
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatapp.api import signed_in, validated
from chatapp.errors import BadRequest
from chatapp.openapi import ConfirmationSerializer, error_responses
from chatapp.paging import limit_param, page_params
from messaging import rendering, selectors, services
from messaging.serializers import (
    MentionedMessageSerializer,
    MessageEditInput,
    MessageSendInput,
    MessageSerializer,
    MyRoomSerializer,
    PinnedMessageSerializer,
)
from rooms.models import Room
from rooms.selectors import room_get_member, room_partner_read_at


def _json_with_data(body: dict, data_json: str) -> HttpResponse:
    """`body` as JSON with `data_json`, a JSON array rendered by the database, as its "data".

    The messages arrive as JSON text (messaging.rendering): spliced in, not parsed and encoded again.
    """
    text = json.dumps(body, separators=(",", ":"))
    prefix = '{"data":null'
    if not text.startswith(prefix):
        raise ValueError("body must start with a null 'data'")
    return HttpResponse(('{"data":' + data_json + text[len(prefix) :]).encode(), content_type="application/json")


class RoomMessagesApi(APIView):
    @extend_schema(
        operation_id="rooms_messages_list",
        parameters=[
            OpenApiParameter("page", int, description="from 1 (offset pages, newest first)"),
            OpenApiParameter("limit", int, description=f"1-{selectors.MAX_LIMIT}, default 20"),
            OpenApiParameter("before", str, description="message id: older messages, newest first"),
            OpenApiParameter("after", str, description="message id: newer messages, oldest first"),
            OpenApiParameter(
                "around",
                str,
                description="message id: that message in the middle of `limit` messages, oldest first"
                " ((limit - 1) // 2 older ones before it, the rest newer)",
            ),
        ],
        responses={
            200: inline_serializer(
                "MessageHistory",
                {
                    "data": MessageSerializer(many=True),
                    "total": serializers.IntegerField(required=False, help_text="page mode"),
                    "page": serializers.IntegerField(required=False, help_text="page mode"),
                    "total_pages": serializers.IntegerField(required=False, help_text="page mode"),
                    "limit": serializers.IntegerField(),
                    "has_more": serializers.BooleanField(required=False, help_text="before/after mode"),
                    "has_more_before": serializers.BooleanField(required=False, help_text="around mode"),
                    "has_more_after": serializers.BooleanField(required=False, help_text="around mode"),
                    "partner_read_at": serializers.DateTimeField(
                        required=False, allow_null=True, help_text="direct rooms"
                    ),
                },
            ),
            **error_responses(403),
        },
    )
    def get(self, request: Request, room_id: UUID) -> HttpResponse:
        user = signed_in(request.user)
        room, _ = room_get_member(room_id=room_id, user=user)
        before, after = request.query_params.get("before"), request.query_params.get("after")
        around = request.query_params.get("around")
        if len([anchor for anchor in (before, after, around) if anchor]) > 1:
            raise BadRequest("Use only one of before, after and around")
        body: dict[str, object]
        if around:
            limit = limit_param(request, max_limit=selectors.MAX_LIMIT)
            window = selectors.messages_around(room_id=room.id, message_id=around, limit=limit)
            data_json = rendering.render_queryset(window.items)
            body = {
                "data": None,
                "limit": limit,
                "has_more_before": window.has_more_before,
                "has_more_after": window.has_more_after,
            }
        elif anchor_id := before or after:
            limit = limit_param(request, max_limit=selectors.MAX_LIMIT)
            if before:
                result = selectors.messages_before_json(room_id=room.id, before_id=anchor_id, limit=limit)
            else:
                result = selectors.messages_after_json(room_id=room.id, after_id=anchor_id, limit=limit)
            data_json, body = result.data_json, {"data": None, "limit": limit, "has_more": result.has_more}
        else:
            page, limit = page_params(request, max_limit=selectors.MAX_LIMIT)
            rendered = selectors.message_page_json(room_id=room.id, page=page, limit=limit)
            data_json, body = rendered.data_json, rendered.page.as_response(None)
        if room.type == Room.Type.DIRECT:
            read_at = room_partner_read_at(room=room, user=user)
            body["partner_read_at"] = (
                None if read_at is None else serializers.DateTimeField().to_representation(read_at)
            )
        return _json_with_data(body, data_json)

    @extend_schema(
        request=MessageSendInput, responses={201: MessageSerializer, 200: MessageSerializer, **error_responses(403)}
    )
    def post(self, request: Request, room_id: UUID) -> Response:
        message, created = services.message_send(
            room_id=room_id, sender=signed_in(request.user), **validated(MessageSendInput, request)
        )
        return Response(
            MessageSerializer(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MessageDetailApi(APIView):
    @extend_schema(request=MessageEditInput, responses={200: MessageSerializer, **error_responses(403)})
    def patch(self, request: Request, message_id: UUID) -> Response:
        message = services.message_edit(
            message_id=message_id, editor=signed_in(request.user), **validated(MessageEditInput, request)
        )
        return Response(MessageSerializer(message).data)

    @extend_schema(
        responses={
            200: ConfirmationSerializer,
            **error_responses(403),
        }
    )
    def delete(self, request: Request, message_id: UUID) -> Response:
        services.message_delete(message_id=message_id, actor=signed_in(request.user))
        return Response({"message": "Message deleted successfully"})


class MyRoomsApi(APIView):
    @extend_schema(
        operation_id="rooms_me_list", responses=inline_serializer("MyRooms", {"data": MyRoomSerializer(many=True)})
    )
    def get(self, request: Request) -> Response:
        rooms = selectors.room_list_for_user(user=signed_in(request.user))
        return Response({"data": MyRoomSerializer(rooms, many=True).data})


class MentionListApi(APIView):
    @extend_schema(
        operation_id="mentions_list",
        parameters=[
            OpenApiParameter("limit", int, description=f"1-{selectors.MAX_LIMIT}, default 20"),
            OpenApiParameter("before", str, description="message id: older mentions"),
        ],
        responses={
            200: inline_serializer(
                "MentionPage",
                {
                    "data": MentionedMessageSerializer(many=True),
                    "limit": serializers.IntegerField(),
                    "has_more": serializers.BooleanField(),
                },
            ),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request) -> Response:
        limit = limit_param(request, max_limit=selectors.MAX_LIMIT)
        found = selectors.mentions_for_user(
            user=signed_in(request.user), before_id=request.query_params.get("before") or None, limit=limit
        )
        data = MentionedMessageSerializer(found.items, many=True).data
        return Response({"data": data, "limit": limit, "has_more": found.has_more})


_EMOJI_PARAMETER = OpenApiParameter(
    "emoji",
    str,
    OpenApiParameter.PATH,
    description="one emoji, URL-encoded (`%F0%9F%91%8D` for 👍); skin tones and ZWJ sequences are one emoji",
)


class MessageReactionApi(APIView):
    @extend_schema(
        operation_id="messages_reactions_add",
        parameters=[_EMOJI_PARAMETER],
        request=None,
        responses={
            201: OpenApiResponse(MessageSerializer, description="added: the message with its reactions"),
            200: OpenApiResponse(MessageSerializer, description="you had already reacted with it"),
            **error_responses(400, 409),
        },
    )
    def put(self, request: Request, message_id: UUID, emoji: str) -> Response:
        message, added = services.reaction_add(message_id=message_id, user=signed_in(request.user), emoji=emoji)
        return Response(
            MessageSerializer(message).data, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK
        )

    @extend_schema(
        operation_id="messages_reactions_remove",
        parameters=[_EMOJI_PARAMETER],
        responses={200: MessageSerializer, **error_responses(400)},
    )
    def delete(self, request: Request, message_id: UUID, emoji: str) -> Response:
        message = services.reaction_remove(message_id=message_id, user=signed_in(request.user), emoji=emoji)
        return Response(MessageSerializer(message).data)


class RoomPinListApi(APIView):
    @extend_schema(
        operation_id="rooms_pins_list",
        responses={
            200: inline_serializer("PinList", {"data": PinnedMessageSerializer(many=True)}),
            **error_responses(403),
        },
    )
    def get(self, request: Request, room_id: UUID) -> Response:
        pins = selectors.message_pins_for_member(room_id=room_id, user=signed_in(request.user))
        return Response({"data": PinnedMessageSerializer(pins, many=True).data})


class RoomPinApi(APIView):
    @extend_schema(
        operation_id="rooms_pins_add",
        request=None,
        responses={
            201: OpenApiResponse(PinnedMessageSerializer, description="pinned"),
            200: OpenApiResponse(PinnedMessageSerializer, description="it was pinned already"),
            **error_responses(400, 403, 409),
        },
    )
    def put(self, request: Request, room_id: UUID, message_id: UUID) -> Response:
        message, pinned = services.message_pin(room_id=room_id, message_id=message_id, actor=signed_in(request.user))
        return Response(
            PinnedMessageSerializer(message).data, status=status.HTTP_201_CREATED if pinned else status.HTTP_200_OK
        )

    @extend_schema(operation_id="rooms_pins_remove", responses={200: MessageSerializer, **error_responses(403)})
    def delete(self, request: Request, room_id: UUID, message_id: UUID) -> Response:
        message = services.message_unpin(room_id=room_id, message_id=message_id, actor=signed_in(request.user))
        return Response(MessageSerializer(message).data)
