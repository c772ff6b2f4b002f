from django.core.management.base import BaseCommand

from notifications.vapid import generate


class Command(BaseCommand):
    help = "Prints a new VAPID key pair for Web Push, as environment lines (VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY)."

    def handle(self, *args: object, **options: object) -> None:
        keys = generate()
        self.stdout.write(f"VAPID_PRIVATE_KEY={keys.private_key}\nVAPID_PUBLIC_KEY={keys.public_key}\n")
