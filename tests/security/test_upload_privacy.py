"""Uploads are protected by unguessable URLs (README: anyone holding the URL can fetch the file).
So names must carry 128 random bits, and nobody may reference another user's upload."""

import re

import pytest

pytestmark = pytest.mark.django_db

NAME = re.compile(r"/media/uploads/([0-9a-f]{32})\.png$")


def test_upload_names_are_128_random_bits_unrelated_to_the_content_or_client_name(api_client_for, user, make_upload):
    names = {NAME.search(make_upload(user).file.url).group(1) for _ in range(20)}
    assert len(names) == 20  # identical bytes and client name every time, never the same name
    assert all(len(name) * 4 == 128 for name in names)


def test_outsider_cannot_send_a_private_rooms_upload_in_a_message(
    api_client_for, user, make_user, make_room, make_upload
):
    outsider = make_user("outsider")
    private = make_room(user, type="private")
    upload = make_upload(user)
    member = api_client_for(user)
    sent = member.post(
        f"/api/v1/rooms/{private.id}/messages", {"type": "image", "file_url": upload.file.url}, format="json"
    )
    assert sent.status_code == 201
    own_room = make_room(outsider)
    response = api_client_for(outsider).post(
        f"/api/v1/rooms/{own_room.id}/messages", {"type": "image", "file_url": upload.file.url}, format="json"
    )
    assert response.status_code == 400
    assert "upload" in response.json()["error"].lower()
    avatar = api_client_for(outsider).patch("/api/v1/auth/me", {"avatar": upload.file.url}, format="json")
    assert avatar.status_code == 400
