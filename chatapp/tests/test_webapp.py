"""The installable app's root files: /sw.js and /manifest.webmanifest."""

import io
import json
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client() -> Client:
    return Client()


def test_service_worker_is_served_from_the_root_as_javascript_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])
        == (ROOT / "static" / "js" / "sw.js").read_bytes()
    )


def test_service_worker_refuses_writes(client):
    assert client.post("/sw.js").status_code == 405


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "ChatApp"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["theme_color"].startswith("#")
    assert manifest["background_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= sizes


def test_every_manifest_icon_is_a_png_of_its_stated_size(client):
    from PIL import Image

    for icon in json.loads(client.get("/manifest.webmanifest").content)["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        body = b"".join(response.streaming_content) if response.streaming else response.content
        with Image.open(io.BytesIO(body)) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]


@pytest.mark.parametrize(
    "path",
    [
        "/rooms/11111111-1111-1111-1111-111111111111",
        "/rooms/11111111-1111-1111-1111-111111111111/messages/22222222-2222-2222-2222-222222222222",
    ],
)
def test_a_rooms_and_a_messages_address_serve_the_workspace_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'id="composer-input"' in response.content


@pytest.mark.parametrize("path", ["/rooms/not-a-uuid", "/rooms/not-a-uuid/messages/x", "/rooms/"])
def test_an_address_without_ids_is_a_404(client, path):
    assert client.get(path).status_code == 404
