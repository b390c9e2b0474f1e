"""What an import (or a dry run, or a verification) found, and how it is printed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from avataq.money import ZERO

# The money measures, per session and school: validated sheets' totals, payments
# scheduled (not cancelled), and what of them is reconciled with the bank.
MEASURES = ("sheets", "payments", "reconciled")
NO_SCOPE = "—"


def money_text(value: Decimal) -> str:
    return f"{value:,.2f}"


@dataclass
class ModelReport:
    key: str
    label: str
    odoo_model: str
    read_from: str = ""
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_in_source: bool = False
    here: int | None = None  # verification: our rows imported from this model

    def refuse(self, where: str, reason: str) -> None:
        self.refused.append((where, reason))


Money = dict[tuple[str, str], dict[str, Decimal]]


def new_money() -> Money:
    return defaultdict(lambda: dict.fromkeys(MEASURES, ZERO))


@dataclass
class RunReport:
    dry_run: bool
    source: str = ""
    models: list[ModelReport] = field(default_factory=list)
    money: Money = field(default_factory=new_money)

    def add_money(self, session: str, school: str, measure: str, amount: Decimal) -> None:
        self.money[(session or NO_SCOPE, school or NO_SCOPE)][measure] += amount

    @property
    def refusals(self) -> int:
        return sum(len(m.refused) for m in self.models)

    def lines(self) -> list[str]:
        if self.dry_run:
            title = _("Odoo import from %(source)s (dry run: nothing written)")
        else:
            title = _("Odoo import from %(source)s (imported)")
        out = [title % {"source": self.source}, ""]
        created, updated = ("create", "update") if self.dry_run else ("created", "updated")
        header = (
            "model",
            "Odoo model",
            "read",
            created,
            updated,
            "unchanged",
            "skipped",
            "refused",
        )
        rows = [header]
        for m in self.models:
            if m.not_in_source:
                rows.append((m.label, m.odoo_model, _("not in source"), "", "", "", "", ""))
                continue
            rows.append(
                (
                    m.label,
                    m.odoo_model,
                    str(m.read),
                    str(m.created),
                    str(m.updated),
                    str(m.unchanged),
                    str(m.skipped),
                    str(len(m.refused)),
                )
            )
        out += _table(rows, right_from=2)
        notes = [f"{m.label}: {note}" for m in self.models for note in m.notes]
        if notes:
            out += ["", _("Notes:"), *(f"  {n}" for n in notes)]
        refused = [(m, where, reason) for m in self.models for where, reason in m.refused]
        if refused:
            out += ["", _("Refused (%(count)d):") % {"count": len(refused)}]
            out += [f"  {where}: {reason}" for _, where, reason in refused]
        out += ["", _("Money as the source states it, per session and school:")]
        out += money_table(self.money)
        return out


def money_table(money: Money) -> list[str]:
    if not money:
        return ["  " + _("(none)")]
    rows = [("session", "school", *MEASURES)]
    totals = dict.fromkeys(MEASURES, ZERO)
    for (session, school), amounts in sorted(money.items()):
        rows.append((session, school, *(money_text(amounts[m]) for m in MEASURES)))
        for m in MEASURES:
            totals[m] += amounts[m]
    rows.append(("total", "", *(money_text(totals[m]) for m in MEASURES)))
    return _table(rows, right_from=2)


def _table(rows: list[tuple[str, ...]], right_from: int) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i >= right_from else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines
