"""Payments Canada Standard 005 (CPA-005), the 1464-byte fixed-width file of automated
funds transfers, for banks that still want it. Logical records of 1464 bytes each, one per
line (CR LF):

- ``A`` header: record type, count (1), originator id (10), file creation number (4),
  creation date (``0YYDDD``), destination data centre (5), 20 reserved, currency, filler;
- ``C`` credits: type, count, originator id, file number, then up to 6 segments of 240
  bytes, one payment each: transaction code (3), amount in cents (10), payment date
  (``0YYDDD``), ``0`` + institution + transit (9), account (12), item trace (22 zeros),
  stored transaction type (3 zeros), originator short name (15), payee name (30),
  originator long name (30), originating direct clearer's user id (10), cross reference —
  the payment's reference (19), institution and account for returns (9 + 12), sundry
  information (15), filler (22), settlement code (2), invalid data element id (11);
  unused segments are blank;
- ``Z`` trailer: type, count, originator id, file number, total value and number of
  debits (14 + 8), of credits (14 + 8), of error corrections (2 × (14 + 8)), filler.

Only Canadian accounts can be in it: a run paying an IBAN has no CPA-005 file for that
payment (the pain.001 carries it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from avataq.errors import AvataqError
from billing.payments.formats import Batch, Transfer, ascii_text

RECORD = 1464
SEGMENT = 240
SEGMENTS_PER_RECORD = 6
PREFIX = 24  # record type, count, originator id, file number
TRANSACTION_CODE = "450"  # miscellaneous payments
CURRENCY = "CAD"


class CpaError(AvataqError, ValueError):
    """A value that does not fit the CPA-005 layout (a bug: the file is never sent)."""

    code = "cpa005"


def julian(day: dt.date) -> str:
    """``0YYDDD``: century digit 0, year, day of the year."""
    return f"0{day:%y}{day.timetuple().tm_yday:03d}"


def _alpha(text: str, size: int) -> str:
    return ascii_text(text).upper()[:size].ljust(size)


def _number(value: int, size: int) -> str:
    text = str(value)
    if value < 0 or len(text) > size:
        raise CpaError(f"{value} does not fit {size} digits")
    return text.zfill(size)


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


@dataclass(frozen=True)
class Originator:
    originator_id: str  # assigned by the bank, 10 characters
    data_centre: str  # 5 digits
    short_name: str
    long_name: str


def _prefix(kind: str, count: int, originator: Originator, file_number: int) -> str:
    return (
        kind + _number(count, 9) + originator.originator_id[:10].ljust(10) + _number(file_number, 4)
    )


def _segment(transfer: Transfer, batch: Batch, originator: Originator) -> str:
    debtor = batch.debtor
    segment = (
        TRANSACTION_CODE
        + _number(_cents(transfer.amount), 10)
        + julian(batch.execution_date)
        + "0"
        + transfer.institution
        + transfer.transit
        + transfer.account[:12].ljust(12)
        + "0" * 22
        + "0" * 3
        + _alpha(originator.short_name, 15)
        + _alpha(transfer.payee_name, 30)
        + _alpha(originator.long_name, 30)
        + originator.originator_id[:10].ljust(10)
        + transfer.reference[:19].ljust(19)
        + "0"
        + debtor.institution
        + debtor.transit
        + debtor.account[:12].ljust(12)
        + _alpha(transfer.remittance, 15)
        + " " * 22
        + " " * 2
        + "0" * 11
    )
    if len(segment) != SEGMENT:
        raise CpaError(f"a segment of {len(segment)} bytes, not {SEGMENT}")
    return segment


def build(batch: Batch, originator: Originator, *, file_number: int) -> bytes:
    """The CPA-005 file of the batch's Canadian transfers (ASCII, CR LF after each
    record)."""
    file_number %= 10000
    transfers = [t for t in batch.transfers if t.scheme == "canada"]
    records = [
        _prefix("A", 1, originator, file_number)
        + julian(batch.created.date())
        + _number(int(originator.data_centre or 0), 5)
        + " " * 20
        + CURRENCY
    ]
    for start in range(0, len(transfers), SEGMENTS_PER_RECORD):
        chunk = transfers[start : start + SEGMENTS_PER_RECORD]
        body = "".join(_segment(t, batch, originator) for t in chunk)
        records.append(_prefix("C", len(records) + 1, originator, file_number) + body)
    total = sum((_cents(t.amount) for t in transfers), 0)
    records.append(
        _prefix("Z", len(records) + 1, originator, file_number)
        + _number(0, 14)
        + _number(0, 8)
        + _number(total, 14)
        + _number(len(transfers), 8)
        + _number(0, 14)
        + _number(0, 8)
        + _number(0, 14)
        + _number(0, 8)
    )
    lines = [record.ljust(RECORD) for record in records]
    if any(len(line) != RECORD for line in lines):
        raise CpaError(f"a record is not {RECORD} bytes")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
