from django.core.management.base import BaseCommand

from accounts.services import token_blacklist_cleanup


class Command(BaseCommand):
    help = "Deletes blacklisted tokens that have expired anyway."

    def handle(self, *args, **options) -> None:
        deleted = token_blacklist_cleanup()
        self.stdout.write(f"Deleted {deleted} expired blacklisted token(s).")
