from django.core.management.base import BaseCommand

from avataq.roles import permission_table_markdown


class Command(BaseCommand):
    help = "Print the role × capability table (avataq.roles) as the README shows it."

    def handle(self, *args, **options) -> None:
        self.stdout.write(permission_table_markdown())
