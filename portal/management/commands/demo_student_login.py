from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from avataq.commands import AvataqCommand
from portal.services.demo import DEMO_STUDENT_EMAIL, demo_student_ensure


class Command(AvataqCommand):
    help = (
        "Give the demo student with the longest history a confirmed portal account "
        f"({DEMO_STUDENT_EMAIL}, the demo password). DEBUG only."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("the demo student login exists only in the embedded default")
        password_file = Path(settings.DATA_DIR) / "demo-password"
        if not password_file.exists():
            raise CommandError("run `manage.py demo_logins` first (it makes the demo password)")
        student = demo_student_ensure(password=password_file.read_text().strip())
        if student is None:
            raise CommandError("no student to sign in as: run `manage.py seed_demo` first")
        self.stdout.write(f"  {DEMO_STUDENT_EMAIL} the student portal, as {student}")
