"""Re-encoding uploaded images: decoded under a pixel budget, metadata dropped, thumbnail made.

Re-encoding (rather than copying the bytes) is what removes EXIF/GPS, comments and anything
appended to the image: only pixels, and the few info keys needed to show them right, survive.
"""

import ctypes
import functools
import io
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from chatapp.errors import BadRequest, DomainError

# 25 megapixels (e.g. 6000x4000) is a big photo, and about 100 MB once decoded as RGBA. Every frame
# of an animation is decoded at the image's full size, so the budget is width x height x frames:
# a 39 KB GIF of two 5000x5000 frames cost 2.9 s of CPU and ~290 MB while the budget was per frame.
MAX_IMAGE_PIXELS = 25_000_000
PIXEL_BUDGET_TEXT = f"Image has too many pixels: width x height x frames may be at most {MAX_IMAGE_PIXELS:,}"
IMAGE_WORK_BUSY = "Too many images are being processed right now; try again in a few seconds"
THUMBNAIL_SIZE = (320, 320)

PILLOW_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
# Info keys that affect how the pixels look; everything else (exif, xmp, comment, text...) is dropped.
_KEPT_INFO = ("transparency", "duration", "loop", "background", "icc_profile")
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


class ImageWorkBusy(DomainError):
    status_code = 503
    retry_after = 5


class ImageJobs:
    """At most `running` image jobs at once in this process, and at most `waiting` more waiting a turn.

    Image work runs in the HTTP thread of its upload. Unbounded, 16 uploads of a 25-megapixel PNG
    at once held every HTTP thread and `/health` waited 19.8 s (0.14 s bounded), and each job's
    decoded pixels (~100 MB) added up. Here images hold at most `running + waiting` threads; a
    waiter gives up after `wait_seconds`, and an upload finding the waiting room full is answered at
    once: 503 with Retry-After either way.
    """

    def __init__(self, *, running: int, waiting: int, wait_seconds: float) -> None:
        self.turns = threading.BoundedSemaphore(running)
        self.admitted = threading.BoundedSemaphore(running + waiting)
        self.wait_seconds = wait_seconds
        self.count_lock = threading.Lock()
        self.in_use = 0  # jobs running or waiting

    @contextmanager
    def turn(self) -> Iterator[None]:
        if not self.admitted.acquire(blocking=False):
            raise ImageWorkBusy(IMAGE_WORK_BUSY)
        with self.count_lock:
            self.in_use += 1
        try:
            if not self.turns.acquire(timeout=self.wait_seconds):
                raise ImageWorkBusy(IMAGE_WORK_BUSY)
            try:
                yield
            finally:
                self.turns.release()
        finally:
            with self.count_lock:
                self.in_use -= 1
                idle = self.in_use == 0
            self.admitted.release()
            if idle:
                _return_freed_memory()


def _load_malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc; elsewhere there is nothing to trim
    except (OSError, AttributeError):
        return None


_malloc_trim = _load_malloc_trim()


def _return_freed_memory() -> None:
    """Gives the memory image work freed back to the operating system.

    Closing images frees their pixels, but glibc keeps freed blocks in its per-thread arenas (and
    after a large free it raises its mmap threshold, so the next image lands in an arena too): a
    server that re-encoded 16 large images at once kept 1,471 MB of its 2,117 MB peak. Trimming
    once the last image job ends costs a few milliseconds.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


@functools.cache
def image_jobs() -> ImageJobs:
    """This process's image job slots (settings IMAGE_JOBS, IMAGE_JOBS_WAITING, IMAGE_JOB_WAIT_SECONDS)."""
    # Never every HTTP thread: one stays free for everything else even when images fill the rest.
    admitted = min(settings.IMAGE_JOBS + settings.IMAGE_JOBS_WAITING, max(1, settings.HTTP_WORKER_THREADS - 1))
    running = min(settings.IMAGE_JOBS, admitted)
    return ImageJobs(running=running, waiting=admitted - running, wait_seconds=settings.IMAGE_JOB_WAIT_SECONDS)


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    thumbnail: bytes
    width: int
    height: int


def process_image(file: UploadedFile, extension: str) -> ProcessedImage:
    """Decodes, orients, re-encodes and thumbnails an image; refuses bombs and broken files.

    Runs in one of the process's image job slots (`image_jobs`); raises ImageWorkBusy (503) when
    none comes free in time.
    """
    expected_format = PILLOW_FORMATS[extension]
    file.seek(0)
    try:
        with image_jobs().turn(), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=[expected_format]) as image:
                return _process(image, expected_format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadRequest(PIXEL_BUDGET_TEXT) from None
    except _DECODE_ERRORS:
        raise BadRequest("Image could not be decoded") from None


def _process(image: Image.Image, fmt: str) -> ProcessedImage:
    width, height = image.size
    # The frame count comes from the container (GIF frames are skipped over, not decoded), so the
    # budget is checked before any pixel is decoded.
    frames = getattr(image, "n_frames", 1)
    if width * height * frames > MAX_IMAGE_PIXELS:
        raise BadRequest(PIXEL_BUDGET_TEXT)
    animated = frames > 1
    if animated:
        image.seek(0)
        first = image.copy()  # before saving, which leaves the image on its last frame
        content = _encode(image, fmt, save_all=True)  # the encoder reads one frame at a time
    else:
        image.load()
        first = ImageOps.exif_transpose(image)  # apply the orientation before EXIF is dropped
        content = _encode(first, fmt)
    # Decoded pixels are freed now rather than whenever the garbage collector gets to them, so a
    # worker thread does not keep a big image's memory between uploads.
    with first:
        width, height = first.size  # after orientation: a portrait photo stays portrait
        first.thumbnail(THUMBNAIL_SIZE)
        return ProcessedImage(content=content, thumbnail=_encode(first, fmt), width=width, height=height)


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


@dataclass(frozen=True)
class ScaledImage:
    content: bytes
    extension: str  # "jpg" or "png"
    mime: str
    width: int
    height: int


# What an image fetched from elsewhere may be: no other decoder (EPS, PSD, ICO...) ever sees its bytes.
FETCHED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")


def scaled_image(data: bytes, *, max_side: int) -> ScaledImage:
    """An image from bytes nobody checked (a link preview's), as a still of at most `max_side` px a
    side: decoded under the upload pixel budget, its first frame turned upright, every byte but the
    pixels dropped, re-encoded as PNG when it has transparency and JPEG otherwise.

    Raises BadRequest for what is not such an image or is over the budget, ImageWorkBusy when no
    image job slot comes free in time.
    """
    try:
        with image_jobs().turn(), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FETCHED_FORMATS) as image:
                return _scaled(image, max_side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadRequest(PIXEL_BUDGET_TEXT) from None
    except _DECODE_ERRORS:
        raise BadRequest("Image could not be decoded") from None


def _scaled(image: Image.Image, max_side: int) -> ScaledImage:
    width, height = image.size
    if width * height * getattr(image, "n_frames", 1) > MAX_IMAGE_PIXELS:
        raise BadRequest(PIXEL_BUDGET_TEXT)
    image.seek(0)
    # draft() lets the JPEG decoder skip to a smaller scale: a big photo is never decoded whole.
    image.draft("RGB", (max_side, max_side))
    with ImageOps.exif_transpose(image) as upright:
        transparent = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        still = upright.convert("RGBA" if transparent else "RGB")
    with still:
        still.thumbnail((max_side, max_side))
        buffer = io.BytesIO()
        if transparent:
            still.save(buffer, format="PNG", optimize=True)
        else:
            still.save(buffer, format="JPEG", quality=85)
        extension, mime = ("png", "image/png") if transparent else ("jpg", "image/jpeg")
        return ScaledImage(buffer.getvalue(), extension, mime, still.width, still.height)
