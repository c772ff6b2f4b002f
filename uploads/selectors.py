"""Reads with rules in them for uploads."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.http.request import split_domain_port, validate_host

from uploads.models import Upload


def _stored_name(url: str) -> str | None:
    """The storage name a media URL points at, if it is one of ours (relative or on our own host)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        host, _port = split_domain_port(parts.netloc)
        if parts.scheme not in ("http", "https") or not validate_host(host, settings.ALLOWED_HOSTS):
            return None
    if parts.query or parts.fragment or not parts.path.startswith(settings.MEDIA_URL):
        return None
    name = parts.path[len(settings.MEDIA_URL) :]
    return name or None


def upload_get_owned(*, owner: AbstractBaseUser, url: str, for_update: bool = False) -> Upload | None:
    """The upload a `/media/...` URL points at, if `owner` uploaded it; else None.

    `for_update` locks the row, so `upload_cleanup` cannot delete it while the caller references it.
    """
    name = _stored_name(url)
    if name is None:
        return None
    uploads = Upload.objects.filter(owner_id=owner.pk, file=name)
    if for_update:
        uploads = uploads.select_for_update()
    return uploads.first()


def upload_get_by_stored_name(*, name: str) -> Upload | None:
    """The upload whose file or thumbnail is stored as `name`."""
    return Upload.objects.filter(Q(file=name) | Q(thumbnail=name)).first()
