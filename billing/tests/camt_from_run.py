"""A camt.053 statement as the bank would send it after paying a run: one debit entry per
payment (its reference as EndToEndId), plus the returns and fees asked for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from xml.sax.saxutils import escape

from billing.models import PaymentRun

ENTRY = """
      <Ntry>
        <Amt Ccy="CAD">{amount}</Amt><CdtDbtInd>{way}</CdtDbtInd>{reversal}<Sts>BOOK</Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <AcctSvcrRef>{bank_ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{reference}</EndToEndId></Refs>
          <RmtInf><Ustrd>{text}</Ustrd></RmtInf>{returned}
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053_for_run(
    run: PaymentRun,
    *,
    day: dt.date,
    account: str = "1234567",
    returned: tuple[str, ...] = (),
    fees: tuple[Decimal, ...] = (),
) -> bytes:
    entries = []
    items = run.items.select_related("payment").order_by("payment__reference")
    for number, item in enumerate(items, start=1):
        ref = item.payment.reference
        text = escape(f"{ref} {item.payment.code}")
        entries.append(
            ENTRY.format(
                amount=item.amount,
                way="DBIT",
                reversal="",
                day=day,
                bank_ref=f"R{run.pk}-{number}",
                reference=ref,
                text=text,
                returned="",
            )
        )
        if ref in returned:
            entries.append(
                ENTRY.format(
                    amount=item.amount,
                    way="CRDT",
                    reversal="<RvslInd>true</RvslInd>",
                    day=day,
                    bank_ref=f"R{run.pk}-{number}-RET",
                    reference=ref,
                    text=escape(ref),
                    returned="<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Closed account</AddtlInf>"
                    "</RtrInf>",
                )
            )
    for number, fee in enumerate(fees, start=1):
        entries.append(
            ENTRY.format(
                amount=fee,
                way="DBIT",
                reversal="",
                day=day,
                bank_ref=f"FEE-{run.pk}-{number}",
                reference="NOTPROVIDED",
                text="Service charge",
                returned="",
            )
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>STMT-RUN-{run.pk}</MsgId><CreDtTm>{day}T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>STMT-RUN-{run.pk}</Id>"
        f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>CAD</Ccy></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()
