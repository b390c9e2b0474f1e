"""Signals other apps (the portal's mail) listen to, so billing needs to know none of them.

Each is sent inside the step's transaction; a listener that talks to the outside world
acts after the commit."""

from django.dispatch import Signal

# With ``sheets``: computing sheets were validated (one, or a batch from the bulk path:
# listeners handle a list, so a batch costs them a fixed number of queries).
sheet_validated = Signal()
# With ``payment``: a scheduled payment was marked as sent.
payment_sent = Signal()
# With ``details``: a student's or a school's bank details were entered or changed (the
# portal tells the student at the address on file).
bank_details_changed = Signal()
# With ``run``: a payment run's file was produced and its payments marked sent (the
# portal sends each payee its remittance).
payment_run_sent = Signal()
