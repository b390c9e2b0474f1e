"""Reading bank statements: CSV (with a column mapping per account), OFX, ISO 20022
CAMT.053. Parsers are pure: bytes in, lines out, or :class:`StatementError` naming the line
and the reason — nothing of a malformed file is kept. XML is read with entity expansion,
DTDs and external references refused (defusedxml)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from avataq.money import money


class StatementError(ValueError):
    """The file cannot be imported; the message names the line (or entry) and why."""


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


def _amount(text: str, *, decimal_comma: bool = False) -> Decimal:
    cleaned = (text or "").strip().replace("$", "").replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        return money(Decimal(cleaned))
    except InvalidOperation:
        raise StatementError(f"{text!r} is not an amount") from None


# --- CSV -------------------------------------------------------------------------------------
def parse_csv(data: bytes, mapping: dict) -> list[ParsedLine]:
    if not mapping.get("date") or not (mapping.get("amount") or mapping.get("debit")):
        raise StatementError("this account has no CSV column mapping (date and amount columns)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")  # Canadian banks' older exports
    reader = csv.DictReader(io.StringIO(text), delimiter=mapping.get("delimiter", ","))
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
    missing = [column for column in needed if column not in (reader.fieldnames or [])]
    if missing:
        raise StatementError(f"line 1: missing column(s) {', '.join(missing)}")
    lines = []
    for row in reader:
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
                    f"{date_text!r} is not a date ({mapping.get('date_format', '%Y-%m-%d')})"
                ) from None
            comma = bool(mapping.get("decimal_comma"))
            if mapping.get("amount"):
                amount = _amount(row[mapping["amount"]], decimal_comma=comma)
            else:
                debit = row.get(mapping["debit"]) or "0"
                credit = row.get(mapping.get("credit", "")) or "0"
                amount = _amount(credit, decimal_comma=comma) - _amount(debit, decimal_comma=comma)
            if amount == 0:
                raise StatementError("the amount is zero")

            def cell(key: str, row: dict = row) -> str:
                return (row.get(mapping[key]) or "").strip() if mapping.get(key) else ""

            lines.append(
                ParsedLine(
                    booked,
                    amount,
                    cell("description"),
                    cell("reference"),
                    cell("counterparty"),
                    cell("bank_id"),
                    ",".join(f"{k}={v}" for k, v in row.items()),
                )
            )
        except StatementError as exc:
            raise StatementError(f"line {number}: {exc}") from None
    return lines


# --- OFX -------------------------------------------------------------------------------------
def parse_ofx(data: bytes) -> list[ParsedLine]:
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
    except Exception as exc:  # ofxtools raises many kinds for a malformed file
        raise StatementError(f"not a readable OFX file ({type(exc).__name__}: {exc})") from None
    lines = []
    for statement in ofx.statements:
        for index, txn in enumerate(statement.transactions, start=1):
            if txn.trnamt is None or txn.dtposted is None or not txn.fitid:
                raise StatementError(f"transaction {index}: missing amount, date or FITID")
            lines.append(
                ParsedLine(
                    booked_on=txn.dtposted.date(),
                    amount=money(txn.trnamt),
                    description=" ".join(filter(None, [txn.name, txn.memo])),
                    reference=txn.refnum or txn.checknum or "",
                    counterparty=txn.name or "",
                    bank_id=txn.fitid,
                    raw=f"FITID={txn.fitid} {txn.trntype} {txn.trnamt} {txn.name} {txn.memo}",
                )
            )
    return lines


# --- CAMT.053 ----------------------------------------------------------------------------------
def _text(element, path: str, ns: dict) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def parse_camt053(data: bytes) -> list[ParsedLine]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise StatementError(
            f"refused: the XML declares {type(exc).__name__} (entities or a DTD)"
        ) from None
    except ElementTree.ParseError as exc:
        raise StatementError(f"line {exc.position[0]}: not well-formed XML ({exc})") from None
    match = re.match(r"\{([^}]*)\}", root.tag)
    if not match or "camt.053" not in match[1]:
        raise StatementError("not an ISO 20022 camt.053 document")
    ns = {"c": match[1]}
    lines = []
    for index, entry in enumerate(root.iterfind(".//c:Stmt/c:Ntry", ns), start=1):
        amount_text = _text(entry, "c:Amt", ns)
        sign = _text(entry, "c:CdtDbtInd", ns)
        date_text = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)[:10]
        if not amount_text or sign not in {"CRDT", "DBIT"} or not date_text:
            raise StatementError(
                f"entry {index}: missing amount, credit/debit indicator or booking date"
            )
        try:
            amount = money(Decimal(amount_text)) * (1 if sign == "CRDT" else -1)
            booked = dt.date.fromisoformat(date_text)
        except (InvalidOperation, ValueError):
            raise StatementError(
                f"entry {index}: bad amount {amount_text!r} or date {date_text!r}"
            ) from None
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
        lines.append(
            ParsedLine(
                booked_on=booked,
                amount=amount,
                description=remittance or _text(entry, "c:AddtlNtryInf", ns),
                reference=end_to_end if end_to_end != "NOTPROVIDED" else "",
                counterparty=_text(details, party, ns),
                bank_id=bank_id,
                raw=f"Ntry {index}: {sign} {amount_text} {date_text} {bank_id} {remittance}",
            )
        )
    if not lines:
        raise StatementError("the statement has no entries")
    return lines


PARSERS = {"ofx": parse_ofx, "camt053": parse_camt053}
