"""Running the registered importers: checked first (the mapping, every file and column),
then in dependency order, each in its own transaction; then, or alone, the verification.

An interrupted run is resumed by running it again: what a finished importer committed is
found unchanged through the legacy-id table (digests), the importer that was cut off had
its transaction rolled back and does its work again."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from avataq.models import LegacyRecord
from avataq.odoo import registry
from avataq.odoo.importer import Difference, Importer, Job
from avataq.odoo.mapping import Mapping, MappingError
from avataq.odoo.report import MEASURES, RunReport, money_table, money_text, new_money
from avataq.odoo.sources import Source, SourceError
from avataq.odoo.sql import analyze


@dataclass
class VerifyReport:
    report: RunReport
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        out = [_("Verification against %(source)s") % {"source": self.report.source}, ""]
        rows = [("model", "Odoo model", "in source", "here")]
        for m in self.report.models:
            if m.not_in_source:
                rows.append((m.label, m.odoo_model, _("not in source"), ""))
                continue
            source_rows = m.read - m.skipped
            rows.append((m.label, m.odoo_model, str(source_rows), str(m.here or 0)))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            out.append(
                "  "
                + "  ".join(
                    c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)
                )
            )
        if self.differences:
            out += ["", _("Differences (%(count)d):") % {"count": len(self.differences)}]
            out += [f"  {d}" for d in self.differences]
        else:
            out += ["", _("No difference: every row, count and sum matches the source.")]
        return out


def preflight(importers: list[Importer], job: Job) -> None:
    """Everything that can be known before reading a row: the mapping of every importer,
    each model's file (or API model) and its columns. Raises :class:`MappingError` or
    :class:`SourceError` listing every problem."""
    mapping_problems: list[str] = []
    for importer in importers:
        try:
            job.map(importer)
        except MappingError as exc:
            mapping_problems += exc.problems
    if mapping_problems:
        raise MappingError(mapping_problems)
    source_problems: list[str] = []
    for importer in importers:
        if not importer.reads_source:
            continue
        mapped = job.map(importer)
        if not job.source.has(mapped.odoo_model):
            if not importer.optional:
                source_problems.append(
                    f"{job.source.describe(mapped.odoo_model)}: no export of "
                    f"{mapped.odoo_model} (needed for {importer.label})"
                )
            continue
        read = importer.columns(mapped)
        required = [c for n, c in mapped.columns.items() if mapped.specs[n].required and c in read]
        missing = job.source.missing_columns(mapped.odoo_model, required)
        if missing:
            source_problems.append(
                f"{job.source.describe(mapped.odoo_model)}: no column(s) {', '.join(missing)} "
                f"(the mapping's [{importer.key}.fields]): add them to the export or change "
                "the mapping"
            )
        for odoo_model, columns in importer.other_columns(job, mapped).items():
            if not job.source.has(odoo_model):
                continue  # that model's own importer says so
            missing = job.source.missing_columns(odoo_model, columns)
            if missing:
                source_problems.append(
                    f"{job.source.describe(odoo_model)}: no column(s) {', '.join(missing)} "
                    f"(read for [{importer.key}.fields]): add them to the export or change "
                    "the mapping"
                )
        optional_missing = set(
            job.source.missing_columns(
                mapped.odoo_model,
                [c for n, c in mapped.columns.items() if not mapped.specs[n].required],
            )
        )
        # An optional field the export lacks is read as empty.
        mapped.columns = {
            n: c for n, c in mapped.columns.items() if c.header not in optional_missing
        }
    if source_problems:
        raise SourceError(*source_problems)


def _job(source: Source, mapping: Mapping, **mode: bool) -> Job:
    job = Job(source=source, mapping=mapping, **mode)
    job.report.source = getattr(source, "folder", None) or getattr(source, "base", "")
    job.report.source = str(job.report.source)
    return job


def run_import(
    *, source: Source, mapping: Mapping, dry_run: bool = False, only: list[str] | None = None
) -> RunReport:
    """Import (or, with ``dry_run``, only read and check) every registered model, or
    those in ``only``."""
    importers = registry.ordered(only)
    job = _job(source, mapping, dry_run=dry_run)
    preflight(importers, job)
    for importer in importers:
        if dry_run:
            importer.run(job)
            continue
        with transaction.atomic():
            importer.run(job)
        # Before the next model looks these rows up (and the verification after).
        analyze(LegacyRecord, *_tables(importer))
    return job.report


def _tables(importer: Importer) -> tuple[type, ...]:
    if not importer.reads_source:
        return ()
    return (importer.model, *importer.also_imports)


def verify(*, source: Source, mapping: Mapping, only: list[str] | None = None) -> VerifyReport:
    """Compare what we hold with the source: each row (present, and its verified fields),
    the counts per model, and the money per session and school."""
    importers = registry.ordered(only)
    job = _job(source, mapping, verifying=True)
    preflight(importers, job)
    analyze(LegacyRecord, *(t for i in importers for t in _tables(i)))
    here = new_money()
    for importer in importers:
        importer.run(job)
        for scope, amounts in importer.money_here().items():
            for measure, amount in amounts.items():
                here[scope][measure] += amount
    source_money = job.report.money
    for scope in sorted(set(source_money) | set(here)):
        for measure in MEASURES:
            stated, held = source_money[scope][measure], here[scope][measure]
            if stated != held:
                job.differ(
                    "money",
                    f"{scope[0]} {scope[1]}",
                    f"{measure}: the source says {money_text(stated)}, here {money_text(held)}",
                )
    return VerifyReport(report=job.report, differences=job.differences)


__all__ = ["VerifyReport", "money_table", "preflight", "run_import", "verify"]
