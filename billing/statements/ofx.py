"""OFX statements (v1 SGML and v2 XML; QFX is OFX with Intuit's extra tags).

Read by a small tolerant reader of its own rather than ofxtools: ofxtools validates against
the specification more strictly than banks write (it refuses a statement without
LEDGERBAL as Desjardins and Nubank send, a BANKID over 9 characters, blank lines before the
header, several BANKTRANLISTs) and converts dates to UTC, which moves an evening
transaction to the next day. Here a date is the date the bank printed.

The reader only tokenises tags and text: it expands no entity, loads nothing external."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext

from billing.statements.core import (
    ParsedLine,
    ParsedStatement,
    StatementError,
    at,
    bad_byte,
    checked,
    digits,
    distinct_accounts,
    pending_note,
    shown,
    to_money,
)

MAX_DEPTH = 50  # OFX nests about 8 deep; more is a damaged or hostile file
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9._]*)\s*(/?)>([^<]*)")
_IGNORED = re.compile(r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<![^>]*>", re.DOTALL)
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos|nbsp);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_SINGLE_BYTE = {
    "1252": "cp1252",
    "WINDOWS-1252": "cp1252",
    "ISO-8859-1": "latin-1",
    "8859-1": "latin-1",
    "ISO8859-1": "latin-1",
    "LATIN-1": "latin-1",
    "NONE": "cp1252",
    "": "cp1252",
}


@dataclasses.dataclass
class Node:
    name: str
    text: str | None = None  # a leaf's value; None for an aggregate
    children: list[Node] = dataclasses.field(default_factory=list)

    def find(self, path: str) -> Node | None:
        node: Node | None = self
        for name in path.split("/"):
            node = next((c for c in node.children if c.name == name), None) if node else None
        return node

    def value(self, path: str) -> str:
        node = self.find(path)
        return (node.text or "").strip() if node is not None else ""

    def iter(self, name: str) -> list[Node]:
        """Every node called ``name`` below this one, in file order (not below a match)."""
        found = []
        for child in self.children:
            if child.name == name:
                found.append(child)
            else:
                found += child.iter(name)
        return found


def _unescape(text: str) -> str:
    def one(match: re.Match) -> str:
        name = match[1]
        if name.startswith(("#x", "#X")):
            number = int(name[2:], 16)
        elif name.startswith("#"):
            number = int(name[1:])
        else:
            return _NAMED[name]
        return chr(number) if number <= 0x10FFFF else "\ufffd"

    return _ENTITY.sub(one, text)


def _unreadable(reason: str) -> StatementError:
    return StatementError(gettext("not a readable OFX file (%(reason)s)") % {"reason": reason})


def _decode(data: bytes) -> str:
    """The file's text, in the character set it declares. A file declaring a single-byte
    set that is valid UTF-8 is read as UTF-8 (banks write accents in UTF-8 under an old
    header more often than the reverse)."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _unreadable(gettext("the UTF-16 text is damaged")) from None
    head = start[:1024].decode("latin-1")
    if head.startswith("<?xml"):
        declared = re.search(r"""encoding\s*=\s*["']([A-Za-z0-9._-]+)""", head[:200])
        encoding = declared[1] if declared else "utf-8"
        single = encoding.upper() in _SINGLE_BYTE
    else:
        charset = re.search(r"^\s*CHARSET\s*:\s*([A-Za-z0-9._-]*)", head, re.MULTILINE)
        coding = re.search(r"^\s*ENCODING\s*:\s*([A-Za-z0-9._-]*)", head, re.MULTILINE)
        if coding and coding[1].upper().replace("-", "") == "UTF8":
            encoding, single = "utf-8", False
        else:
            name = (charset[1] if charset else "").upper()
            encoding, single = _SINGLE_BYTE.get(name, name.lower() or "cp1252"), True
    if single:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        problem = gettext("byte 0x%(byte)02X is not in the character set the file declares")
        raise bad_byte(data, exc, problem) from None
    except (LookupError, ValueError):  # no such codec, or not a text one
        raise _unreadable(
            gettext("it declares the character set %(charset)s") % {"charset": shown(encoding)}
        ) from None


def parse_tree(text: str) -> Node:
    """The ``<OFX>`` element of ``text``, SGML (leaves unclosed) or XML alike."""
    start = text.upper().find("<OFX>")
    if start < 0:
        raise _unreadable(gettext("no <OFX> element"))
    body = _IGNORED.sub("", text[start:])
    closed = {m.upper() for m in re.findall(r"</([A-Za-z][A-Za-z0-9._]*)\s*>", body)}
    root = Node("")
    stack = [root]
    for match in _TAG.finditer(body):
        closing, name, empty, text_after = match[1], match[2].upper(), match[3], match[4]
        if closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].name == name:
                    del stack[depth:]
                    break
            continue  # a leaf's own closing tag (XML), or a stray one
        value = text_after.strip()
        if empty or (not value and name not in closed):
            stack[-1].children.append(Node(name, text=""))  # an empty leaf
        elif value:
            stack[-1].children.append(Node(name, text=_unescape(value)))
        else:
            if len(stack) > MAX_DEPTH:
                raise _unreadable(gettext("its elements are nested too deeply"))
            node = Node(name)
            stack[-1].children.append(node)
            stack.append(node)
    ofx = root.find("OFX")
    if ofx is None:
        raise _unreadable(gettext("no <OFX> element"))
    return ofx


def _status(node: Node) -> None:
    """:class:`StatementError` quoting the bank when a response says it failed."""
    for status in node.iter("STATUS"):
        code = status.value("CODE")
        if code and code != "0" and status.value("SEVERITY").upper() != "INFO":
            message = status.value("MESSAGE") or gettext("no message")
            raise StatementError(
                gettext(
                    "the bank answered with an error instead of a statement (%(code)s: %(message)s)"
                )
                % {"code": code, "message": message[:200]}
            )


def _date(text: str) -> dt.date:
    """The calendar date the bank printed: the first 8 digits of an OFX datetime
    (``20091215202000[-4:EST]`` is the 15th, whatever its time zone)."""
    match = re.match(r"\s*(\d{4})(\d{2})(\d{2})", text)
    if not match:
        raise StatementError(gettext("%(text)s is not a date") % {"text": shown(text)})
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise StatementError(gettext("%(text)s is not a date") % {"text": shown(text)}) from None


def _amount(text: str) -> Decimal:
    """An OFX amount: a decimal point or comma (the specification allows both)."""
    cleaned = text.strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise StatementError(gettext("%(text)s is not an amount") % {"text": shown(text)}) from None
    return to_money(value, text)


def _statement(node: Node, numbering: Iterator[int]) -> ParsedStatement:
    """One STMTRS or CCSTMTRS; its transactions numbered across the file."""
    today = timezone.localdate()
    account = node.value("BANKACCTFROM/ACCTID") or node.value("CCACCTFROM/ACCTID")
    currency = node.value("CURDEF").upper()
    lines = []
    for txn in node.iter("STMTTRN"):
        where = gettext("transaction %(number)d") % {"number": next(numbering)}
        try:
            amount_text, date_text = txn.value("TRNAMT"), txn.value("DTPOSTED")
            if not amount_text or not date_text:
                raise StatementError(gettext("missing amount or date (TRNAMT, DTPOSTED)"))
            foreign = txn.value("CURRENCY/CURSYM").upper()
            if foreign and currency and foreign != currency:
                raise StatementError(
                    gettext("the amount is in %(currency)s; the statement is in %(statement)s")
                    % {"currency": foreign, "statement": currency}
                )
            name = txn.value("NAME") or txn.value("PAYEE/NAME")
            memo = txn.value("MEMO")
            fitid = txn.value("FITID")
            line = ParsedLine(
                booked_on=_date(date_text),
                amount=_amount(amount_text),
                description=" ".join(filter(None, [name, memo])),
                reference=txn.value("REFNUM") or txn.value("CHECKNUM"),
                counterparty=name,
                bank_id=fitid,
                raw=f"FITID={fitid} {txn.value('TRNTYPE')} {amount_text} {name} {memo}",
            )
            lines.append(checked(line, today))
        except StatementError as exc:
            raise at(where, exc) from None
    closing = None
    if balance := node.value("LEDGERBAL/BALAMT"):
        try:
            closing = _amount(balance)
        except StatementError as exc:
            raise at(gettext("the closing balance (LEDGERBAL)"), exc) from None
    notes = []
    if pending := len(node.iter("STMTTRNP")):
        notes.append(pending_note(pending))
    return ParsedStatement(
        lines=lines, account=digits(account), currency=currency, closing=closing, notes=notes
    )


def read_ofx(data: bytes) -> list[ParsedStatement]:
    ofx = parse_tree(_decode(data))
    _status(ofx)
    found = [n for n in _walk(ofx) if n.name in {"STMTRS", "CCSTMTRS", "INVSTMTRS"}]
    if any(n.name == "INVSTMTRS" for n in found):
        raise StatementError(
            gettext(
                "this is an investment statement; investment statements are not bank statements"
            )
        )
    if not found:
        raise StatementError(gettext("the file holds no bank or credit card statement"))
    numbering = itertools.count(1)
    statements = [_statement(node, numbering) for node in found]
    distinct_accounts(
        [
            (n.value("BANKACCTFROM/ACCTID") or n.value("CCACCTFROM/ACCTID"), s.account, s.currency)
            for n, s in zip(found, statements, strict=True)
        ]
    )
    return statements


def _walk(node: Node) -> list[Node]:
    """Every node below ``node``, not looking inside a statement."""
    found = []
    for child in node.children:
        found.append(child)
        if child.name not in {"STMTRS", "CCSTMTRS", "INVSTMTRS"}:
            found += _walk(child)
    return found
