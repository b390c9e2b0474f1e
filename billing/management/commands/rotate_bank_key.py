from django.core.management.base import BaseCommand, CommandError

from billing.payments.bank_details import bank_details_rotate
from billing.payments.crypto import UnreadableNumber


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored account number under the first BANK_DETAILS_KEYS key. "
        "Put the new key first (the old one after it), run this, then drop the old key."
    )

    def handle(self, *args, **options) -> None:
        try:
            count = bank_details_rotate()
        except UnreadableNumber as exc:
            raise CommandError(
                f"{exc}; keep the old key in BANK_DETAILS_KEYS and run again"
            ) from None
        self.stdout.write(f"{count} account numbers re-encrypted under the first key")
