"""ISO 20022 camt.053 bank-to-customer statements, versions .001.02 to .001.13: read by
element names whatever the version's namespace. Also a ZIP of such files, as banks send a
month of daily statements.

Each ``Stmt`` is one statement (its account, currency, balances). An entry (``Ntry``) is one
line, keyed by the bank's own reference (``AcctSvcrRef``, else ``NtryRef``) — never by the
payer's ``EndToEndId``, which is not unique. A batch entry whose transaction details each
carry an amount becomes one line per detail. Entries not booked yet are skipped and
counted. XML is read with entity expansion, DTDs and external references refused
(defusedxml)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from billing.statements.core import (
    ParsedLine,
    ParsedStatement,
    StatementError,
    at,
    check_balances,
    checked,
    digits,
    line_at,
    pending_note,
    shown,
    to_money,
)
from billing.statements.sniff import sniff

MAX_MEMBERS = 400  # a year of daily statements, and some
MAX_UNPACKED = 50 * 1024 * 1024
PENDING = {"PDNG", "FUTR"}  # not booked yet: not in the booked balances either
INFORMATION = {"INFO"}


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _text(element: Element | None, path: str) -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _document(data: bytes) -> Element:
    """The root of a camt.053 document, its tags without namespace."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

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
        raise at(
            line_at(exc.position[0]),
            gettext("not well-formed XML (%(reason)s)") % {"reason": exc},
        ) from None
    except (LookupError, ValueError) as exc:  # an encoding Python or expat cannot read
        raise StatementError(
            gettext("the XML declares an encoding that cannot be read (%(reason)s)")
            % {"reason": exc}
        ) from None
    namespace = str(root.tag)[1:].split("}", 1)[0] if str(root.tag).startswith("{") else ""
    for element in root.iter():
        element.tag = _local(element.tag)
    if root.tag != "Document" or root.find("BkToCstmrStmt") is None:
        other = re.search(r"camt\.0\d\d", namespace)
        if other and other[0] != "camt.053":
            raise StatementError(
                gettext("this is an ISO 20022 %(message)s document, not a camt.053 statement")
                % {"message": other[0]}
            )
        raise StatementError(gettext("not an ISO 20022 camt.053 document"))
    return root


def _signed(amount: Decimal, indicator: str) -> Decimal:
    return -amount if indicator == "DBIT" else amount


def _balance(statement: Element, codes: tuple[str, ...]) -> Decimal | None:
    """The first balance of the first of ``codes`` the statement prints, signed."""
    balances = statement.findall("Bal")
    for code in codes:
        for balance in balances:
            kind = _text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")
            if kind.upper() != code:
                continue
            where = gettext("balance %(code)s") % {"code": code}
            amount_text, indicator = _text(balance, "Amt"), _text(balance, "CdtDbtInd")
            if indicator not in {"CRDT", "DBIT"}:
                raise at(where, gettext("missing credit/debit indicator"))
            try:
                value = to_money(Decimal(amount_text), amount_text)
            except InvalidOperation:
                raise at(
                    where, gettext("%(text)s is not an amount") % {"text": shown(amount_text)}
                ) from None
            except StatementError as exc:
                raise at(where, exc) from None
            return _signed(abs(value), indicator)
    return None


def _account(statement: Element) -> str:
    iban = _text(statement, "Acct/Id/IBAN")
    if iban:
        return re.sub(r"[^0-9A-Za-z]", "", iban).upper()
    return digits(_text(statement, "Acct/Id/Othr/Id"))


def _currency_of(element: Element, path: str) -> str:
    """The ``Ccy`` of the amount at ``path``, or ""."""
    found = element.find(path)
    return (found.get("Ccy") or "").strip().upper() if found is not None else ""


def _currency(statement: Element) -> str:
    """The account's currency, else its first entry's, else its first balance's."""
    return (
        _text(statement, "Acct/Ccy").upper()
        or _currency_of(statement, "Ntry/Amt")
        or _currency_of(statement, "Bal/Amt")
    )


def _status(entry: Element) -> str:
    return (_text(entry, "Sts/Cd") or _text(entry, "Sts/Prtry") or _text(entry, "Sts")).upper()


def _date(entry: Element) -> str:
    for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
        # A date-time's date as the bank wrote it, not moved to another time zone.
        if text := _text(entry, path)[:10]:
            return text
    return ""


def _party(details: Element, indicator: str) -> str:
    role = "Cdtr" if indicator == "DBIT" else "Dbtr"
    return (
        _text(details, f"RltdPties/{role}/Nm")
        or _text(details, f"RltdPties/{role}/Pty/Nm")
        or _text(details, f"RltdPties/Ultmt{role}/Nm")
        or _text(details, f"RltdPties/Ultmt{role}/Pty/Nm")
    )


def _reference(details: Element) -> str:
    end_to_end = _text(details, "Refs/EndToEndId")
    return "" if end_to_end.upper() == "NOTPROVIDED" else end_to_end


def _remittance(details: Element) -> str:
    parts = [(e.text or "").strip() for e in details.iterfind("RmtInf/Ustrd")]
    parts += [(e.text or "").strip() for e in details.iterfind("RmtInf/Strd/CdtrRefInf/Ref")]
    return " ".join(filter(None, parts)) or _text(details, "AddtlTxInf")


def _return_reason(entry: Element, details: Element | None) -> str:
    """Why the bank brings a payment back: the return information of the transaction
    (reason code and text), or "reversal" for an entry marked as one; "" otherwise."""
    if details is not None:
        code = _text(details, "RtrInf/Rsn/Cd") or _text(details, "RtrInf/Rsn/Prtry")
        more = " ".join((e.text or "").strip() for e in details.iterfind("RtrInf/AddtlInf"))
        if code or more:
            return " ".join(filter(None, [code, more]))[:300]
    return "reversal" if _text(entry, "RvslInd").lower() in {"true", "1"} else ""


def _detail_amount(details: Element) -> tuple[str, str] | None:
    """A transaction detail's own amount and currency (``Amt`` from .001.03 on, else the
    amount booked, ``AmtDtls/TxAmt``), or None."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        if text := _text(details, path):
            return text, _currency_of(details, path)
    return None


class _Reader:
    """The statements of one camt.053 document."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.number = 0

    def statements(self, root: Element) -> list[ParsedStatement]:
        return [self.statement(s) for s in root.iterfind("BkToCstmrStmt/Stmt")]

    def statement(self, element: Element) -> ParsedStatement:
        currency = _currency(element)
        lines: list[ParsedLine] = []
        pending = information = 0
        notes: list[str] = []
        for entry in element.findall("Ntry"):
            self.number += 1
            where = gettext("entry %(number)d") % {"number": self.number}
            status = _status(entry)
            if status in PENDING:
                pending += 1
                continue
            if status in INFORMATION:
                information += 1
                continue
            lines += self.entry(entry, where, currency, notes)
        if pending:
            notes.insert(0, pending_note(pending))
        if information:
            notes.append(
                ngettext(
                    "%(count)d information-only entry skipped",
                    "%(count)d information-only entries skipped",
                    information,
                )
                % {"count": information}
            )
        return ParsedStatement(
            lines=lines,
            account=_account(element),
            currency=currency,
            opening=_balance(element, ("OPBD", "PRCD")),
            closing=_balance(element, ("CLBD",)),
            notes=notes,
        )

    def entry(
        self, entry: Element, where: str, currency: str, notes: list[str]
    ) -> list[ParsedLine]:
        amount_text = _text(entry, "Amt")
        indicator = _text(entry, "CdtDbtInd")
        date_text = _date(entry)
        if not amount_text or indicator not in {"CRDT", "DBIT"} or not date_text:
            raise at(where, gettext("missing amount, credit/debit indicator or date"))
        try:
            value = Decimal(amount_text)
            booked = dt.date.fromisoformat(date_text)
        except (InvalidOperation, ValueError):
            raise at(
                where,
                gettext("bad amount %(amount)s or date %(date)s")
                % {"amount": shown(amount_text), "date": shown(date_text)},
            ) from None
        try:
            amount = to_money(value, amount_text)
            if amount < 0:
                raise StatementError(
                    gettext(
                        "the amount %(amount)s is negative; the credit/debit indicator signs it"
                    )
                    % {"amount": shown(amount_text)}
                )
            entry_currency = _currency_of(entry, "Amt")
            if entry_currency and currency and entry_currency != currency:
                raise StatementError(
                    gettext("the amount is in %(currency)s; the statement is in %(statement)s")
                    % {"currency": entry_currency, "statement": currency}
                )
        except StatementError as exc:
            raise at(where, exc) from None
        signed = _signed(amount, indicator)
        bank_ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
        details = entry.findall("NtryDtls/TxDtls")
        if len(details) > 1:
            split = self.split(details, signed, indicator, bank_ref, booked, where, currency)
            if split is not None:
                return split
            if all(_detail_amount(d) for d in details):
                notes.append(
                    gettext(
                        "%(where)s: its transaction details do not add up to its amount; "
                        "kept as one line"
                    )
                    % {"where": where}
                )
        returned = _return_reason(entry, details[0] if len(details) == 1 else None)
        if len(details) == 1:
            one = details[0]
            reference, counterparty = _reference(one), _party(one, indicator)
            description = _remittance(one)
        else:
            reference = counterparty = ""
            # Every detail's reference and remittance, so none is lost from the line.
            parts = (" ".join(filter(None, [_reference(d), _remittance(d)])) for d in details)
            description = " / ".join(filter(None, parts))
        line = ParsedLine(
            booked_on=booked,
            amount=signed,
            description=description or _text(entry, "AddtlNtryInf"),
            reference=reference,
            counterparty=counterparty,
            bank_id=bank_ref,
            raw=(
                f"Ntry {self.number}: {indicator} {amount_text} {date_text} {bank_ref} "
                f"{description}"
            ),
            return_reason=returned,
        )
        try:
            return [checked(line, self.today)]
        except StatementError as exc:
            raise at(where, exc) from None

    def split(
        self,
        details: list[Element],
        signed: Decimal,
        indicator: str,
        bank_ref: str,
        booked: dt.date,
        where: str,
        currency: str,
    ) -> list[ParsedLine] | None:
        """One line per transaction detail of a batch entry, when each carries an amount
        in the entry's currency and they add up to the entry's; else None."""
        amounts = []
        for index, details_ in enumerate(details, start=1):
            found = _detail_amount(details_)
            if found is None or (found[1] and currency and found[1] != currency):
                return None
            text = found[0]
            detail_where = gettext("%(entry)s, transaction %(number)d") % {
                "entry": where,
                "number": index,
            }
            try:
                value = to_money(Decimal(text), text)
            except InvalidOperation:
                raise at(
                    detail_where, gettext("%(text)s is not an amount") % {"text": shown(text)}
                ) from None
            except StatementError as exc:
                raise at(detail_where, exc) from None
            way = _text(details_, "CdtDbtInd")
            way = way if way in {"CRDT", "DBIT"} else indicator
            amounts.append(_signed(abs(value), way))
        if sum(amounts, Decimal("0.00")) != signed:
            return None
        lines = []
        for index, (details_, amount) in enumerate(zip(details, amounts, strict=True), start=1):
            detail_where = gettext("%(entry)s, transaction %(number)d") % {
                "entry": where,
                "number": index,
            }
            own = _text(details_, "Refs/AcctSvcrRef")
            bank_id = own or (f"{bank_ref}/{index}" if bank_ref else "")
            way = "DBIT" if amount < 0 else "CRDT"
            remittance = _remittance(details_)
            line = ParsedLine(
                booked_on=booked,
                amount=amount,
                description=remittance,
                reference=_reference(details_),
                counterparty=_party(details_, way),
                bank_id=bank_id,
                raw=f"Ntry {self.number}.{index}: {way} {abs(amount)} {bank_id} {remittance}",
                return_reason=_return_reason(details_, details_) if way == "CRDT" else "",
            )
            try:
                lines.append(checked(line, self.today))
            except StatementError as exc:
                raise at(detail_where, exc) from None
        return lines


def read_document(data: bytes) -> list[ParsedStatement]:
    return _Reader().statements(_document(data))


def _members(data: bytes) -> list[tuple[str, bytes]]:
    """The files of a ZIP archive, within the caps: no more than :data:`MAX_MEMBERS`
    files, no more than :data:`MAX_UNPACKED` bytes unpacked (a zip bomb is refused before
    anything is unpacked; sizes are counted as read, not trusted)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # zipfile raises many kinds for a damaged archive
        raise StatementError(gettext("not a readable ZIP archive")) from None
    with archive:
        infos = [
            info
            for info in archive.infolist()
            # Folders, and the resource forks macOS adds to the archives it makes.
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        ]
        if not infos:
            raise StatementError(gettext("the ZIP archive holds no file"))
        if len(infos) > MAX_MEMBERS:
            raise StatementError(
                gettext("the ZIP archive holds %(count)d files; %(limit)d at most are read")
                % {"count": len(infos), "limit": MAX_MEMBERS}
            )
        too_big = StatementError(
            gettext("the ZIP archive unpacks to more than %(limit)d MB; it is refused")
            % {"limit": MAX_UNPACKED // (1024 * 1024)}
        )
        if sum(info.file_size for info in infos) > MAX_UNPACKED:
            raise too_big
        members, total = [], 0
        for info in infos:
            name = re.sub(r"[\x00-\x1f\x7f]", "?", info.filename)[-100:]
            if info.flag_bits & 0x1:
                raise at(name, gettext("the file is encrypted"))
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_UNPACKED - total + 1)
            except Exception:  # zipfile, zlib, bz2, lzma: many kinds for a damaged member
                raise at(name, gettext("the file cannot be unpacked")) from None
            total += len(content)
            if total > MAX_UNPACKED:
                raise too_big
            members.append((name, content))
    return members


def read_camt053(data: bytes) -> list[ParsedStatement]:
    if sniff(data) != "zip":
        return read_document(data)
    statements = []
    for name, content in _members(data):
        kind = sniff(content)
        if kind not in {"camt", "xml"}:
            raise at(name, gettext("this file of the archive is not a camt.053 statement"))
        try:
            read = read_document(content)
            check_balances(read)
        except StatementError as exc:
            raise at(name, exc) from None
        statements += read
    return statements
