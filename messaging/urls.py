from django.urls import path

from messaging import apis

urlpatterns = [
    path("rooms/<str:room_id>/messages", apis.RoomMessagesApi.as_view()),
    path("messages/<str:message_id>", apis.MessageDetailApi.as_view()),
]
