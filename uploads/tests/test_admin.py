import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import TokenBlacklist
from uploads.services import upload_create
from uploads.tests import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(user):
    upload = upload_create(owner=user, file=SimpleUploadedFile("pic.png", samples.image_bytes("PNG")))
    blacklisted = TokenBlacklist.objects.create(jti="abc", user=user, expires_at=timezone.now())
    return {
        "uploads": "/admin/uploads/upload/",
        "upload": f"/admin/uploads/upload/{upload.pk}/change/",
        "users": "/admin/accounts/user/",
        "user": f"/admin/accounts/user/{user.pk}/change/",
        "token blacklist": "/admin/accounts/tokenblacklist/",
        "blacklisted token": f"/admin/accounts/tokenblacklist/{blacklisted.pk}/change/",
    }, upload


def test_staff_superuser_can_open_every_moderation_page(client, make_user, pages):
    urls, upload = pages
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    for name, url in urls.items():
        assert client.get(url).status_code == 200, name
    detail = client.get(urls["upload"]).content.decode()
    assert f'<img src="{upload.thumbnail_url}"' in detail  # the preview
    assert client.get(urls["uploads"] + "?q=pic").status_code == 200


@pytest.mark.parametrize("logged_in", [True, False])
def test_non_staff_are_sent_to_the_login_page(client, make_user, pages, logged_in):
    urls, _upload = pages
    if logged_in:
        client.force_login(make_user("plain"))
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/admin/login/")


def test_uploads_are_read_only_in_the_admin(client, make_user, pages):
    urls, _upload = pages
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert client.get("/admin/uploads/upload/add/").status_code == 403


def test_deleting_an_upload_in_the_admin_removes_its_files(client, make_user, pages, _media_root):
    urls, upload = pages
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = client.post(f"/admin/uploads/upload/{upload.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not (_media_root / upload.file.name).exists()
    assert not (_media_root / upload.thumbnail.name).exists()
