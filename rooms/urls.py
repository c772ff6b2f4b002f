from django.urls import path

from rooms import apis

urlpatterns = [
    path("rooms", apis.RoomListCreateApi.as_view()),
    path("rooms/<uuid:room_id>", apis.RoomDetailApi.as_view()),
    path("rooms/<uuid:room_id>/join", apis.RoomJoinApi.as_view()),
    path("rooms/<uuid:room_id>/leave", apis.RoomLeaveApi.as_view()),
    path("rooms/<uuid:room_id>/members", apis.RoomMemberAddApi.as_view()),
    path("rooms/<uuid:room_id>/read", apis.RoomReadApi.as_view()),
    path("rooms/<uuid:room_id>/notifications", apis.RoomNotificationsApi.as_view()),
]
