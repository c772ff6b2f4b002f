"""Re-encoding uploaded images: decoded under a pixel budget, metadata dropped, thumbnail made.

Re-encoding (rather than copying the bytes) is what removes EXIF/GPS, comments and anything
appended to the image: only pixels, and the few info keys needed to show them right, survive.
"""

import io
import struct
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from chatapp.errors import BadRequest

# 25 megapixels (e.g. 6000x4000) is a big photo, and about 100 MB once decoded as RGBA.
MAX_IMAGE_PIXELS = 25_000_000
# Animated GIF/WebP: every frame is decoded, so the budget is over all frames together.
MAX_ANIMATION_PIXELS = 50_000_000
THUMBNAIL_SIZE = (320, 320)

PILLOW_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
# Info keys that affect how the pixels look; everything else (exif, xmp, comment, text...) is dropped.
_KEPT_INFO = ("transparency", "duration", "loop", "background", "icc_profile")
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    thumbnail: bytes
    width: int
    height: int


def process_image(file: UploadedFile, extension: str) -> ProcessedImage:
    """Decodes, orients, re-encodes and thumbnails an image; refuses bombs and broken files."""
    expected_format = PILLOW_FORMATS[extension]
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=[expected_format]) as image:
                return _process(image, expected_format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadRequest("Image has too many pixels") from None
    except _DECODE_ERRORS:
        raise BadRequest("Image could not be decoded") from None


def _process(image: Image.Image, fmt: str) -> ProcessedImage:
    width, height = image.size
    # Checked from the header, before any pixel is decoded.
    if width * height > MAX_IMAGE_PIXELS:
        raise BadRequest("Image has too many pixels")
    animated = getattr(image, "is_animated", False)
    if animated:
        _check_animation_budget(image)
        image.seek(0)
        first = image.copy()  # before saving, which leaves the image on its last frame
        content = _encode(image, fmt, save_all=True)
    else:
        image.load()
        first = ImageOps.exif_transpose(image)  # apply the orientation before EXIF is dropped
        content = _encode(first, fmt)
    thumbnail = first.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return ProcessedImage(
        content=content,
        thumbnail=_encode(thumbnail, fmt),
        width=first.width,
        height=first.height,
    )


def _check_animation_budget(image: Image.Image) -> None:
    frame_pixels = image.width * image.height
    decoded = 0
    for _frame in ImageSequence.Iterator(image):  # decodes one frame at a time
        decoded += frame_pixels
        if decoded > MAX_ANIMATION_PIXELS:
            raise BadRequest("Animated image has too many frames")


def _encode(image: Image.Image, fmt: str, *, save_all: bool = False) -> bytes:
    image.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
    params: dict = {"format": fmt}
    if fmt == "JPEG":
        params.update(quality=90, exif=b"")
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
    elif fmt == "WEBP":
        params.update(quality=90, exif=b"", xmp=b"")
    elif fmt == "GIF":
        params.update(comment=b"")  # an explicit empty comment wins over the source frames' comments
    if save_all:
        params["save_all"] = True
    buffer = io.BytesIO()
    image.save(buffer, **params)
    return buffer.getvalue()
