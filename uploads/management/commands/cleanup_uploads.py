import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from uploads.services import upload_cleanup

_DURATION = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"--older-than must look like 30m, 24h or 7d, got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Deletes uploads older than --older-than that no message or avatar references, files included."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", default="24h", help="Age such as 30m, 24h or 7d (default 24h)")

    def handle(self, *args, **options) -> None:
        cutoff = timezone.now() - parse_age(options["older_than"])
        removed = upload_cleanup(older_than=cutoff)
        for upload in removed:
            self.stdout.write(
                f"Removed {upload.file.name} ({upload.original_name!r}, {upload.size} bytes, "
                f"owner {upload.owner_id}, created {upload.created_at:%Y-%m-%d %H:%M:%S})"
            )
        self.stdout.write(f"Removed {len(removed)} unreferenced upload(s) older than {options['older_than']}.")
