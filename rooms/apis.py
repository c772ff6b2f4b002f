"""REST endpoints for rooms: parse, call a service or selector, serialize."""

from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatapp.api import signed_in, validated
from chatapp.openapi import ConfirmationSerializer, error_responses
from chatapp.paging import page_params
from rooms import selectors, services
from rooms.serializers import (
    RoomAddMemberInput,
    RoomCreateInput,
    RoomDetailSerializer,
    RoomMemberSerializer,
    RoomNotifyLevelInput,
    RoomNotifyLevelSerializer,
    RoomSerializer,
)

MAX_ROOMS_LIMIT = 50

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="from 1"),
    OpenApiParameter("limit", int, description=f"1-{MAX_ROOMS_LIMIT}, default 20"),
]


def _page_schema(name: str, item: serializers.Serializer) -> serializers.Serializer:
    fields = {name: serializers.IntegerField() for name in ("total", "page", "limit", "total_pages")}
    return inline_serializer(name, {"data": item, **fields})


class RoomListCreateApi(APIView):
    @extend_schema(
        operation_id="rooms_list",
        parameters=PAGE_PARAMETERS,
        responses=_page_schema("RoomPage", RoomSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        page, limit = page_params(request, max_limit=MAX_ROOMS_LIMIT)
        result = selectors.room_list_public(page=page, limit=limit)
        return Response(result.as_response(RoomSerializer(result.items, many=True).data))

    @extend_schema(request=RoomCreateInput, responses={201: RoomDetailSerializer, **error_responses(400)})
    def post(self, request: Request) -> Response:
        user = signed_in(request.user)
        room = services.room_create(creator=user, **validated(RoomCreateInput, request))
        detail = selectors.room_get_for_user(room_id=room.id, user=user)
        return Response(
            RoomDetailSerializer(detail, context={"viewer_id": user.id}).data, status=status.HTTP_201_CREATED
        )


class RoomDetailApi(APIView):
    @extend_schema(responses={200: RoomDetailSerializer, **error_responses(403)})
    def get(self, request: Request, room_id: UUID) -> Response:
        user = signed_in(request.user)
        room = selectors.room_get_for_user(room_id=room_id, user=user)
        return Response(RoomDetailSerializer(room, context={"viewer_id": user.id}).data)

    @extend_schema(responses={200: ConfirmationSerializer, **error_responses(400, 403)})
    def delete(self, request: Request, room_id: UUID) -> Response:
        services.room_delete(room_id=room_id, actor=signed_in(request.user))
        return Response({"message": "Room deleted successfully"})


class RoomJoinApi(APIView):
    @extend_schema(request=None, responses={200: ConfirmationSerializer, **error_responses(403)})
    def post(self, request: Request, room_id: UUID) -> Response:
        services.room_join(room_id=room_id, user=signed_in(request.user))
        return Response({"message": "Joined room successfully"})


class RoomLeaveApi(APIView):
    @extend_schema(request=None, responses={200: ConfirmationSerializer, **error_responses(400, 403)})
    def post(self, request: Request, room_id: UUID) -> Response:
        services.room_leave(room_id=room_id, user=signed_in(request.user))
        return Response({"message": "Left room successfully"})


class RoomMemberAddApi(APIView):
    @extend_schema(request=RoomAddMemberInput, responses={201: RoomMemberSerializer, **error_responses(403, 409)})
    def post(self, request: Request, room_id: UUID) -> Response:
        data = validated(RoomAddMemberInput, request)
        member = services.room_add_member(room_id=room_id, actor=signed_in(request.user), user_id=data["user_id"])
        return Response(RoomMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class RoomReadApi(APIView):
    @extend_schema(request=None, responses={200: ConfirmationSerializer, **error_responses(403)})
    def post(self, request: Request, room_id: UUID) -> Response:
        services.room_mark_read(room_id=room_id, user=signed_in(request.user))
        return Response({"message": "Marked as read"})


class RoomNotificationsApi(APIView):
    @extend_schema(
        operation_id="rooms_notifications_update",
        request=RoomNotifyLevelInput,
        responses={200: RoomNotifyLevelSerializer, **error_responses(400, 403)},
    )
    def patch(self, request: Request, room_id: UUID) -> Response:
        level = services.room_set_notify_level(
            room_id=room_id, user=signed_in(request.user), **validated(RoomNotifyLevelInput, request)
        )
        return Response({"room_id": str(room_id), "level": level})
