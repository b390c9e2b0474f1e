import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from avataq.commands import AvataqCommand
from avataq.services import DEMO_LOGINS, demo_logins_ensure


class Command(AvataqCommand):
    help = "Create the demo logins (one per role) and print them. DEBUG only."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo logins exist only in the embedded default (DEBUG on)")
        # One random password per checkout, kept beside the embedded data (never in git).
        password_file = Path(settings.DATA_DIR) / "demo-password"
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(secrets.token_urlsafe(12) + "\n")
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        demo_logins_ensure(password=password)
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for username, (group, superuser) in DEMO_LOGINS.items():
            role = "superuser" if superuser else f"{group} group"
            self.stdout.write(f"  {username:<16} {role}")
