"""What the bank files need to know of one payment, whatever the format."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Transfer:
    """One credit transfer: ``reference`` is the payment's (``EndToEndId`` and remittance);
    ``account`` the full account number or IBAN, as only the payment file holds it."""

    reference: str
    amount: Decimal
    payee_name: str
    scheme: str  # "canada" or "iban"
    institution: str
    transit: str
    account: str
    bic: str
    remittance: str


@dataclass(frozen=True)
class Debtor:
    """The program's own account, which the file debits."""

    name: str
    institution: str
    transit: str
    account: str


@dataclass(frozen=True)
class Batch:
    run_id: int
    created: dt.datetime
    execution_date: dt.date
    debtor: Debtor
    transfers: list[Transfer]

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.transfers), Decimal("0.00"))


def ascii_text(text: str) -> str:
    """Accents dropped, what is not printable ASCII removed (the Inuktitut syllabics of a
    name never reach a bank file that cannot carry them)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^ -~]", "", plain).strip()
