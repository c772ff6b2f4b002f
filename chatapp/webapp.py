"""The installable web app's two root files: the service worker and the web app manifest.

Both live at the site root rather than under /static/: a service worker controls only the paths
below its own URL (so /static/js/sw.js could never see the workspace page at /), and the
manifest's `start_url` and `scope` are the whole site.
"""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

APP_NAME = "ChatApp"
THEME_COLOR = "#5046e5"  # --accent in static/css/app.css
BACKGROUND_COLOR = "#ffffff"  # --bg of the light theme: the splash screen while the app starts
SERVICE_WORKER = "js/sw.js"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js, served from / so its scope is the whole site.

    Never cached by the HTTP cache: the browser's update check is then a plain conditional fetch,
    and a fixed worker reaches every install on the next page load.
    """
    path = finders.find(SERVICE_WORKER)
    if not path:  # a deployment without the web client's files
        return JsonResponse({"error": "the web client is not installed"}, status=404)
    with open(path, "rb") as source:
        body = source.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: name, icons and colours, so browsers offer to install the app."""
    icons = [
        {"src": static(f"img/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ] + [
        {
            "src": static(f"img/icon-maskable-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    body = {
        "name": APP_NAME,
        "short_name": APP_NAME,
        "description": "Team chat: rooms, direct messages, mentions and notifications.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": icons,
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache" if settings.DEBUG else "max-age=3600"
    return response
