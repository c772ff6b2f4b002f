from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.services import user_update_profile
from uploads.models import Upload
from uploads.services import upload_create
from uploads.tests import samples

pytestmark = pytest.mark.django_db


def make_upload(owner, name="pic.png", content=None, *, age=timedelta(0)) -> Upload:
    content = content if content is not None else samples.image_bytes("PNG")
    upload = upload_create(owner=owner, file=SimpleUploadedFile(name, content))
    Upload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - age)
    return upload


def cleanup(older_than: str) -> str:
    out = StringIO()
    call_command("cleanup_uploads", f"--older-than={older_than}", stdout=out)
    return out.getvalue()


def test_removes_old_unreferenced_uploads_with_their_files_and_keeps_the_rest(
    user, other_user, _media_root, django_capture_on_commit_callbacks
):
    stale = make_upload(user, "old.png", age=timedelta(days=2))
    stale_doc = make_upload(user, "old.pdf", samples.pdf_bytes(), age=timedelta(days=3))
    avatar = make_upload(other_user, "face.png", age=timedelta(days=5))
    user_update_profile(user=other_user, avatar=avatar.url)
    fresh = make_upload(user, "new.png", age=timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):  # files go once the row's delete commits
        output = cleanup("24h")

    assert set(Upload.objects.values_list("pk", flat=True)) == {avatar.pk, fresh.pk}
    for gone in (stale.file.name, stale.thumbnail.name, stale_doc.file.name):
        assert not (_media_root / gone).exists()
    assert stale.file.name in output and stale_doc.file.name in output
    assert (_media_root / avatar.file.name).exists() and (_media_root / avatar.thumbnail.name).exists()
    assert "'old.png'" in output and "'old.pdf'" in output
    assert output.strip().endswith("Removed 2 unreferenced upload(s) older than 24h.")


def test_an_avatar_dropped_later_makes_its_upload_removable(user):
    upload = make_upload(user, age=timedelta(days=2))
    user_update_profile(user=user, avatar=upload.url)
    assert "Removed 0 " in cleanup("1d")
    user_update_profile(user=user, avatar="")
    assert "Removed 1 " in cleanup("1d")
    assert not Upload.objects.exists()


@pytest.mark.parametrize("age,older_than,removed", [(timedelta(minutes=45), "30m", 1), (timedelta(days=6), "7d", 0)])
def test_accepts_minutes_hours_and_days(user, age, older_than, removed):
    make_upload(user, age=age)
    assert f"Removed {removed} " in cleanup(older_than)


@pytest.mark.parametrize("bad", ["24", "1w", "-1h", "0h", "h"])
def test_nonsense_durations_are_refused(bad):
    with pytest.raises(CommandError, match="--older-than must look like"):
        cleanup(bad)
