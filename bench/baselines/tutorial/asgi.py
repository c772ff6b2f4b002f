import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baselines.tutorial.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

django_asgi_app = get_asgi_application()

from bench.baselines.tutorial.consumers import ChatConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": URLRouter([path("api/v1/ws", ChatConsumer.as_asgi())])}
)
