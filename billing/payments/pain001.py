"""ISO 20022 ``pain.001.001.03`` (customer credit transfer initiation) in CAD: one payment
information block debiting the program's account on the run's date, one transaction per
payment, its reference as ``EndToEndId`` and at the start of the remittance text. Canadian
accounts are addressed by clearing-system member id (``CACPA``, ``0`` + institution +
transit), accounts abroad by BIC and IBAN. Every file is validated against the official
XSD (``billing/schemas/``) before it leaves this module."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from avataq.errors import AvataqError
from billing.payments.formats import Batch, Transfer, ascii_text

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
XSD = Path(__file__).resolve().parent.parent / "schemas" / "pain.001.001.03.xsd"
CURRENCY = "CAD"
CLEARING_SYSTEM = "CACPA"  # Canadian Payments Association


class InvalidPaymentFile(AvataqError):
    """The produced file breaks the schema (a bug, never sent): the message says where."""

    code = "invalid_payment_file"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, path: str, text: str) -> None:
    for tag in path.split("/")[:-1]:
        parent = _sub(parent, tag)
    _sub(parent, path.split("/")[-1], text)


def _routing(institution: str, transit: str) -> str:
    return f"0{institution}{transit}"


def _agent(parent: etree._Element, tag: str, transfer_or_debtor) -> None:
    agent = _sub(_sub(parent, tag), "FinInstnId")
    bic = getattr(transfer_or_debtor, "bic", "")
    if bic:
        _sub(agent, "BIC", bic)
        return
    member = _sub(agent, "ClrSysMmbId")
    _path(member, "ClrSysId/Cd", CLEARING_SYSTEM)
    _sub(member, "MmbId", _routing(transfer_or_debtor.institution, transfer_or_debtor.transit))


def _transaction(block: etree._Element, transfer: Transfer) -> None:
    tx = _sub(block, "CdtTrfTxInf")
    _path(tx, "PmtId/EndToEndId", transfer.reference)
    _sub(_sub(tx, "Amt"), "InstdAmt", f"{transfer.amount:.2f}", Ccy=CURRENCY)
    _agent(tx, "CdtrAgt", transfer)
    _sub(_sub(tx, "Cdtr"), "Nm", ascii_text(transfer.payee_name)[:140] or "-")
    account = _sub(_sub(tx, "CdtrAcct"), "Id")
    if transfer.scheme == "iban":
        _sub(account, "IBAN", transfer.account)
    else:
        _path(account, "Othr/Id", transfer.account)
    remittance = f"{transfer.reference} {ascii_text(transfer.remittance)}".strip()
    _path(tx, "RmtInf/Ustrd", remittance[:140])


def build(batch: Batch) -> bytes:
    """The pain.001 document of ``batch``, validated (:class:`InvalidPaymentFile`)."""
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    count, total = str(len(batch.transfers)), f"{batch.total:.2f}"
    _sub(header, "MsgId", f"AVQ-RUN-{batch.run_id}-{batch.execution_date:%Y%m%d}")
    _sub(header, "CreDtTm", batch.created.replace(microsecond=0, tzinfo=None).isoformat())
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _path(header, "InitgPty/Nm", ascii_text(batch.debtor.name)[:140])
    block = _sub(initiation, "PmtInf")
    _sub(block, "PmtInfId", f"AVQ-RUN-{batch.run_id}")
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "NbOfTxs", count)
    _sub(block, "CtrlSum", total)
    _sub(block, "ReqdExctnDt", batch.execution_date.isoformat())
    _path(block, "Dbtr/Nm", ascii_text(batch.debtor.name)[:140])
    debtor_account = _sub(block, "DbtrAcct")
    _path(debtor_account, "Id/Othr/Id", batch.debtor.account)
    _sub(debtor_account, "Ccy", CURRENCY)
    _agent(block, "DbtrAgt", batch.debtor)
    _sub(block, "ChrgBr", "DEBT")
    for transfer in batch.transfers:
        _transaction(block, transfer)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(data)
    return data


def validate(data: bytes) -> None:
    """:class:`InvalidPaymentFile` naming the first problem, unless ``data`` is a valid
    pain.001.001.03 document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    document = etree.fromstring(data, parser)
    checker = schema()
    if not checker.validate(document):
        error = checker.error_log.last_error
        raise InvalidPaymentFile(f"line {error.line}: {error.message}")
