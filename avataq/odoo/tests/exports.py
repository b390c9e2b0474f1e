"""A small Odoo 16 system, as its "import-compatible" exports: one CSV per model, written
the way Odoo's ``/web/export/csv`` writes them (every cell quoted, the field names as
headers, ``field/id`` for a relation, many-to-many as comma-separated external ids, an
empty cell for False, datetimes in UTC, a leading ``'`` before a text that starts with
``=``, ``+`` or ``-``), with the awkward parts a real one has: external ids of both
kinds (``__export__.…`` and module-qualified), an empty many-to-one, multi-line text,
accented names, datetimes near midnight in Montreal, archived records, a student without
status number.

``odoo_exports()`` returns the tables; ``write_exports()`` writes them to a folder (a
test changes a table first to remove a row or change an amount)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

# External ids of the records tests refer to.
CMV = "__export__.avataq_school_3_5f2a91c0"
JAC = "avataq_sponsorship.school_john_abbott"
YEAR = "avataq_sponsorship.scholar_year_2024_2025"
FALL = "__export__.avataq_session_11_ab12cd34"
WINTER = "avataq_sponsorship.session_2025_winter"
ELISAPIE = "__export__.avataq_student_42_1a2b3c4d"
TOMASSIE = "avataq_sponsorship.student_tomassie"
LUCASSIE = "__export__.avataq_student_44_9f8e7d6c"
NO_STATUS = "__export__.avataq_student_45_0a0b0c0d"
SHEET_ELISAPIE = "__export__.avataq_computing_sheet_301_77aa88bb"


@dataclass
class Table:
    odoo_model: str
    filename: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def column(self, name: str) -> int:
        return self.header.index(name)

    def row(self, xid: str) -> list[str]:
        return next(r for r in self.rows if r[0] == xid)

    def set(self, xid: str, column: str, value: str) -> None:
        self.row(xid)[self.column(column)] = value

    def remove(self, xid: str) -> None:
        self.rows.remove(self.row(xid))


def _table(odoo_model: str, description: str, header: str, rows: list[list[str]]) -> Table:
    return Table(odoo_model, f"{description} ({odoo_model}).csv", header.split(), rows)


def odoo_exports() -> dict[str, Table]:
    tables = [
        _table(
            "avataq.school",
            "School",
            "id name code school_type city province email active partner_id/id",
            [
                [
                    CMV,
                    "Cégep Marie-Victorin",
                    "CMV",
                    "cegep",
                    "Montréal",
                    "QC",
                    "factures@cmv.example.org",
                    "True",
                    "__export__.res_partner_88_0b1c2d3e",
                ],
                [
                    JAC,
                    "John Abbott College",
                    "JAC",
                    "college",
                    "Sainte-Anne-de-Bellevue",
                    "QC",
                    "",
                    "True",
                    "avataq_sponsorship.partner_john_abbott",
                ],
            ],
        ),
        _table(
            "avataq.program",
            "Program",
            "id name school_id/id level active",
            [
                [
                    "__export__.avataq_program_5_aaaa0001",
                    "Sciences humaines",
                    CMV,
                    "dec_pre",
                    "True",
                ],
                ["__export__.avataq_program_6_aaaa0002", "Soins infirmiers", CMV, "dec_tech", ""],
                ["avataq_sponsorship.program_jac_nursing", "Nursing", JAC, "dec_tech", "True"],
            ],
        ),
        _table(
            "avataq.scholar.year",
            "Scholar Year",
            "id name date_start date_end closed",
            [[YEAR, "2024-2025", "2024-07-01", "2025-06-30", ""]],
        ),
        _table(
            "avataq.session",
            "Session",
            "id scholar_year_id/id term date_start date_end deadline",
            [
                [FALL, YEAR, "fall", "2024-08-19", "2024-12-20", "2024-06-01"],
                [WINTER, YEAR, "winter", "2025-01-13", "2025-05-16", ""],
            ],
        ),
        _table(
            "avataq.student",
            "Student",
            "id status_number firstname lastname birthdate community_id email phone "
            "marital_status nb_dependants lang active user_id/id comment",
            [
                [
                    ELISAPIE,
                    "10234",
                    "Élisapie",
                    "Qumaluk",
                    "2003-02-14",
                    "Kuujjuaq",
                    "elisapie.qumaluk@example.org",
                    "819 964-0000",
                    "single",
                    "0",
                    "fr_CA",
                    "True",
                    "__export__.res_users_7_aa11bb22",
                    "",
                ],
                [
                    TOMASSIE,
                    "20456",
                    "Tomassie",
                    "Iqaluk",
                    "2001-11-30",
                    "INUKJUAK",
                    "tomassie@example.org",
                    "",
                    "cohabitant",
                    "2",
                    "en_US",
                    "True",
                    "avataq_sponsorship.user_tomassie",
                    "",
                ],
                # Archived, with a note over two lines: the next record starts two lines on.
                [
                    LUCASSIE,
                    "30789",
                    "Lucassie",
                    "Nappaaluk",
                    "2002-05-03",
                    "Salluit",
                    "",
                    "",
                    "",
                    "0",
                    "en_US",
                    "",
                    "",
                    "Moved to Montréal.\nCall before writing.",
                ],
                [
                    NO_STATUS,
                    "",
                    "Annie",
                    "Ningiuruvik",
                    "2004-01-09",
                    "Kangiqsujuaq",
                    "",
                    "",
                    "",
                    "0",
                    "fr_CA",
                    "True",
                    "",
                    "",
                ],
            ],
        ),
        _table(
            "avataq.inscription",
            "Inscription",
            "id student_id/id session_id/id school_id/id program_id/id study_load credits "
            "residence state date_submitted date_decision date_withdrawal reason note",
            [
                # Submitted at 23:30 on May 31 in Montreal: 03:30 on June 1 in UTC.
                [
                    "__export__.avataq_inscription_201_0c0ffee1",
                    ELISAPIE,
                    FALL,
                    CMV,
                    "__export__.avataq_program_5_aaaa0001",
                    "full",
                    "30.0",
                    "campus",
                    "ongoing",
                    "2024-06-01 03:30:00",
                    "2024-06-10 15:00:00",
                    "",
                    "",
                    "Première session à Montréal.\nLogement trouvé : résidence du cégep.",
                ],
                [
                    "avataq_sponsorship.inscription_tomassie_fall",
                    TOMASSIE,
                    FALL,
                    JAC,
                    "avataq_sponsorship.program_jac_nursing",
                    "full",
                    "27.5",
                    "off_campus",
                    "done",
                    "2024-05-20 14:00:00",
                    "2024-05-28 13:00:00",
                    "",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_inscription_203_0c0ffee3",
                    ELISAPIE,
                    WINTER,
                    CMV,
                    "__export__.avataq_program_5_aaaa0001",
                    "full",
                    "30.0",
                    "campus",
                    "accepted",
                    "2024-11-01 12:00:00",
                    "2024-11-15 12:00:00",
                    "",
                    "",
                    "",
                ],
                # Withdrawn on September 30 in Montreal (03:15 on October 1 in UTC).
                [
                    "__export__.avataq_inscription_204_0c0ffee4",
                    LUCASSIE,
                    FALL,
                    CMV,
                    "__export__.avataq_program_6_aaaa0002",
                    "partial",
                    "12.0",
                    "home",
                    "abandoned",
                    "2024-05-02 16:00:00",
                    "2024-05-09 16:00:00",
                    "2024-10-01 03:15:00",
                    "Retour dans la communauté",
                    "",
                ],
                [
                    "__export__.avataq_inscription_205_0c0ffee5",
                    NO_STATUS,
                    FALL,
                    CMV,
                    "__export__.avataq_program_5_aaaa0001",
                    "full",
                    "30.0",
                    "campus",
                    "sent",
                    "2024-06-02 12:00:00",
                    "",
                    "",
                    "",
                    "",
                ],
            ],
        ),
        _table(
            "avataq.computing.sheet",
            "Computing Sheet",
            "id inscription_id/id version previous_sheet_id/id state nb_months amount_total "
            "amount_school amount_student amount_recovery date_computed date_validated",
            [
                [
                    SHEET_ELISAPIE,
                    "__export__.avataq_inscription_201_0c0ffee1",
                    "1",
                    "",
                    "validated",
                    "4",
                    "5400.0",
                    "1800.0",
                    "3600.0",
                    "0.0",
                    "2024-07-30 18:00:00",
                    "2024-08-02 04:10:00",
                ],
                [
                    "__export__.avataq_computing_sheet_302_77aa88bc",
                    "avataq_sponsorship.inscription_tomassie_fall",
                    "1",
                    "",
                    "superseded",
                    "4",
                    "3000.0",
                    "1000.0",
                    "2000.0",
                    "0.0",
                    "2024-06-01 12:00:00",
                    "2024-06-02 12:00:00",
                ],
                [
                    "__export__.avataq_computing_sheet_303_77aa88bd",
                    "avataq_sponsorship.inscription_tomassie_fall",
                    "2",
                    "__export__.avataq_computing_sheet_302_77aa88bc",
                    "validated",
                    "4",
                    "3250.5",
                    "1000.0",
                    "2250.5",
                    "0.0",
                    "2024-07-02 12:00:00",
                    "2024-07-03 12:00:00",
                ],
                [
                    "__export__.avataq_computing_sheet_304_77aa88be",
                    "__export__.avataq_inscription_203_0c0ffee3",
                    "1",
                    "",
                    "draft",
                    "4",
                    "1200.0",
                    "0.0",
                    "1200.0",
                    "0.0",
                    "2024-11-16 12:00:00",
                    "",
                ],
            ],
        ),
        _table(
            "avataq.computing.sheet.line",
            "Computing Sheet Line",
            "id sheet_id/id code name quantity price_unit amount payee explanation manual reason",
            [
                [
                    "__export__.avataq_computing_sheet_line_1_1",
                    SHEET_ELISAPIE,
                    "TUITION",
                    "Frais de scolarité",
                    "1.0",
                    "1800.0",
                    "1800.0",
                    "school",
                    "",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_computing_sheet_line_2_2",
                    SHEET_ELISAPIE,
                    "LIVING",
                    "Allocation de subsistance",
                    "4.0",
                    "900.0",
                    "3600.0",
                    "student",
                    "4 mois × 900,00 $",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_computing_sheet_line_3_3",
                    "__export__.avataq_computing_sheet_302_77aa88bc",
                    "TUITION",
                    "Tuition",
                    "1.0",
                    "1000.0",
                    "1000.0",
                    "institution",
                    "",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_computing_sheet_line_4_4",
                    "__export__.avataq_computing_sheet_302_77aa88bc",
                    "LIVING",
                    "Living",
                    "4.0",
                    "500.0",
                    "2000.0",
                    "student",
                    "",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_computing_sheet_line_5_5",
                    "__export__.avataq_computing_sheet_303_77aa88bd",
                    "TUITION",
                    "Tuition",
                    "1.0",
                    "1000.0",
                    "1000.0",
                    "institution",
                    "",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_computing_sheet_line_6_6",
                    "__export__.avataq_computing_sheet_303_77aa88bd",
                    "LIVING",
                    "Living",
                    "4.0",
                    "500.0",
                    "2000.0",
                    "student",
                    "",
                    "",
                    "",
                ],
                [
                    "__export__.avataq_computing_sheet_line_7_7",
                    "__export__.avataq_computing_sheet_303_77aa88bd",
                    "ADJUST",
                    "Books",
                    "1.0",
                    "250.5",
                    "250.5",
                    "student",
                    "",
                    "True",
                    "Manuels de soins infirmiers,\nfacture reçue le 2 juillet.",
                ],
                [
                    "__export__.avataq_computing_sheet_line_8_8",
                    "__export__.avataq_computing_sheet_304_77aa88be",
                    "LIVING",
                    "Allocation",
                    "4.0",
                    "300.0",
                    "1200.0",
                    "student",
                    "",
                    "",
                    "",
                ],
            ],
        ),
        _table(
            "account.journal",
            "Journal",
            "id name type bank_acc_number currency_id/id bank_id",
            [
                [
                    "__export__.account_journal_7_c0ffee00",
                    "Desjardins opérations",
                    "bank",
                    "815-30012-0012345",
                    "base.CAD",
                    "Desjardins",
                ],
                ["account.1_sale", "Customer Invoices", "sale", "", "", ""],
            ],
        ),
        _table(
            "account.bank.statement",
            "Bank Statement",
            "id name journal_id/id balance_start balance_end_real",
            [
                [
                    "__export__.account_bank_statement_3_12ab34cd",
                    "BNK1/2024/09",
                    "__export__.account_journal_7_c0ffee00",
                    "100000.0",
                    "91149.5",
                ]
            ],
        ),
        _table(
            "account.bank.statement.line",
            "Bank Statement Line",
            "id statement_id/id date amount payment_ref ref partner_name unique_import_id",
            [
                [
                    "__export__.account_bank_statement_line_11_aa000011",
                    "__export__.account_bank_statement_3_12ab34cd",
                    "2024-09-03",
                    "-1800.0",
                    "AVQ-2024F-10234-01",
                    "",
                    "Cégep Marie-Victorin",
                    "DSJ-0903-1",
                ],
                [
                    "__export__.account_bank_statement_line_12_aa000012",
                    "__export__.account_bank_statement_3_12ab34cd",
                    "2024-09-16",
                    "-900.0",
                    "AVQ-2024F-10234-02",
                    "",
                    "Élisapie Qumaluk",
                    "DSJ-0916-1",
                ],
                [
                    "__export__.account_bank_statement_line_13_aa000013",
                    "__export__.account_bank_statement_3_12ab34cd",
                    "2024-09-16",
                    "-2250.5",
                    "AVQ-2024F-20456-02",
                    "",
                    "Tomassie Iqaluk",
                    "DSJ-0916-2",
                ],
            ],
        ),
        _table(
            "account.payment",
            "Payments",
            "id computing_sheet_id/id line_code payee period_date ref name amount "
            "payment_type date state is_matched reconciled_statement_line_ids/id",
            [
                [
                    "__export__.account_payment_501_b0000001",
                    SHEET_ELISAPIE,
                    "TUITION",
                    "school",
                    "",
                    "AVQ-2024F-10234-01",
                    "PBNK1/2024/00001",
                    "1800.0",
                    "outbound",
                    "2024-09-01",
                    "posted",
                    "True",
                    "__export__.account_bank_statement_line_11_aa000011",
                ],
                [
                    "__export__.account_payment_502_b0000002",
                    SHEET_ELISAPIE,
                    "LIVING",
                    "student",
                    "2024-09-01",
                    "AVQ-2024F-10234-02",
                    "PBNK1/2024/00002",
                    "900.0",
                    "outbound",
                    "2024-09-15",
                    "posted",
                    "True",
                    "__export__.account_bank_statement_line_12_aa000012",
                ],
                [
                    "__export__.account_payment_503_b0000003",
                    SHEET_ELISAPIE,
                    "LIVING",
                    "student",
                    "2024-10-01",
                    "AVQ-2024F-10234-03",
                    "PBNK1/2024/00003",
                    "900.0",
                    "outbound",
                    "2024-10-15",
                    "posted",
                    "",
                    "",
                ],
                [
                    "__export__.account_payment_504_b0000004",
                    SHEET_ELISAPIE,
                    "LIVING",
                    "student",
                    "2024-11-01",
                    "AVQ-2024F-10234-04",
                    "",
                    "900.0",
                    "outbound",
                    "2024-11-15",
                    "draft",
                    "",
                    "",
                ],
                [
                    "__export__.account_payment_505_b0000005",
                    "__export__.avataq_computing_sheet_303_77aa88bd",
                    "TUITION",
                    "school",
                    "",
                    "AVQ-2024F-20456-01",
                    "PBNK1/2024/00005",
                    "1000.0",
                    "outbound",
                    "2024-09-01",
                    "cancel",
                    "",
                    "",
                ],
                [
                    "__export__.account_payment_506_b0000006",
                    "__export__.avataq_computing_sheet_303_77aa88bd",
                    "LIVING",
                    "student",
                    "",
                    "AVQ-2024F-20456-02",
                    "PBNK1/2024/00006",
                    "2250.5",
                    "outbound",
                    "2024-09-15",
                    "posted",
                    "True",
                    "__export__.account_bank_statement_line_13_aa000013",
                ],
            ],
        ),
        _table(
            "account.move",
            "Journal Entry",
            "id move_type partner_id/id ref name invoice_date amount_total state "
            "payment_state scholar_year_id/id session_id/id",
            [
                [
                    "__export__.account_move_801_cafe0001",
                    "in_invoice",
                    "__export__.res_partner_88_0b1c2d3e",
                    "F-2024-117",
                    "BILL/2024/09/0001",
                    "2024-09-30",
                    "1800.0",
                    "posted",
                    "paid",
                    YEAR,
                    FALL,
                ],
                [
                    "__export__.account_move_802_cafe0002",
                    "out_invoice",
                    "base.main_partner",
                    "",
                    "INV/2024/00001",
                    "2024-09-30",
                    "50.0",
                    "posted",
                    "not_paid",
                    "",
                    "",
                ],
            ],
        ),
        _table(
            "account.move.line",
            "Journal Item",
            "id move_id/id display_type name price_subtotal student_id/id inscription_id/id",
            [
                [
                    "__export__.account_move_line_9001_d0000001",
                    "__export__.account_move_801_cafe0001",
                    "product",
                    "Frais de scolarité — Élisapie Qumaluk",
                    "1800.0",
                    ELISAPIE,
                    "__export__.avataq_inscription_201_0c0ffee1",
                ],
                [
                    "__export__.account_move_line_9002_d0000002",
                    "__export__.account_move_801_cafe0001",
                    "payment_term",
                    "",
                    "-1800.0",
                    "",
                    "",
                ],
            ],
        ),
        _table(
            "res.users",
            "Users",
            "id login email lang active share",
            [
                ["base.user_admin", "admin", "admin@avataq.example.org", "en_US", "True", ""],
                [
                    "__export__.res_users_7_aa11bb22",
                    "elisapie.qumaluk@example.org",
                    "Elisapie.Qumaluk@example.org",
                    "fr_CA",
                    "True",
                    "True",
                ],
                [
                    "avataq_sponsorship.user_tomassie",
                    "tomassie@example.org",
                    "tomassie@example.org",
                    "en_US",
                    "True",
                    "True",
                ],
            ],
        ),
    ]
    return {t.odoo_model: t for t in tables}


def write_exports(folder: Path, tables: dict[str, Table] | None = None) -> Path:
    """Each table as Odoo's CSV export writes it (UTF-8, every cell quoted)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in (tables or odoo_exports()).values():
        with (folder / table.filename).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
            writer.writerow(table.header)
            writer.writerows([_guarded(cell) for cell in row] for row in table.rows)
    return folder


def _guarded(cell: str) -> str:
    """Odoo's guard against spreadsheet formulas, on texts only (a number is written as
    it is: ``-1800.0``)."""
    try:
        float(cell)
    except ValueError:
        return "'" + cell if cell.startswith(("=", "-", "+")) else cell
    return cell


def import_odoo(*args: str) -> tuple[int, str]:
    """``manage.py import_odoo ARGS``: its exit status and what it printed (stdout, then
    the error line)."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    try:
        call_command("import_odoo", *args, stdout=out, stderr=out)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}\n{exc}"
    return 0, out.getvalue()
