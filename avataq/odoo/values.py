"""Reading the values Odoo 16 writes, in an import-compatible export or over XML-RPC.

Every source hands cells over as text (the XML-RPC and XLSX readers render their typed
values the way the CSV export writes them), and relations as :class:`Ref`. These
functions turn that text into our values, raising :class:`Refused` with a reason a person
can act on.

What Odoo writes, and what is read here:

- external ids: ``__export__.avataq_student_42_1a2b3c4d`` (made by an export for a record
  that had none: its table, its database id, eight random hex digits) or
  ``module.name`` (``avataq_sponsorship.student_42``, from the module's data);
- dates ``2025-08-25``; datetimes ``2025-08-25 03:30:00`` in UTC (as stored; the XML-RPC
  API always answers UTC; see ``[source] datetime_timezone`` for a web export made by a
  user whose timezone is set);
- booleans ``True``/``False`` (the CSV export writes a false one as an empty cell);
- numbers as Python writes a float (``1234.5``, ``0.1``) — money is rounded half-up to
  the cent, never kept as a float;
- a text beginning with ``=``, ``+`` or ``-`` gets a leading ``'`` in the CSV export (so a
  spreadsheet does not read it as a formula): taken off again here;
- selections by their technical key.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from avataq.errors import AvataqError
from avataq.money import money

EXPORT_XID = re.compile(r"^__export__\.(?P<table>.+)_(?P<id>[0-9]+)_[0-9a-f]{8}$")
TRUE = {"true", "1", "yes", "t", "y"}
FALSE = {"false", "0", "no", "f", "n", ""}


class Refused(AvataqError, ValueError):
    """This row cannot be imported; the message says why (it is reported with the file
    and line, and the row is skipped)."""

    code = "odoo_refused"


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to an Odoo record: its external id and/or its database id, and the
    name Odoo shows for it when the source gives one (the XML-RPC API does)."""

    xid: str = ""
    odoo_id: int | None = None
    name: str = ""

    @classmethod
    def from_xid(cls, xid: str) -> Ref:
        return cls(xid=xid, odoo_id=odoo_id_of(xid))

    def __str__(self) -> str:
        return self.xid or (f"#{self.odoo_id}" if self.odoo_id is not None else "?")


def odoo_id_of(xid: str) -> int | None:
    """The database id an export's own external id carries (``__export__.…_42_1a2b3c4d``);
    None for a module's external id, which does not say it."""
    found = EXPORT_XID.match(xid)
    return int(found["id"]) if found else None


def text(value: str) -> str:
    """A char or text cell: the CSV export's formula guard taken off, line ends kept."""
    if value[:2] in ("'=", "'+", "'-"):
        value = value[1:]
    return value.replace("\r\n", "\n").strip()


def required_text(value: str, what: str) -> str:
    value = text(value)
    if not value:
        raise Refused(f"{what} is empty")
    return value


def boolean(value: str, what: str) -> bool:
    folded = value.strip().lower()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise Refused(f"{what} {value!r} is not True or False")


def amount(value: str, what: str) -> Decimal:
    """Money to the cent, from what a float export or XML-RPC double wrote (``1234.5``)."""
    cleaned = text(value).replace(",", "")
    if not cleaned:
        return money(0)
    try:
        parsed = Decimal(cleaned)
    except InvalidOperation:
        raise Refused(f"{what} {value!r} is not a number") from None
    if not parsed.is_finite():
        raise Refused(f"{what} {value!r} is not a number")
    return money(parsed)


def number(value: str, what: str, places: int = 2) -> Decimal:
    cleaned = text(value)
    if not cleaned:
        return Decimal(0)
    try:
        parsed = Decimal(cleaned)
    except InvalidOperation:
        raise Refused(f"{what} {value!r} is not a number") from None
    return parsed.quantize(Decimal(1).scaleb(-places))


def integer(value: str, what: str) -> int:
    cleaned = text(value)
    if not cleaned:
        return 0
    try:
        return int(Decimal(cleaned))
    except (InvalidOperation, ValueError):
        raise Refused(f"{what} {value!r} is not a whole number") from None


def _utc_datetime(value: str, what: str, source_zone: dt.tzinfo) -> dt.datetime:
    cleaned = value.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            naive = dt.datetime.strptime(cleaned, pattern)  # noqa: DTZ007 - zone set below
        except ValueError:
            continue
        return naive.replace(tzinfo=source_zone)
    raise Refused(f"{what} {value!r} is not a date and time like 2025-08-25 14:30:00")


def moment(value: str, what: str, source_zone: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """A datetime cell (UTC unless the export says otherwise), as an aware datetime;
    None when empty."""
    if not value.strip():
        return None
    if len(value.strip()) == 10:  # a date where a datetime was expected: its midnight
        return _utc_datetime(value.strip() + " 00:00:00", what, source_zone)
    return _utc_datetime(value, what, source_zone)


def day(value: str, what: str, source_zone: dt.tzinfo = dt.UTC) -> dt.date | None:
    """A date cell; a datetime cell gives the day it was in Montreal (the project's
    timezone), not the UTC day: 2025-09-01 03:30 UTC is the evening of August 31."""
    cleaned = value.strip()
    if not cleaned:
        return None
    if len(cleaned) == 10:
        try:
            return dt.date.fromisoformat(cleaned)
        except ValueError:
            raise Refused(f"{what} {value!r} is not a date like 2025-08-25") from None
    return timezone.localtime(_utc_datetime(cleaned, what, source_zone)).date()


def required_day(value: str, what: str, source_zone: dt.tzinfo = dt.UTC) -> dt.date:
    parsed = day(value, what, source_zone)
    if parsed is None:
        raise Refused(f"{what} is empty")
    return parsed


@functools.cache
def keys_of(choices: type) -> frozenset[str]:
    """A ``TextChoices``' keys, computed once: ``Choices.values`` builds a new list on
    every access, which a per-row check would do hundreds of thousands of times."""
    return frozenset(choices.values)


def choice(value: str, what: str, values: dict[str, str], allowed: Collection[str]) -> str:
    """A selection: through the mapping's value map, else the key itself when it is one of
    ours; refused naming what would be accepted."""
    key = text(value)
    mapped = values.get(key, key if key in allowed else None)
    if mapped is None:
        known = sorted(set(values) | set(allowed))
        raise Refused(f"{what} {key!r} is not one the mapping knows ({', '.join(known)})")
    return mapped


def zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    return zoneinfo.ZoneInfo(name)
