"""Reading bank statements: CSV (with a column mapping per account), OFX, ISO 20022
CAMT.053. Parsers are pure: bytes in, lines out, or :class:`StatementError` naming the line
and the reason — nothing of a malformed file is kept. XML is read with entity expansion,
DTDs and external references refused (defusedxml).

Every line a parser returns has been checked against what a statement line's columns hold
(:func:`_checked`): an amount that is a number, not zero, and fits ``max_digits=12,
decimal_places=2``; a date in a sane window; text without NUL and within its column. The
messages reach the user, so they are built with ``gettext``."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from avataq.money import money


class StatementError(ValueError):
    """The file cannot be imported; the message names the line (or entry) and why."""


# What the columns of billing.models.StatementLine hold. The description may be cut (``raw``
# keeps the source); a bank id or a reference cut short could collide with another line's,
# so one that is too long is refused.
MAX_AMOUNT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
EARLIEST = dt.date(1970, 1, 1)
AHEAD = dt.timedelta(days=366)  # at most a year after today, leap or not
LIMITS = {"reference": 200, "counterparty": 200, "bank_id": 100}
LABELS = {
    "description": gettext_lazy("description"),
    "reference": gettext_lazy("reference"),
    "counterparty": gettext_lazy("counterparty"),
    "bank_id": gettext_lazy("bank transaction id"),
    "raw": gettext_lazy("source line"),
}


@dataclass(frozen=True)
class ParsedLine:
    booked_on: dt.date
    amount: Decimal
    description: str
    reference: str
    counterparty: str
    bank_id: str
    raw: str


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().upper()


def fingerprint(line: ParsedLine) -> str:
    basis = "|".join(
        [
            line.booked_on.isoformat(),
            str(line.amount),
            _normalise(line.description),
            _normalise(line.reference),
            _normalise(line.counterparty),
        ]
    )
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def dedup_keys(lines: list[ParsedLine]) -> list[str]:
    """The bank's id where there is one; else fingerprint plus occurrence in the file."""
    seen: dict[str, int] = {}
    keys = []
    for line in lines:
        if line.bank_id:
            keys.append(f"id:{line.bank_id}")
            continue
        print_ = fingerprint(line)
        occurrence = seen.get(print_, 0)
        seen[print_] = occurrence + 1
        keys.append(f"fp:{print_}:{occurrence}")
    return keys


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted in a message: its repr (control characters show), cut to ``limit``."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _at(where: str, problem: object) -> StatementError:
    return StatementError(gettext("%(where)s: %(problem)s") % {"where": where, "problem": problem})


def _money(value: Decimal, text: str) -> Decimal:
    """``value`` to the cent when it is a number a statement line can hold."""
    if not value.is_finite():
        raise StatementError(gettext("%(text)s is not an amount") % {"text": _shown(text)})
    # adjusted() first: quantizing a huge number overflows the decimal context.
    if value and (value.adjusted() >= 10 or abs(money(value)) > MAX_AMOUNT):
        raise StatementError(
            gettext("%(text)s is more than a statement line holds (%(limit)s)")
            % {"text": _shown(text), "limit": MAX_AMOUNT}
        )
    return money(value)


def _checked(line: ParsedLine, today: dt.date) -> ParsedLine:
    """``line`` when every value fits the column it goes to; else :class:`StatementError`
    saying which does not (the caller names the line)."""
    _money(line.amount, str(line.amount))
    if line.amount == 0:
        raise StatementError(gettext("the amount is zero"))
    if not EARLIEST <= line.booked_on <= today + AHEAD:
        raise StatementError(
            gettext("the date %(date)s is not between %(earliest)s and %(latest)s")
            % {
                "date": line.booked_on.isoformat(),
                "earliest": EARLIEST.isoformat(),
                "latest": (today + AHEAD).isoformat(),
            }
        )
    for field, label in LABELS.items():
        text = getattr(line, field)
        if "\x00" in text:
            raise StatementError(gettext("the %(field)s contains a NUL byte") % {"field": label})
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise StatementError(
                gettext("the %(field)s contains a character that is not text") % {"field": label}
            ) from None
        if len(text) > LIMITS.get(field, len(text)):
            raise StatementError(
                gettext("the %(field)s is %(length)d characters long; %(limit)d at most fit")
                % {"field": label, "length": len(text), "limit": LIMITS[field]}
            )
    return line


def _amount(text: str, *, decimal_comma: bool = False) -> Decimal:
    cleaned = (text or "").strip().replace("$", "").replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise StatementError(
            gettext("%(text)s is not an amount") % {"text": _shown(text or "")}
        ) from None
    return _money(value, text)


def _rows(reader: csv.DictReader) -> Iterator[dict]:
    """The reader's rows; a line the csv module cannot read (a cell over its size limit…)
    is refused naming it."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # DictReader counts only the lines it returned
            raise _at(_line(reader.reader.line_num), _unreadable(exc)) from None
        yield row


def _line(number: int) -> str:
    return gettext("line %(number)d") % {"number": number}


def _unreadable(exc: Exception) -> str:
    return gettext("not a readable CSV line (%(reason)s)") % {"reason": exc}


def _bad_byte(data: bytes, exc: UnicodeDecodeError, problem: str) -> StatementError:
    """``problem`` (about ``%(byte)02X``) at the line of ``data`` holding the byte ``exc``
    could not decode; ``exc.object`` is ``data`` or its end (a parser may decode only the
    body after a header)."""
    offset = len(data) - len(exc.object) + exc.start
    line = _line(data[:offset].count(b"\n") + 1)
    return _at(line, problem % {"byte": exc.object[exc.start]})


# --- CSV -------------------------------------------------------------------------------------
def parse_csv(data: bytes, mapping: dict) -> list[ParsedLine]:
    if not mapping.get("date") or not (mapping.get("amount") or mapping.get("debit")):
        raise StatementError(
            gettext("this account has no CSV column mapping (date and amount columns)")
        )
    today = timezone.localdate()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # Canadian banks' older exports
        except UnicodeDecodeError as exc:
            raise _bad_byte(
                data, exc, gettext("byte 0x%(byte)02X is not UTF-8 or Windows-1252 text")
            ) from None
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=mapping.get("delimiter", ","))
        fieldnames = reader.fieldnames or []
    except (csv.Error, TypeError) as exc:  # TypeError: the mapping's delimiter is not a character
        raise _at(_line(1), _unreadable(exc)) from None
    if any("\x00" in name for name in fieldnames):
        raise _at(_line(1), gettext("the header contains a NUL byte"))
    needed = [
        mapping[k]
        for k in (
            "date",
            "amount",
            "debit",
            "credit",
            "description",
            "reference",
            "counterparty",
            "bank_id",
        )
        if mapping.get(k)
    ]
    missing = [column for column in needed if column not in fieldnames]
    if missing:
        raise _at(
            _line(1), gettext("missing column(s) %(columns)s") % {"columns": ", ".join(missing)}
        )
    lines = []
    for row in _rows(reader):
        number = reader.line_num
        try:
            date_text = (row[mapping["date"]] or "").strip()
            try:
                # A calendar date: no time, so no time zone to attach.
                booked = dt.datetime.strptime(  # noqa: DTZ007
                    date_text, mapping.get("date_format", "%Y-%m-%d")
                ).date()
            except ValueError:
                raise StatementError(
                    gettext("%(text)s is not a date (%(format)s)")
                    % {"text": _shown(date_text), "format": mapping.get("date_format", "%Y-%m-%d")}
                ) from None
            comma = bool(mapping.get("decimal_comma"))
            if mapping.get("amount"):
                amount = _amount(row[mapping["amount"]], decimal_comma=comma)
            else:
                debit = row.get(mapping["debit"]) or "0"
                credit = row.get(mapping.get("credit", "")) or "0"
                amount = _amount(credit, decimal_comma=comma) - _amount(debit, decimal_comma=comma)
            if amount == 0:
                raise StatementError(gettext("the amount is zero"))

            def cell(key: str, row: dict = row) -> str:
                return (row.get(mapping[key]) or "").strip() if mapping.get(key) else ""

            line = ParsedLine(
                booked,
                amount,
                cell("description"),
                cell("reference"),
                cell("counterparty"),
                cell("bank_id"),
                ",".join(f"{k}={v}" for k, v in row.items()),
            )
            lines.append(_checked(line, today))
        except StatementError as exc:
            raise _at(_line(number), exc) from None
    return lines


# --- OFX -------------------------------------------------------------------------------------
def parse_ofx(data: bytes) -> list[ParsedLine]:
    from ofxtools.Parser import OFXTree

    today = timezone.localdate()
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception as exc:  # ofxtools raises many kinds for a malformed file
        if isinstance(exc, UnicodeDecodeError) and data.endswith(exc.object):
            problem = gettext("byte 0x%(byte)02X is not in the character set the file declares")
            raise _bad_byte(data, exc, problem) from None
        raise StatementError(
            gettext("not a readable OFX file (%(reason)s)")
            % {"reason": f"{type(exc).__name__}: {exc}"}
        ) from None
    lines = []
    for statement in statements:
        for index, txn in enumerate(statement.transactions, start=1):
            where = gettext("transaction %(number)d") % {"number": index}
            if txn.trnamt is None or txn.dtposted is None or not txn.fitid:
                raise _at(where, gettext("missing amount, date or FITID"))
            try:
                line = ParsedLine(
                    booked_on=txn.dtposted.date(),
                    amount=_money(txn.trnamt, str(txn.trnamt)),
                    description=" ".join(filter(None, [txn.name, txn.memo])),
                    reference=txn.refnum or txn.checknum or "",
                    counterparty=txn.name or "",
                    bank_id=txn.fitid,
                    raw=f"FITID={txn.fitid} {txn.trntype} {txn.trnamt} {txn.name} {txn.memo}",
                )
                lines.append(_checked(line, today))
            except StatementError as exc:
                raise _at(where, exc) from None
    return lines


# --- CAMT.053 ----------------------------------------------------------------------------------
def _text(element, path: str, ns: dict) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def parse_camt053(data: bytes) -> list[ParsedLine]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    today = timezone.localdate()
    try:
        root = ElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise StatementError(
            gettext("refused: the XML declares %(what)s (entities or a DTD)")
            % {"what": type(exc).__name__}
        ) from None
    except ElementTree.ParseError as exc:
        raise _at(
            _line(exc.position[0]), gettext("not well-formed XML (%(reason)s)") % {"reason": exc}
        ) from None
    except (LookupError, ValueError) as exc:  # an encoding Python or expat cannot read
        raise StatementError(
            gettext("the XML declares an encoding that cannot be read (%(reason)s)")
            % {"reason": exc}
        ) from None
    match = re.match(r"\{([^}]*)\}", root.tag)
    if not match or "camt.053" not in match[1]:
        raise StatementError(gettext("not an ISO 20022 camt.053 document"))
    ns = {"c": match[1]}
    lines = []
    for index, entry in enumerate(root.iterfind(".//c:Stmt/c:Ntry", ns), start=1):
        where = gettext("entry %(number)d") % {"number": index}
        amount_text = _text(entry, "c:Amt", ns)
        sign = _text(entry, "c:CdtDbtInd", ns)
        date_text = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)[:10]
        if not amount_text or sign not in {"CRDT", "DBIT"} or not date_text:
            raise _at(where, gettext("missing amount, credit/debit indicator or booking date"))
        try:
            value = Decimal(amount_text)
            booked = dt.date.fromisoformat(date_text)
        except (InvalidOperation, ValueError):
            raise _at(
                where,
                gettext("bad amount %(amount)s or date %(date)s")
                % {"amount": _shown(amount_text), "date": _shown(date_text)},
            ) from None
        try:
            amount = _money(value, amount_text)
            if amount < 0:
                raise StatementError(
                    gettext(
                        "the amount %(amount)s is negative; the credit/debit indicator signs it"
                    )
                    % {"amount": _shown(amount_text)}
                )
        except StatementError as exc:
            raise _at(where, exc) from None
        amount = amount if sign == "CRDT" else -amount
        details = entry.find("c:NtryDtls/c:TxDtls", ns)
        details = details if details is not None else entry
        end_to_end = _text(details, "c:Refs/c:EndToEndId", ns)
        bank_id = (
            _text(entry, "c:AcctSvcrRef", ns)
            or _text(entry, "c:NtryRef", ns)
            or (end_to_end if end_to_end != "NOTPROVIDED" else "")
        )
        party = "c:RltdPties/c:Cdtr/c:Nm" if sign == "DBIT" else "c:RltdPties/c:Dbtr/c:Nm"
        remittance = " ".join(
            e.text or "" for e in details.iterfind("c:RmtInf/c:Ustrd", ns)
        ).strip()
        line = ParsedLine(
            booked_on=booked,
            amount=amount,
            description=remittance or _text(entry, "c:AddtlNtryInf", ns),
            reference=end_to_end if end_to_end != "NOTPROVIDED" else "",
            counterparty=_text(details, party, ns),
            bank_id=bank_id,
            raw=f"Ntry {index}: {sign} {amount_text} {date_text} {bank_id} {remittance}",
        )
        try:
            lines.append(_checked(line, today))
        except StatementError as exc:
            raise _at(where, exc) from None
    if not lines:
        raise StatementError(gettext("the statement has no entries"))
    return lines


PARSERS = {"ofx": parse_ofx, "camt053": parse_camt053}
