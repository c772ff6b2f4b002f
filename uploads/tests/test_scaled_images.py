"""Images the server fetched itself (a link preview's) are stored like uploads: decoded under the
same pixel budget by an allow-list of decoders, a still of at most N px a side, nothing but pixels."""

import io

import pytest
from PIL import Image

from chatapp.errors import BadRequest
from uploads.images import MAX_IMAGE_PIXELS, scaled_image
from uploads.models import Upload
from uploads.services import image_upload_create
from uploads.tests import samples


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_big_photo_becomes_a_small_upright_jpeg_without_its_exif():
    photo = samples.jpeg_with_gps_exif((1600, 1000), orientation=6)  # shown rotated: 1000 wide, 1600 high

    scaled = scaled_image(photo, max_side=400)

    assert (scaled.extension, scaled.mime, scaled.width, scaled.height) == ("jpg", "image/jpeg", 250, 400)
    with opened(scaled.content) as image:
        assert (image.format, image.size) == ("JPEG", (250, 400))
        assert not image.getexif() and "exif" not in image.info


def test_transparency_is_kept_as_png_and_a_small_image_is_not_enlarged():
    scaled = scaled_image(samples.image_bytes("PNG", (40, 30), mode="RGBA"), max_side=400)
    assert (scaled.extension, scaled.width, scaled.height) == ("png", 40, 30)
    with opened(scaled.content) as image:
        assert (image.format, image.mode) == ("PNG", "RGBA")


def test_an_animation_becomes_a_still_of_its_first_frame():
    scaled = scaled_image(samples.animated_gif(600, 300, 3), max_side=400)
    with opened(scaled.content) as image:
        assert (image.format, image.size, getattr(image, "n_frames", 1)) == ("JPEG", (400, 200), 1)


@pytest.mark.parametrize(
    "data",
    [
        samples.png_bomb_bytes(),  # 900 megapixels declared in a small file
        samples.animated_gif(4000, 4000, 2),  # 32 megapixels over its frames
    ],
)
def test_images_over_the_pixel_budget_are_refused(data):
    with pytest.raises(BadRequest, match=f"at most {MAX_IMAGE_PIXELS:,}"):
        scaled_image(data, max_side=400)


@pytest.mark.parametrize(
    "data",
    [
        samples.image_bytes("BMP"),  # an image, but not of a format a preview may be
        samples.image_bytes("TIFF"),
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<html><body>not an image</body></html>",
        samples.image_bytes("PNG")[:60],  # cut short
        b"",
    ],
)
def test_anything_but_a_whole_jpeg_png_gif_or_webp_is_refused(data):
    with pytest.raises(BadRequest, match="could not be decoded"):
        scaled_image(data, max_side=400)


@pytest.mark.django_db
def test_a_fetched_image_is_stored_as_an_image_upload_of_its_owner(user, _media_root):
    upload = image_upload_create(
        owner_id=user.id, data=samples.image_bytes("WEBP", (900, 300)), original_name="link-preview", max_side=400
    )

    stored = Upload.objects.get()
    assert stored == upload and stored.owner == user
    assert (stored.kind, stored.mime, stored.original_name) == ("image", "image/jpeg", "link-preview.jpg")
    assert (stored.width, stored.height, stored.size) == (400, 133, (_media_root / stored.file.name).stat().st_size)
    assert stored.url.startswith("/media/uploads/") and stored.url.endswith(".jpg")
