"""Signals other apps (billing) listen to, so this app needs to know none of them."""

from django.dispatch import Signal

# Sent inside the withdrawal's transaction, with ``enrollment``: payments not yet sent
# are cancelled and overpaid months become a recovery in the same commit.
enrollment_withdrawn = Signal()
