"""REST endpoints for direct messages."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatapp.api import signed_in, validated
from chatapp.openapi import error_responses
from dms import selectors, services
from dms.serializers import ConversationSerializer, DmStartInput
from rooms.selectors import room_get_for_user
from rooms.serializers import RoomDetailSerializer


class DmApi(APIView):
    @extend_schema(
        operation_id="dm_list",
        responses=inline_serializer("Conversations", {"data": ConversationSerializer(many=True)}),
    )
    def get(self, request: Request) -> Response:
        conversations = selectors.dm_list(user=signed_in(request.user))
        return Response({"data": ConversationSerializer(conversations, many=True).data})

    @extend_schema(
        request=DmStartInput, responses={201: RoomDetailSerializer, 200: RoomDetailSerializer, **error_responses(404)}
    )
    def post(self, request: Request) -> Response:
        data = validated(DmStartInput, request)
        user = signed_in(request.user)
        room, created = services.dm_get_or_create(user=user, recipient_id=data["recipient_id"])
        detail = room_get_for_user(room_id=room.id, user=user)
        return Response(
            RoomDetailSerializer(detail, context={"viewer_id": user.id}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
