import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def upload_file(api_client_for):
    """Posts `content` as `name` to /api/v1/upload for `user`; returns the response."""

    def post(user, name: str, content: bytes, **extra):
        client = api_client_for(user)
        return client.post("/api/v1/upload", {"file": SimpleUploadedFile(name, content)}, format="multipart", **extra)

    return post
