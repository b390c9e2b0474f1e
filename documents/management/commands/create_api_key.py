from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from documents.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for the ingest API and print it once (only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who or what will use it, e.g. scanning-station-1")

    def handle(self, *args, name: str, **options) -> None:
        try:
            api_key, plain = api_key_create(name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(plain)
        self.stderr.write(
            f"API key {api_key.name!r} created (prefix {api_key.prefix}). Store it now: it "
            "cannot be shown again. Revoke it in the admin (Documents > API keys)."
        )
