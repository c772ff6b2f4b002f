from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from messaging import markdown, services


class Command(BaseCommand):
    help = (
        "Renders content_html again for messages stored by an older Markdown renderer "
        "(messaging.markdown.RENDERER_VERSION); --all renders every message."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--all", action="store_true", help="every message, whatever its renderer version")
        parser.add_argument("--batch-size", type=int, default=500, help="messages per transaction (default 500)")

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        done = services.messages_rerender(batch_size=options["batch_size"], everything=options["all"])
        self.stdout.write(f"Rendered {done} message(s) with renderer version {markdown.RENDERER_VERSION}.")
