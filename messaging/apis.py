"""REST endpoints for messages: history, send, edit, delete."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatapp.api import validated
from chatapp.errors import BadRequest
from chatapp.openapi import error_responses
from chatapp.paging import limit_param, page_params
from messaging import selectors, services
from messaging.serializers import MessageEditInput, MessageSendInput, MessageSerializer
from rooms.models import Room
from rooms.selectors import room_get_member, room_partner_read_at


class RoomMessagesApi(APIView):
    @extend_schema(
        operation_id="rooms_messages_list",
        parameters=[
            OpenApiParameter("page", int, description="from 1 (offset pages, newest first)"),
            OpenApiParameter("limit", int, description=f"1-{selectors.MAX_LIMIT}, default 20"),
            OpenApiParameter("before", str, description="message id: older messages, newest first"),
            OpenApiParameter("after", str, description="message id: newer messages, oldest first"),
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
                    "partner_read_at": serializers.DateTimeField(
                        required=False, allow_null=True, help_text="direct rooms"
                    ),
                },
            ),
            **error_responses(403),
        },
    )
    def get(self, request: Request, room_id: str) -> Response:
        room, _ = room_get_member(room_id=room_id, user=request.user)
        before, after = request.query_params.get("before"), request.query_params.get("after")
        if before and after:
            raise BadRequest("Use either before or after, not both")
        if before or after:
            limit = limit_param(request, max_limit=selectors.MAX_LIMIT)
            if before:
                result = selectors.messages_before(room_id=room.id, before_id=before, limit=limit)
            else:
                result = selectors.messages_after(room_id=room.id, after_id=after, limit=limit)
            body = {
                "data": MessageSerializer(result.items, many=True).data,
                "limit": limit,
                "has_more": result.has_more,
            }
        else:
            page, limit = page_params(request, max_limit=selectors.MAX_LIMIT)
            result = selectors.message_page(room_id=room.id, page=page, limit=limit)
            body = result.as_response(MessageSerializer(result.items, many=True).data)
        if room.type == Room.Type.DIRECT:
            body["partner_read_at"] = serializers.DateTimeField().to_representation(
                room_partner_read_at(room=room, user=request.user)
            )
        return Response(body)

    @extend_schema(
        request=MessageSendInput, responses={201: MessageSerializer, 200: MessageSerializer, **error_responses(403)}
    )
    def post(self, request: Request, room_id: str) -> Response:
        message, created = services.message_send(
            room_id=room_id, sender=request.user, **validated(MessageSendInput, request)
        )
        return Response(
            MessageSerializer(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MessageDetailApi(APIView):
    @extend_schema(request=MessageEditInput, responses={200: MessageSerializer, **error_responses(403)})
    def patch(self, request: Request, message_id: str) -> Response:
        message = services.message_edit(
            message_id=message_id, editor=request.user, **validated(MessageEditInput, request)
        )
        return Response(MessageSerializer(message).data)

    @extend_schema(
        responses={
            200: inline_serializer("MessageDeleted", {"message": serializers.CharField()}),
            **error_responses(403),
        }
    )
    def delete(self, request: Request, message_id: str) -> Response:
        services.message_delete(message_id=message_id, actor=request.user)
        return Response({"message": "Message deleted successfully"})
