from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from messaging import fulltext


class Command(BaseCommand):
    help = "Indexes every message for search again with the current SEARCH_LANGUAGE."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            fulltext.install(connection, rebuild=True)
        self.stdout.write(f"Messages indexed for search in {settings.SEARCH_LANGUAGE!r} ({connection.vendor}).")
