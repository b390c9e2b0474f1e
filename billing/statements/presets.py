"""The CSV layouts of the banks the program uses, as column mappings (the keys are those of
:mod:`billing.statements.mapping`). Each says what it is based on; a bank that changes its
export is mapped by hand on the account until its preset follows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Preset:
    label: str | Promise
    mapping: dict = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    # AccèsD "relevé de transactions" CSV, as Desjardins documents it (its statement
    # template page): no header, 14 columns — caisse, folio, account type (EOP, ES…),
    # date YYYY/MM/DD, sequence, description, cheque number, withdrawal, deposit, interest,
    # capital paid, advance, reimbursement, balance. The folio and type name the account
    # (a file may hold several); interest on a deposit account is money in. Often
    # Windows-1252, which the reader recognises.
    "desjardins": Preset(
        _("Desjardins (AccèsD CSV)"),
        {
            "header": False,
            "date": 3,
            "date_format": "%Y/%m/%d",
            "description": 5,
            "reference": 6,
            "debit": 7,
            "credit": [8, 9],
            "balance": 13,
            "account": [1, 2],
        },
    ),
    # RBC Online Banking "Download transactions" CSV: a header row "Account Type",
    # "Account Number", "Transaction Date" (M/D/YYYY), "Cheque Number", "Description 1",
    # "Description 2", "CAD$", "USD$"; signed amounts in the column of the account's
    # currency; one file may hold every account.
    "rbc": Preset(
        _("RBC Royal Bank (CSV)"),
        {
            "date": "Transaction Date",
            "date_format": "%m/%d/%Y",
            "description": ["Description 1", "Description 2"],
            "reference": "Cheque Number",
            "amount": {"CAD": "CAD$", "USD": "USD$"},
            "account": "Account Number",
        },
    ),
    # TD EasyWeb account activity CSV: no header; date (MM/DD/YYYY), description,
    # withdrawal, deposit, balance.
    "td": Preset(
        _("TD Canada Trust (EasyWeb CSV)"),
        {
            "header": False,
            "date": 0,
            "date_format": "%m/%d/%Y",
            "description": 1,
            "debit": 2,
            "credit": 3,
            "balance": 4,
        },
    ),
    # BMO online banking CSV: a line "Following data is valid as of …" and blank lines
    # above the header "First Bank Card, Transaction Type, Date Posted, Transaction Amount,
    # Description" (with stray spaces); dates YYYYMMDD; the transaction type (DEBIT/CREDIT)
    # says the way, whether or not the amount carries a minus sign.
    "bmo": Preset(
        _("BMO Bank of Montreal (CSV)"),
        {
            "date": "Date Posted",
            "date_format": "%Y%m%d",
            "amount": "Transaction Amount",
            "sign": "Transaction Type",
            "description": "Description",
        },
    ),
    # Scotiabank online banking CSV (the current export): header "Filter, Date,
    # Description, Sub-description, Status, Type of Transaction, Amount" (chequing adds
    # Balance), dates YYYY-MM-DD, rows newest first, amounts with a Debit/Credit type, and
    # pending rows (Status "pending") that are not booked yet.
    "scotiabank": Preset(
        _("Scotiabank (CSV)"),
        {
            "date": "Date",
            "date_format": "%Y-%m-%d",
            "description": ["Description", "Sub-description"],
            "amount": "Amount",
            "sign": "Type of Transaction",
            "status": "Status",
        },
    ),
    # National Bank online banking CSV: semicolon-separated, header "Date; Description;
    # Category; Debit; Credit; Balance", dates YYYY-MM-DD.
    "national": Preset(
        _("National Bank (CSV)"),
        {
            "date": "Date",
            "date_format": "%Y-%m-%d",
            "description": "Description",
            "debit": "Debit",
            "credit": "Credit",
            "balance": "Balance",
            "delimiter": ";",
        },
    ),
    # CIBC online banking CSV: no header; date (YYYY-MM-DD), description, debit, credit
    # (card exports add the card number).
    "cibc": Preset(
        _("CIBC (CSV)"),
        {
            "header": False,
            "date": 0,
            "date_format": "%Y-%m-%d",
            "description": 1,
            "debit": 2,
            "credit": 3,
        },
    ),
    # Tangerine CSV: header "Transaction date, Transaction, Name, Memo, Amount", dates
    # M/D/YYYY, signed amounts (the Transaction column, DEBIT/CREDIT/OTHER, is not needed).
    "tangerine": Preset(
        _("Tangerine (CSV)"),
        {
            "date": "Transaction date",
            "date_format": "%m/%d/%Y",
            "description": ["Name", "Memo"],
            "amount": "Amount",
        },
    ),
}
