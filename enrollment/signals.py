"""Signals other apps (billing) listen to, so this app needs to know none of them."""

from django.dispatch import Signal

# Sent inside the withdrawal's transaction, with ``enrollment``: payments not yet sent
# are cancelled and overpaid months become a recovery in the same commit.
enrollment_withdrawn = Signal()

# Sent inside the step's transaction, with ``enrollment``; whoever listens (the portal's
# mail) must act after the commit.
enrollment_submitted = Signal()
enrollment_approved = Signal()
enrollment_refused = Signal()
# With ``item`` (a ChecklistItem, its ``reason`` set).
checklist_item_refused = Signal()
