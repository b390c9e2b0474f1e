"""The payment side's errors: each says, in the user's language, what cannot be done."""

from __future__ import annotations

from billing.services import BillingError


class PaymentError(BillingError):
    code = "payment"


class BankDetailsInvalid(PaymentError):
    """A bank detail that is not one (the message names the field and the problem)."""

    code = "bank_details_invalid"


class FourEyes(PaymentError):
    """The same person cannot both prepare (or enter) and approve (or confirm)."""

    code = "four_eyes"


class RunStateError(PaymentError):
    """A step that does not fit where the run stands (approving a cancelled run…)."""

    code = "run_state"
