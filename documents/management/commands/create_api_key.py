from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from documents.management.commands._base import DocumentsCommand, exit_codes_help
from documents.services import api_key_create


class Command(DocumentsCommand):
    help = (
        "Create an API key for the ingest API and print it once (only its hash is kept). "
        + exit_codes_help("the name is invalid or already in use")
    )

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
