"""Every write to uploads: storing a checked file, and removing unreferenced ones."""

import functools
import logging
import secrets
from datetime import datetime
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from uploads.images import process_image, scaled_image
from uploads.models import Upload
from uploads.validation import check_upload

logger = logging.getLogger(__name__)

UPLOAD_DIR = "uploads"


def _random_name(extension: str, suffix: str = "") -> str:
    # 128 random bits: the URL is the only thing protecting a file, so it must not be guessable.
    return f"{UPLOAD_DIR}/{secrets.token_hex(16)}{suffix}.{extension}"


def upload_create(*, owner: AbstractBaseUser, file: UploadedFile) -> Upload:
    """Checks and stores an uploaded file under a random name and records who uploaded it."""
    checked = check_upload(file)
    extension = "jpg" if checked.extension == "jpeg" else checked.extension
    upload = Upload(
        # By id: the concrete user model lives in accounts, above this app.
        owner_id=owner.pk,
        original_name=checked.original_name,
        mime=checked.mime,
        kind=checked.kind,
    )
    stored: list[str] = []
    try:
        if checked.kind == Upload.Kind.IMAGE:
            image = process_image(file, checked.extension)
            name = default_storage.save(_random_name(extension), ContentFile(image.content))
            stored.append(name)
            thumbnail = default_storage.save(_random_name(extension, "_thumb"), ContentFile(image.thumbnail))
            stored.append(thumbnail)
            upload.file.name, upload.thumbnail.name = name, thumbnail
            upload.size, upload.width, upload.height = len(image.content), image.width, image.height
        else:
            file.seek(0)
            name = default_storage.save(_random_name(extension), File(file))
            stored.append(name)
            upload.file.name, upload.size = name, checked.size
        with transaction.atomic():
            upload.save(force_insert=True)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return upload


def image_upload_create(*, owner_id: UUID | str, data: bytes, original_name: str, max_side: int) -> Upload:
    """Stores image bytes the server fetched (a link preview's image) as an upload of `owner_id`'s:
    re-encoded to at most `max_side` px (`uploads.images.scaled_image`), under a random name,
    served from /media/ with the headers of every upload. Raises BadRequest for what is not a
    decodable image within the pixel budget."""
    image = scaled_image(data, max_side=max_side)
    upload = Upload(
        owner_id=owner_id,
        original_name=f"{original_name}.{image.extension}",
        mime=image.mime,
        kind=Upload.Kind.IMAGE,
        size=len(image.content),
        width=image.width,
        height=image.height,
    )
    name = default_storage.save(_random_name(image.extension), ContentFile(image.content))
    upload.file.name = name
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
    except BaseException:
        default_storage.delete(name)
        raise
    return upload


def _referenced(queryset):
    """Annotates whether a message, an avatar or any row with a foreign key to it (a link
    preview's image) still points at each upload."""
    # The user model through Django's indirection: accounts (which checks avatars against uploads)
    # sits above this app.
    avatar_refs = get_user_model().objects.filter(avatar__endswith=OuterRef("file"))
    queryset = queryset.annotate(_in_avatar=Exists(avatar_refs))
    condition = Q(_in_avatar=True)
    try:
        message_model = apps.get_model("messaging", "Message")
    except LookupError:
        message_model = None  # the messaging app has no Message model (yet): nothing references files
    if message_model is not None:
        queryset = queryset.annotate(
            _in_message=Exists(message_model.objects.filter(file_url__endswith=OuterRef("file")))
        )
        condition |= Q(_in_message=True)
    # Apps above this one that keep an upload through a foreign key, found through Django's model
    # registry rather than imported: a row pointing at an upload keeps it.
    for number, relation in enumerate(Upload._meta.related_objects):
        if relation.one_to_many or relation.one_to_one:  # a foreign key or one-to-one to Upload
            rows = relation.related_model._default_manager.filter(**{relation.field.name: OuterRef("pk")})
            queryset = queryset.annotate(**{f"_in_rows_{number}": Exists(rows)})
            condition |= Q(**{f"_in_rows_{number}": True})
    return queryset, condition


def upload_cleanup(*, older_than: datetime) -> list[Upload]:
    """Deletes uploads created before `older_than` that no message or avatar references.

    Each row is locked and re-checked before it goes, so an upload that becomes an avatar meanwhile
    (that service locks the same row) is kept. Files are removed only after the row's delete commits.
    """
    removed = []
    candidates, referenced = _referenced(Upload.objects.filter(created_at__lt=older_than))
    for upload_id in candidates.exclude(referenced).values_list("id", flat=True):
        with transaction.atomic():
            locked, referenced_now = _referenced(Upload.objects.select_for_update(of=("self",)).filter(id=upload_id))
            upload = locked.exclude(referenced_now).first()
            if upload is None:
                continue
            names = [name for name in (upload.file.name, upload.thumbnail.name) if name]
            upload.delete()
            transaction.on_commit(functools.partial(_delete_files, names))
        removed.append(upload)
    return removed


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
