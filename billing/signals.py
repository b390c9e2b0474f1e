"""Signals other apps (the portal's mail) listen to, so billing needs to know none of them.

Each is sent inside the step's transaction; a listener that talks to the outside world
acts after the commit."""

from django.dispatch import Signal

# With ``sheets``: computing sheets were validated (one, or a batch from the bulk path:
# listeners handle a list, so a batch costs them a fixed number of queries).
sheet_validated = Signal()
# With ``payment``: a scheduled payment was marked as sent.
payment_sent = Signal()
