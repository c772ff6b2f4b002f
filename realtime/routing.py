from django.urls import path

from realtime.consumers import ChatConsumer

websocket_urlpatterns = [
    path("api/v1/ws", ChatConsumer.as_asgi()),
]
