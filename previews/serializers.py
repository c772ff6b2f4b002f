"""The `link_preview` of the message JSON (REST and WebSocket alike)."""

from typing import Any, TypedDict

from rest_framework import serializers

from previews.models import MessageLinkPreview


class LinkPreviewJSON(TypedDict):
    url: str
    title: str
    description: str
    site_name: str
    image_url: str | None


def ready_json(preview: MessageLinkPreview) -> LinkPreviewJSON:
    """A ready preview as clients see it. Load it with its `image` (no query here)."""
    return {
        "url": preview.url,
        "title": preview.title,
        "description": preview.description,
        "site_name": preview.site_name,
        # Our stored copy only: a client never loads anything from the linked site.
        "image_url": preview.image.url if preview.image is not None else None,
    }


def link_preview_json(preview: MessageLinkPreview | None) -> LinkPreviewJSON | None:
    """The `link_preview` of a message: null until its preview is ready, and for good when its
    link could not be previewed."""
    if preview is None or preview.status != MessageLinkPreview.Status.READY:
        return None
    return ready_json(preview)


class LinkPreviewSerializer(serializers.Serializer):
    """What a message's first link showed when this server fetched it. Nothing in it is for a
    client to load from the linked site: `image_url` is this server's copy."""

    # The schema's description above; `link_preview_json` builds the JSON.

    url = serializers.CharField(read_only=True, help_text="the link, as the message's text has it")
    title = serializers.CharField(read_only=True, help_text='the page\'s title ("" when it has none)')
    description = serializers.CharField(read_only=True, help_text='the page\'s description ("" when none)')
    site_name = serializers.CharField(read_only=True, help_text="the site's name, else the link's host")
    image_url = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="this server's copy of the page's image (at most 400 px a side, under /media/); null when none",
    )

    def to_representation(self, instance: MessageLinkPreview) -> Any:
        return link_preview_json(instance)
