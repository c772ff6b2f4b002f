from django.urls import path

from messaging import apis

urlpatterns = [
    path("rooms/me", apis.MyRoomsApi.as_view()),
    path("rooms/<uuid:room_id>/messages", apis.RoomMessagesApi.as_view()),
    path("rooms/<uuid:room_id>/pins", apis.RoomPinListApi.as_view()),
    path("rooms/<uuid:room_id>/pins/<uuid:message_id>", apis.RoomPinApi.as_view()),
    path("messages/<uuid:message_id>", apis.MessageDetailApi.as_view()),
    path("messages/<uuid:message_id>/reactions/<str:emoji>", apis.MessageReactionApi.as_view()),
    path("mentions", apis.MentionListApi.as_view()),
]
