"""The cut-over from Odoo: computing sheets with their lines, payments, school invoices,
bank accounts, statements and their lines, and the matches between bank lines and
payments — all as history: a validated sheet stays validated with its lines as Odoo
computed them (nothing is recomputed), a payment keeps its status and dates, a
reconciled bank line keeps its matches.

How each is written:

- **sheets and their lines** are one unit (one transaction): the lines are read first
  into a temporary table; each batch of sheets is inserted as drafts (at most one draft
  per enrollment at a time, as the database wants), its lines inserted from that table,
  then the sheets are given their own status in one UPDATE — exactly what
  ``billing.bulk`` does, since the database freezes a sheet once validated. A sheet
  that is a draft in Odoo is written last, so no other revision of its enrollment needs
  to pass through draft after it;
- **payments** (``account.payment``, up to hundreds of thousands): ``COPY`` with ids
  taken from the table's sequence, and their history rows, the same rows
  ``sheet_validate`` and ``payment_mark`` would have left;
- everything else with the ORM in batches.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from avataq.models import LegacyRecord
from avataq.money import ZERO
from avataq.odoo import (
    MANY2MANY,
    MANY2ONE,
    Column,
    FieldSpec,
    Importer,
    Job,
    ModelMap,
    ModelSpec,
    Pending,
    Ref,
    Refused,
    Row,
    Skipped,
    legacy,
    register,
)
from avataq.odoo import values as v
from avataq.odoo.importer import batched, digest_of
from avataq.odoo.report import ModelReport, new_money
from avataq.odoo.sql import allocate_ids, copy_history, copy_rows
from billing.models import (
    BankAccount,
    BankStatement,
    ComputingSheet,
    ComputingSheetLine,
    Match,
    ScheduledPayment,
    SchoolInvoice,
    SchoolInvoiceLine,
    StatementLine,
)
from enrollment.models import Enrollment
from scholarships.models import ScholarYear, School, Session

Sheet = ComputingSheet.Status
Payment = ScheduledPayment.Status
MATCH_LINK = "account.payment:reconciled_statement_line_ids"


def _link_key(ref: Ref) -> str:
    """How a line names its sheet and the sheet is known, whatever the source: by
    database id when there is one (the API; an export's own ids), else external id."""
    return f"#{ref.odoo_id}" if ref.odoo_id is not None else ref.xid


class Scopes:
    """Session code and school code of an enrollment, for the money per session and
    school (what the dry run prints and the verification compares): the sessions and
    schools of the run, the enrollments of the batch (:meth:`load`)."""

    def __init__(self, job: Job) -> None:
        # What the run holds, rows a dry run would create included.
        sessions = job.attrs(Session, ("start_date", "term"))
        self.sessions = {
            pk: f"{start.year}{term[0].upper()}" for pk, (start, term) in sessions.items()
        }
        self.schools = {pk: code for pk, (code,) in job.attrs(School, ("code",)).items()}
        self.enrollments: dict[int, tuple] = {}

    def load(self, job: Job, enrollment_ids: Any) -> None:
        self.enrollments = job.attrs_of(Enrollment, ("session_id", "school_id"), enrollment_ids)

    def of(self, enrollment_id: int) -> tuple[str, str]:
        session_id, school_id = self.enrollments.get(enrollment_id, (None, None))
        return self.sessions.get(session_id, ""), self.schools.get(school_id, "")


def money_by_scope(queryset: Any, sums: dict[str, str]) -> dict:
    """Money here per session and school: ``sums`` (measure → field) of ``queryset``
    (rows with an ``enrollment``), added up by the database per session and school."""
    sessions = {
        pk: f"{start.year}{term[0].upper()}"
        for pk, start, term in Session.objects.values_list("pk", "start_date", "term")
    }
    schools = dict(School.objects.values_list("pk", "code"))
    money = new_money()
    scope = ("enrollment__session_id", "enrollment__school_id")
    totals = {measure: Sum(name) for measure, name in sums.items()}
    for row in queryset.values(*scope).annotate(**totals).values_list(*scope, *totals):
        session, school = sessions.get(row[0]), schools.get(row[1])
        for measure, amount in zip(totals, row[2:], strict=True):
            money[(session or "—", school or "—")][measure] += amount
    return money


def _imported(model: type, odoo_model: str) -> Any:
    return LegacyRecord.objects.filter(odoo_model=odoo_model).values("object_id")


# --- computing sheets and their lines -------------------------------------------------------
LINE_SPEC = ModelSpec(
    key="sheet_line",
    fields=(
        FieldSpec("sheet", MANY2ONE),
        FieldSpec("code"),
        FieldSpec("label"),
        FieldSpec("quantity", required=False),
        FieldSpec("unit_amount", required=False),
        FieldSpec("amount"),
        FieldSpec("payee", choices=tuple(ComputingSheetLine.Payee.values)),
        FieldSpec("rule", required=False),
        FieldSpec("is_manual", required=False),
        FieldSpec("reason", required=False),
    ),
)
STAGE = "odoo_sheet_line_stage"


class SheetImporter(Importer):
    key = "sheet"
    label = "billing.ComputingSheet"
    model = ComputingSheet
    also_imports = (ComputingSheetLine,)
    depends = ("enrollment",)
    refers = {"enrollment": "enrollment", "previous": "sheet"}
    verify_fields = (
        "enrollment_id",
        "revision",
        "status",
        "total",
        "school_total",
        "student_total",
    )
    spec = ModelSpec(
        key="sheet",
        fields=(
            FieldSpec("enrollment", MANY2ONE),
            FieldSpec("revision", required=False),
            FieldSpec("previous", MANY2ONE, required=False),
            FieldSpec("status", choices=tuple(Sheet.values)),
            FieldSpec("months", required=False),
            FieldSpec("total"),
            FieldSpec("school_total"),
            FieldSpec("student_total"),
            FieldSpec("recovery", required=False),
            FieldSpec("computed_at", required=False),
            FieldSpec("validated_at", required=False),
        ),
    )

    # --- lines, staged first ------------------------------------------------------------------
    def prepare(self, job: Job, mapped: ModelMap) -> None:
        self.lines_map = job.mapping.resolve(LINE_SPEC)
        self.lines_report = ModelReport(
            key="sheet_line",
            label="billing.ComputingSheetLine",
            odoo_model=self.lines_map.odoo_model,
            read_from=job.source.describe(self.lines_map.odoo_model),
        )
        job.report.models.append(self.lines_report)
        self.scopes = Scopes(job)
        self.written = legacy.Index(mapped.odoo_model)
        self.deferred: list[Pending] = []
        # What enrollments hold that the database does not show yet: the drafts held
        # back until ``finish``, and everything a dry run would write.
        self.unwritten: dict[int, dict[str, Any]] = defaultdict(lambda: {"revisions": {}})
        self.line_digests: dict[str, str] = {}
        self.has_line_source = job.source.has(self.lines_map.odoo_model)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} (sheet_key text, odoo_id bigint, xid text, "
                "source text, digest text, code text, label text, quantity numeric, "
                "unit_amount numeric, amount numeric, payee text, rule text, is_manual bool, "
                "reason text, pk bigint)"
            )
        if not self.has_line_source:
            self.lines_report.not_in_source = True
            return
        columns = list(self.lines_map.columns.values())
        for batch in batched(job.rows(self.lines_map.odoo_model, columns), 5000):
            staged = []
            for row in batch:
                self.lines_report.read += 1
                try:
                    staged.append(self._line(row, self.lines_map))
                except Refused as exc:
                    self.lines_report.refuse(row.where, str(exc))
            copy_rows_raw(STAGE, staged)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX ON {STAGE} (sheet_key)")
            cursor.execute(f"ANALYZE {STAGE}")

    def load(self, rows: list[Row], mapped: ModelMap, job: Job) -> None:
        super().load(rows, mapped, job)
        self.written = legacy.Index(mapped.odoo_model)
        # The digest of each sheet's staged lines, for this batch's sheets.
        self.line_digests = {}
        if self.has_line_source:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT sheet_key, md5(string_agg(digest, ',' ORDER BY digest)) "  # noqa: S608
                    f"FROM {STAGE} WHERE sheet_key = ANY(%s) GROUP BY sheet_key",
                    [[_link_key(row.ref) for row in rows]],
                )
                self.line_digests = dict(cursor.fetchall())
        enrollments = (job.lookup("enrollment", ref) for ref in _refs(rows, mapped, "enrollment"))
        self.scopes.load(job, {pk for pk in enrollments if pk is not None})

    def _line(self, row: Row, mapped: ModelMap) -> tuple:
        sheet = mapped.one(row, "sheet")
        if sheet is None:
            raise Refused("the line names no computing sheet")
        if not row.ref.xid and row.ref.odoo_id is None:
            raise Refused("no external id (the id column is empty)")
        amount = v.amount(mapped.cell(row, "amount"), mapped.what("amount"))
        unit = (
            v.amount(mapped.cell(row, "unit_amount"), mapped.what("unit_amount"))
            if mapped.has("unit_amount")
            else amount
        )
        quantity = (
            v.number(mapped.cell(row, "quantity"), mapped.what("quantity"))
            if mapped.has("quantity") and v.text(mapped.cell(row, "quantity"))
            else Decimal(1)
        )
        manual = v.boolean(mapped.cell(row, "is_manual"), mapped.what("is_manual"))
        reason = v.text(mapped.cell(row, "reason"))
        if manual and not reason:
            reason = "Manual adjustment made in Odoo (no reason recorded there)."
        values = (
            v.required_text(mapped.cell(row, "code"), mapped.what("code"))[:20],
            v.text(mapped.cell(row, "label"))[:120] or "—",
            quantity,
            unit,
            amount,
            v.choice(
                mapped.cell(row, "payee"),
                mapped.what("payee"),
                mapped.values.get("payee", {}),
                v.keys_of(ComputingSheetLine.Payee),
            ),
            v.text(mapped.cell(row, "rule")),
            manual,
            reason,
        )
        digest = digest_of({"line": values})
        return (_link_key(sheet), row.ref.odoo_id, row.ref.xid, row.where, digest, *values, None)

    # --- sheets -------------------------------------------------------------------------------
    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        enrollment = job.ref("enrollment", mapped.one(row, "enrollment"), mapped.what("enrollment"))
        status = v.choice(
            mapped.cell(row, "status"),
            mapped.what("status"),
            mapped.values.get("status", {}),
            v.keys_of(Sheet),
        )
        total = v.amount(mapped.cell(row, "total"), mapped.what("total"))
        school = v.amount(mapped.cell(row, "school_total"), mapped.what("school_total"))
        student = v.amount(mapped.cell(row, "student_total"), mapped.what("student_total"))
        if total != school + student:
            raise Refused(
                f"its total {total} is not the school's {school} plus the student's {student}"
            )
        revision = v.integer(mapped.cell(row, "revision"), mapped.what("revision")) or 1
        if not 0 < revision < 32768:
            raise Refused(f"revision {revision} is not between 1 and 32767")
        previous_ref = mapped.one(row, "previous")
        validated_at = v.moment(
            mapped.cell(row, "validated_at"), mapped.what("validated_at"), job.zone
        )
        return {
            "enrollment_id": enrollment,
            "revision": revision,
            "status": status,
            "months": v.integer(mapped.cell(row, "months"), mapped.what("months")),
            "total": total,
            "school_total": school,
            "student_total": student,
            "recovery": v.amount(mapped.cell(row, "recovery"), mapped.what("recovery")),
            "computed_at": v.moment(
                mapped.cell(row, "computed_at"), mapped.what("computed_at"), job.zone
            ),
            "validated_at": validated_at if status != Sheet.DRAFT else None,
            # Not columns: the digest of its lines, so changed lines change the sheet; the
            # revision it replaced, by its Odoo id (resolved when written: it may be in
            # the same batch).
            "_lines": self.line_digests.get(_link_key(row.ref), ""),
            "_previous": _link_key(previous_ref) if previous_ref else "",
        }

    def check(self, items: list[Pending], job: Job, report: ModelReport) -> list[Pending]:
        # What each enrollment of the batch holds already (a run before this one, or the
        # batches before), and what is not written yet.
        enrollments = list({i.values["enrollment_id"] for i in items})
        held_by: dict[int, dict[str, Any]] = defaultdict(lambda: {"revisions": {}})
        for pk, enrollment, revision, status in ComputingSheet.objects.filter(
            enrollment_id__any_of=enrollments
        ).values_list("pk", "enrollment_id", "revision", "status"):
            held = held_by[enrollment]
            held["revisions"][revision] = pk
            if status in (Sheet.DRAFT, Sheet.VALIDATED):
                held[status] = pk
        for enrollment in enrollments:
            unwritten = self.unwritten.get(enrollment)
            if unwritten is not None:
                held = held_by[enrollment]
                held["revisions"].update(unwritten["revisions"])
                held.update({k: val for k, val in unwritten.items() if k != "revisions"})
        kept = []
        for item in sorted(items, key=lambda i: (i.values["enrollment_id"], i.values["revision"])):
            values, held = item.values, held_by[item.values["enrollment_id"]]
            # A dry run writes nothing, a new draft waits for ``finish``: the batches
            # after this one would not find them in the database.
            unwritten = (
                self.unwritten[values["enrollment_id"]]
                if not job.writes or (item.object_id is None and values["status"] == Sheet.DRAFT)
                else None
            )
            me = item.object_id or ("new", item.row.where)
            other = held["revisions"].get(values["revision"])
            if other is not None and other != me:
                report.refuse(
                    item.row.where,
                    f"its enrollment has another sheet of revision {values['revision']}",
                )
                continue
            if values["status"] in (Sheet.DRAFT, Sheet.VALIDATED):
                other = held.get(values["status"])
                if other is not None and other != me:
                    report.refuse(
                        item.row.where, f"its enrollment has another {values['status']} sheet"
                    )
                    continue
                held[values["status"]] = me
                if unwritten is not None:
                    unwritten[values["status"]] = me
            held["revisions"][values["revision"]] = me
            if unwritten is not None:
                unwritten["revisions"][values["revision"]] = me
            kept.append(item)
        return kept

    def account(self, row_values: dict[str, Any], job: Job) -> None:
        if row_values["status"] == Sheet.VALIDATED:
            session, school = self.scopes.of(row_values["enrollment_id"])
            job.money(session, school, "sheets", row_values["total"])

    def money_here(self) -> dict:
        imported = ComputingSheet.objects.filter(
            pk__in=_imported(ComputingSheet, "avataq.computing.sheet"), status=Sheet.VALIDATED
        )
        return money_by_scope(imported, {"sheets": "total"})

    def _columns(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: val for k, val in values.items() if not k.startswith("_")}

    def insert(self, items: list[Pending], job: Job) -> None:
        now = timezone.now()
        drafts = [i for i in items if i.values["status"] == Sheet.DRAFT]
        self.deferred += drafts
        others = [i for i in items if i.values["status"] != Sheet.DRAFT]
        # Rounds: at most one sheet per enrollment passes through draft at a time.
        while others:
            round_, later, taken = [], [], set()
            for item in sorted(others, key=lambda i: i.values["revision"]):
                enrollment = item.values["enrollment_id"]
                (later if enrollment in taken else round_).append(item)
                taken.add(enrollment)
            self._write_round(round_, now, job)
            others = later

    def _write_round(self, items: list[Pending], now: Any, job: Job) -> None:
        if not items:
            return
        ids = allocate_ids(ComputingSheet, len(items))
        for item, pk in zip(items, ids, strict=True):
            item.object_id = pk
            self.written.add(item.row.ref, pk)  # a later revision names it as its previous
        job.resolve(
            self.key, (_ref_of(i.values["_previous"]) for i in items if i.values["_previous"])
        )
        copy_rows(
            ComputingSheet,
            (
                {
                    **self._columns(i.values),
                    "id": i.object_id,
                    "status": Sheet.DRAFT,
                    "previous_id": None,
                    "validated_at": None,
                    "created_at": now,
                }
                for i in items
            ),
        )
        self._lines_for(items)
        final = [i for i in items if i.values["status"] != Sheet.DRAFT]
        if final:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE billing_computingsheet AS t SET status = v.status, "
                    "validated_at = v.validated_at, previous_id = v.previous "
                    "FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::bigint[]) "
                    "AS v(id, status, validated_at, previous) WHERE t.id = v.id",
                    [
                        [i.object_id for i in final],
                        [i.values["status"] for i in final],
                        [i.values["validated_at"] for i in final],
                        [self._previous(i, job) for i in final],
                    ],
                )
        copy_history(
            ComputingSheet,
            (
                {
                    **self._columns(i.values),
                    "id": i.object_id,
                    "previous_id": self._previous(i, job),
                    "created_at": now,
                }
                for i in items
            ),
        )

    def _previous(self, item: Pending, job: Job) -> int | None:
        """The sheet this one replaced: written in this batch, or imported before."""
        key = item.values.get("_previous")
        if not key:
            return None
        ref = _ref_of(key)
        previous = self.written.get(ref)
        if previous is None:
            previous = job.lookup(self.key, ref)
        return previous if previous is not None and previous > 0 else None

    def _lines_for(self, items: list[Pending]) -> None:
        """The staged lines of these (draft) sheets: inserted, with their legacy records."""
        keys = [_link_key(i.row.ref) for i in items]
        ids = [i.object_id for i in items]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {STAGE} SET pk = nextval(pg_get_serial_sequence("  # noqa: S608
                "'billing_computingsheetline', 'id')) WHERE sheet_key = ANY(%s)",
                [keys],
            )
            cursor.execute(
                "INSERT INTO billing_computingsheetline (id, sheet_id, code, label, quantity, "  # noqa: S608
                "unit_amount, amount, payee, rule, rule_template, rule_params, is_manual, "
                "reason, created_by_id) SELECT s.pk, k.sheet_id, s.code, s.label, s.quantity, "
                "s.unit_amount, s.amount, s.payee, s.rule, '', '{}'::jsonb, s.is_manual, "
                f"s.reason, NULL FROM {STAGE} s JOIN unnest(%s::text[], %s::bigint[]) "
                "AS k(sheet_key, sheet_id) ON s.sheet_key = k.sheet_key",
                [keys, ids],
            )
            self.lines_report.created += cursor.rowcount
            cursor.execute(
                "INSERT INTO avataq_legacyrecord (odoo_model, odoo_id, external_id, "  # noqa: S608
                "content_type_id, object_id, digest, source, imported_at, updated_at) "
                f"SELECT %s, s.odoo_id, s.xid, %s, s.pk, s.digest, s.source, %s, %s FROM {STAGE} s "
                "WHERE s.sheet_key = ANY(%s)",
                [
                    self.lines_map.odoo_model,
                    _content_type(ComputingSheetLine),
                    timezone.now(),
                    timezone.now(),
                    keys,
                ],
            )

    def update(self, items: list[Pending], job: Job) -> None:
        """A sheet changed in Odoo since it was imported: a draft here is rewritten (its
        lines too) and may take its new status; a sheet no longer a draft here only
        follows Odoo from validated to superseded or cancelled — anything else is frozen
        here, and refused."""
        here = dict(
            ComputingSheet.objects.filter(pk__in=[i.object_id for i in items]).values_list(
                "pk", "status"
            )
        )
        for item in items:
            status = here[item.object_id]
            values = self._columns(item.values)
            if status == Sheet.DRAFT:
                line_ids = list(
                    ComputingSheetLine.objects.filter(sheet=item.object_id).values_list(
                        "pk", flat=True
                    )
                )
                LegacyRecord.objects.filter(
                    content_type_id=_content_type(ComputingSheetLine), object_id__in=line_ids
                ).delete()
                ComputingSheetLine.objects.filter(pk__in=line_ids).delete()
                ComputingSheet.objects.filter(pk=item.object_id).update(
                    **{**values, "status": Sheet.DRAFT, "previous_id": None, "validated_at": None}
                )
                self._lines_for([item])
                ComputingSheet.objects.filter(pk=item.object_id).update(
                    status=values["status"],
                    validated_at=values["validated_at"],
                    previous_id=self._previous(item, job),
                )
                continue
            frozen = ComputingSheet.objects.filter(
                pk=item.object_id, status=Sheet.VALIDATED, total=values["total"]
            )
            if values["status"] in (Sheet.SUPERSEDED, Sheet.CANCELLED) and frozen.exists():
                frozen.update(status=values["status"])
                continue
            item.object_id = None  # not written: keeps its legacy record as it was
            self.refused_updates.append(
                (
                    item.row.where,
                    f"the sheet is {status} here and cannot change; compute a "
                    "new revision in Avataq",
                )
            )

    refused_updates: list[tuple[str, str]]

    def run(self, job: Job) -> ModelReport:
        self.refused_updates = []
        report = super().run(job)
        for where, reason in self.refused_updates:
            report.refuse(where, reason)
            report.updated -= 1
        return report

    def finish(self, job: Job, mapped: ModelMap, report: ModelReport) -> None:
        if job.writes and self.deferred:
            # Drafts last: no other revision of their enrollment passes through draft
            # after them.
            now = timezone.now()
            for batch in [self.deferred[i : i + 2000] for i in range(0, len(self.deferred), 2000)]:
                job.new_batch()
                self.written = legacy.Index(mapped.odoo_model)
                self._write_round(batch, now, job)
                legacy.save(
                    mapped.odoo_model,
                    ComputingSheet,
                    [
                        legacy.Record(i.row.ref, i.object_id, i.digest, i.row.where, i.hit)
                        for i in batch
                    ],
                )
            self.deferred = []
            job.forget(ComputingSheet)
        # Lines no sheet took in this run: their sheet was imported before (unchanged),
        # was refused, or is not in the source. Read a chunk at a time (a server-side
        # cursor), their sheets looked up per chunk: a verification reads every line.
        source_lines = 0
        with (
            transaction.atomic(),
            connection.connection.cursor(name="odoo_untaken_lines") as lines,
        ):
            lines.execute(f"SELECT source, sheet_key FROM {STAGE} WHERE pk IS NULL")  # noqa: S608
            while chunk := lines.fetchmany(5000):
                job.new_batch()
                job.resolve(self.key, {_ref_of(key) for _, key in chunk})
                for where, sheet_key in chunk:
                    sheet = job.lookup(self.key, _ref_of(sheet_key))
                    if sheet is None:
                        self.lines_report.refuse(where, f"its sheet {sheet_key} is not imported")
                        if job.verifying:
                            job.differ(
                                self.lines_report.label,
                                where,
                                f"not imported: its sheet {sheet_key} is not",
                            )
                        continue
                    source_lines += 1
                    if sheet < 0:  # a dry run's sheet to create: its lines with it
                        self.lines_report.created += 1
                    else:
                        self.lines_report.unchanged += 1
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        if job.verifying:
            here = ComputingSheetLine.objects.filter(
                pk__in=_imported(ComputingSheetLine, self.lines_map.odoo_model)
            ).count()
            self.lines_report.here = here
            if here != source_lines:
                job.differ(
                    self.lines_report.label,
                    "",
                    f"the source has {source_lines} lines of imported sheets, here {here}",
                )


def _refs(rows: list[Row], mapped: ModelMap, name: str) -> list[Ref]:
    """The references of ``rows`` in our field ``name`` (the empty ones left out)."""
    return [ref for row in rows if (ref := mapped.one(row, name)) is not None]


def _ref_of(key: str) -> Ref:
    return Ref(odoo_id=int(key[1:])) if key.startswith("#") else Ref.from_xid(key)


def _content_type(model: type) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model, for_concrete_model=False).pk


def copy_rows_raw(table: str, rows: list[tuple]) -> None:
    if not rows:
        return
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {table} FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


# --- bank accounts, statements, lines ------------------------------------------------------
class BankAccountImporter(Importer):
    key = "bank_account"
    label = "billing.BankAccount"
    model = BankAccount
    optional = True
    natural_key = ("account_number", "currency")
    spec = ModelSpec(
        key="bank_account",
        odoo_model="account.journal",
        fields=(
            FieldSpec("name", default="name"),
            FieldSpec("type", default="type"),
            FieldSpec("account_number", default="bank_acc_number"),
            FieldSpec("currency", MANY2ONE, default="currency_id", required=False),
            FieldSpec("institution", default="bank_id", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        if v.text(mapped.cell(row, "type")) != "bank":
            raise Skipped
        digits = re.sub(r"[^0-9]", "", mapped.cell(row, "account_number"))
        if len(digits) < 3:
            raise Refused(
                f"the bank journal's account number {mapped.cell(row, 'account_number')!r}"
                " has fewer than 3 digits"
            )
        currency = mapped.one(row, "currency")
        code = (currency.name or currency.xid.rpartition(".")[2]) if currency else ""
        return {
            "name": v.required_text(mapped.cell(row, "name"), mapped.what("name"))[:100],
            "institution": v.text(mapped.cell(row, "institution"))[:100] or "—",
            "account_number": digits[-12:],
            "currency": (code or "CAD").upper()[:3],
        }


class StatementImporter(Importer):
    key = "statement"
    label = "billing.BankStatement"
    model = BankStatement
    depends = ("bank_account",)
    refers = {"journal": "bank_account"}
    optional = True
    spec = ModelSpec(
        key="statement",
        odoo_model="account.bank.statement",
        fields=(
            FieldSpec("name", default="name"),
            FieldSpec("journal", MANY2ONE, default="journal_id"),
            FieldSpec("opening_balance", default="balance_start", required=False),
            FieldSpec("closing_balance", default="balance_end_real", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        account = job.ref("bank_account", mapped.one(row, "journal"), mapped.what("journal"))
        return {
            "account_id": account,
            "source_format": "odoo",
            "filename": (v.text(mapped.cell(row, "name")) or str(row.ref))[:255],
            "sha256": "",
            "opening_balance": v.amount(mapped.cell(row, "opening_balance"), "opening balance")
            if v.text(mapped.cell(row, "opening_balance"))
            else None,
            "closing_balance": v.amount(mapped.cell(row, "closing_balance"), "closing balance")
            if v.text(mapped.cell(row, "closing_balance"))
            else None,
        }


class StatementLineImporter(Importer):
    key = "statement_line"
    label = "billing.StatementLine"
    model = StatementLine
    depends = ("statement",)
    refers = {"statement": "statement"}
    optional = True
    verify_fields = ("amount", "booked_on")
    spec = ModelSpec(
        key="statement_line",
        odoo_model="account.bank.statement.line",
        fields=(
            FieldSpec("statement", MANY2ONE, default="statement_id"),
            FieldSpec("booked_on", default="date"),
            FieldSpec("amount", default="amount"),
            FieldSpec("description", default="payment_ref", required=False),
            FieldSpec("reference", default="ref", required=False),
            FieldSpec("counterparty", default="partner_name", required=False),
            FieldSpec("bank_id", default="unique_import_id", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        statement = job.ref("statement", mapped.one(row, "statement"), mapped.what("statement"))
        (account,) = job.attrs(BankStatement, ("account_id",))[statement]
        amount = v.amount(mapped.cell(row, "amount"), mapped.what("amount"))
        if amount == ZERO:
            raise Refused("a bank line of 0.00")
        key = legacy.ref_key(row.ref)
        return {
            "account_id": account,
            "statement_id": statement,
            "booked_on": v.required_day(
                mapped.cell(row, "booked_on"), mapped.what("booked_on"), job.zone
            ),
            "amount": amount,
            "description": v.text(mapped.cell(row, "description"))[:500],
            "reference": v.text(mapped.cell(row, "reference"))[:200],
            "counterparty": v.text(mapped.cell(row, "counterparty"))[:200],
            "bank_id": v.text(mapped.cell(row, "bank_id"))[:100],
            "dedup_key": f"odoo:{key}"[:120],
            "raw": f"Odoo {mapped.odoo_model} {key} ({row.where})",
        }

    def finish(self, job: Job, mapped: ModelMap, report: ModelReport) -> None:
        if not job.writes:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE billing_bankstatement AS s SET lines_read = c.n, lines_new = c.n, "
                "first_date = c.first, last_date = c.last FROM (SELECT statement_id, "
                "count(*) AS n, min(booked_on) AS first, max(booked_on) AS last FROM "
                "billing_statementline GROUP BY statement_id) AS c WHERE c.statement_id = s.id "
                "AND s.source_format = 'odoo'"
            )


# --- payments, and their matches with bank lines ---------------------------------------------
class PaymentImporter(Importer):
    key = "payment"
    label = "billing.ScheduledPayment"
    model = ScheduledPayment
    also_imports = (Match,)
    depends = ("sheet", "statement_line")
    refers = {"sheet": "sheet"}
    verify_fields = ("reference", "amount", "status", "reconciled_amount", "due_date")
    batch_size = 5000
    spec = ModelSpec(
        key="payment",
        odoo_model="account.payment",
        fields=(
            FieldSpec("sheet", MANY2ONE),  # the program's module: the sheet it pays
            FieldSpec("code"),  # the program's module: the sheet line's code
            FieldSpec("payee", choices=tuple(ComputingSheetLine.Payee.values)),
            FieldSpec("period", required=False),
            FieldSpec("reference", default="ref"),
            FieldSpec("number", default="name", required=False),
            FieldSpec("amount", default="amount"),
            FieldSpec("direction", default="payment_type", required=False),
            FieldSpec("due_date", default="date"),
            FieldSpec("status", default="state", choices=tuple(Payment.values)),
            FieldSpec("is_matched", default="is_matched", required=False),
            FieldSpec("lines", MANY2MANY, default="reconciled_statement_line_ids", required=False),
        ),
    )
    STATES = {
        "draft": "scheduled",
        "posted": "paid",
        "in_process": "sent",
        "sent": "sent",
        "cancel": "cancelled",
        "canceled": "cancelled",
    }

    def prepare(self, job: Job, mapped: ModelMap) -> None:
        self.scopes = Scopes(job)
        self.sheets: dict[int, tuple] = {}
        self.has_lines = job.source.has(job.map_of("statement_line").odoo_model)
        # Looked up once, not per row (half a million rows at the cut-over).
        self.states = {**self.STATES, **mapped.values.get("status", {})}

    def load(self, rows: list[Row], mapped: ModelMap, job: Job) -> None:
        # The batch's sheets, their enrollments, and those enrollments' session and school.
        super().load(rows, mapped, job)
        sheets = (job.lookup("sheet", ref) for ref in _refs(rows, mapped, "sheet"))
        self.sheets = job.attrs_of(
            ComputingSheet, ("enrollment_id",), {pk for pk in sheets if pk is not None}
        )
        self.scopes.load(job, {enrollment for (enrollment,) in self.sheets.values()})

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        sheet = job.ref("sheet", mapped.one(row, "sheet"), mapped.what("sheet"))
        (enrollment,) = self.sheets[sheet]
        amount = v.amount(mapped.cell(row, "amount"), mapped.what("amount"))
        if v.text(mapped.cell(row, "direction")) == "inbound":
            amount = -amount  # money back from the student: a recovery
        if amount == ZERO:
            raise Refused("a payment of 0.00")
        status = v.choice(
            mapped.cell(row, "status"), mapped.what("status"), self.states, v.keys_of(Payment)
        )
        lines = mapped.many(row, "lines")
        matched = v.boolean(mapped.cell(row, "is_matched"), mapped.what("is_matched"))
        if status == Payment.PAID and (matched or lines):
            status = Payment.RECONCILED
        reference = v.text(mapped.cell(row, "reference")) or v.text(mapped.cell(row, "number"))
        if not reference:
            raise Refused(f"no reference ({mapped.what('reference')}, {mapped.what('number')})")
        if len(reference) > 40:
            raise Refused(f"reference {reference!r} is longer than 40 characters")
        payee = v.choice(
            mapped.cell(row, "payee"),
            mapped.what("payee"),
            mapped.values.get("payee", {}),
            v.keys_of(ComputingSheetLine.Payee),
        )
        due = v.required_day(mapped.cell(row, "due_date"), mapped.what("due_date"), job.zone)
        return {
            "sheet_id": sheet,
            "enrollment_id": enrollment,
            "reference": reference,
            "payee": payee,
            "school_id": self.scopes.enrollments[enrollment][1] if payee == "school" else None,
            "code": v.required_text(mapped.cell(row, "code"), mapped.what("code"))[:20],
            "period": v.day(mapped.cell(row, "period"), mapped.what("period"), job.zone) or due,
            "due_date": due,
            "amount": amount,
            "status": status,
            "reconciled_amount": amount if status == Payment.RECONCILED and amount > 0 else ZERO,
            "_lines": tuple(_link_key(r) for r in lines),
        }

    def check(self, items: list[Pending], job: Job, report: ModelReport) -> list[Pending]:
        references = [i.values["reference"] for i in items]
        held = dict(
            ScheduledPayment.objects.filter(reference__any_of=references).values_list(
                "reference", "pk"
            )
        )
        first: dict[str, str] = {}
        kept = []
        for item in items:
            reference = item.values["reference"]
            other = held.get(reference)
            if reference in first:
                report.refuse(item.row.where, f"reference {reference} repeats {first[reference]}")
            elif other is not None and other != item.object_id:
                report.refuse(item.row.where, f"reference {reference} is another payment's here")
            else:
                first[reference] = item.row.where
                kept.append(item)
        return kept

    def account(self, row_values: dict[str, Any], job: Job) -> None:
        if row_values["status"] == Payment.CANCELLED:
            return
        session, school = self.scopes.of(row_values["enrollment_id"])
        job.money(session, school, "payments", row_values["amount"])
        job.money(session, school, "reconciled", row_values["reconciled_amount"])

    def money_here(self) -> dict:
        imported = ScheduledPayment.objects.filter(
            pk__in=_imported(ScheduledPayment, "account.payment")
        ).exclude(status=Payment.CANCELLED)
        return money_by_scope(imported, {"payments": "amount", "reconciled": "reconciled_amount"})

    def insert(self, items: list[Pending], job: Job) -> None:
        now = timezone.now()
        for item, pk in zip(items, allocate_ids(ScheduledPayment, len(items)), strict=True):
            item.object_id = pk
        rows = [
            {
                **{k: val for k, val in i.values.items() if not k.startswith("_")},
                "id": i.object_id,
                "created_at": now,
            }
            for i in items
        ]
        copy_rows(ScheduledPayment, rows)
        copy_history(ScheduledPayment, rows)
        self._matches([i for i in items if i.values["_lines"]], job)

    def update(self, items: list[Pending], job: Job) -> None:
        for item in items:
            values = {k: val for k, val in item.values.items() if not k.startswith("_")}
            if Match.objects.filter(payment=item.object_id, undone_at__isnull=True).exists():
                values.pop("reconciled_amount")  # matches here say what is reconciled
            ScheduledPayment.objects.filter(pk=item.object_id).update(**values)
        self._matches([i for i in items if i.values["_lines"]], job)

    def _matches(self, items: list[Pending], job: Job) -> None:
        """The bank lines Odoo matched each payment with: one match per pair not made
        yet, for what is left of both (Odoo does not say how a line was split)."""
        if not items or not self.has_lines:
            return
        job.resolve(
            "statement_line", {_ref_of(key) for item in items for key in item.values["_lines"]}
        )
        pairs = []
        for item in items:
            for line_key in item.values["_lines"]:
                line_id = job.lookup("statement_line", _ref_of(line_key))
                if line_id is not None:
                    pairs.append((item, line_id, f"{_link_key(item.row.ref)}>{line_key}"))
        done = set(
            LegacyRecord.objects.filter(
                odoo_model=MATCH_LINK, external_id__any_of=[p[2] for p in pairs]
            ).values_list("external_id", flat=True)
        )
        pairs = [p for p in pairs if p[2] not in done]
        lines = {
            pk: abs(amount) - matched
            for pk, amount, matched in StatementLine.objects.filter(
                pk__any_of={p[1] for p in pairs}
            ).values_list("pk", "amount", "matched_amount")
        }
        left = {item.object_id: abs(item.values["amount"]) for item, _, _ in pairs}
        for payment_id, taken in (
            Match.objects.filter(payment__any_of=list(left), undone_at__isnull=True)
            .values("payment")
            .annotate(t=Sum("amount"))
            .values_list("payment", "t")
        ):
            left[payment_id] -= taken
        made, line_updates = [], defaultdict(lambda: ZERO)
        for item, line_id, link in pairs:
            amount = min(left[item.object_id], lines[line_id])
            if amount <= ZERO:
                continue
            left[item.object_id] -= amount
            lines[line_id] -= amount
            line_updates[line_id] += amount
            made.append((item, line_id, link, amount))
        if not made:
            return
        now = timezone.now()
        match_ids = allocate_ids(Match, len(made))
        copy_rows(
            Match,
            (
                {
                    "id": pk,
                    "line_id": line_id,
                    "payment_id": item.object_id,
                    "invoice_id": None,
                    "kind": Match.Kind.MATCH,
                    "amount": amount,
                    "rule": "Odoo",
                    "confidence": None,
                    "reason": "",
                    "previous_status": Payment.PAID,
                    "created_by_id": None,
                    "created_at": now,
                    "undone_by_id": None,
                    "undone_at": None,
                }
                for pk, (item, line_id, _, amount) in zip(match_ids, made, strict=True)
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE billing_statementline AS t SET matched_amount = t.matched_amount + "
                "v.amount FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, amount) "
                "WHERE t.id = v.id",
                [list(line_updates), list(line_updates.values())],
            )
            # A payment's reconciled amount is what its matches cover (the status stays
            # what Odoo said).
            cursor.execute(
                "UPDATE billing_scheduledpayment AS p SET reconciled_amount = m.total FROM "
                "(SELECT payment_id, sum(amount) AS total FROM billing_match WHERE "
                "payment_id = ANY(%s) AND undone_at IS NULL GROUP BY payment_id) AS m "
                "WHERE p.id = m.payment_id AND p.amount > 0",
                [sorted({item.object_id for item, *_ in made})],
            )
        legacy.save(
            MATCH_LINK,
            Match,
            [
                legacy.Record(
                    Ref(xid=link),
                    pk,
                    hashlib.sha1(link.encode(), usedforsecurity=False).hexdigest(),
                    item.row.where,
                )
                for pk, (item, _, link, _) in zip(match_ids, made, strict=True)
            ],
        )


# --- school invoices ----------------------------------------------------------------------------
class InvoiceImporter(Importer):
    key = "school_invoice"
    label = "billing.SchoolInvoice"
    model = SchoolInvoice
    depends = ("school", "scholar_year", "session")
    refers = {"scholar_year": "scholar_year", "session": "session"}
    optional = True
    natural_key = ("school_id", "invoice_number")
    verify_fields = ("invoice_number", "total", "status")
    spec = ModelSpec(
        key="school_invoice",
        odoo_model="account.move",
        fields=(
            FieldSpec("move_type", default="move_type"),
            FieldSpec("partner", MANY2ONE, default="partner_id"),
            FieldSpec("invoice_number", default="ref"),
            FieldSpec("number", default="name", required=False),
            FieldSpec("issued_on", default="invoice_date"),
            FieldSpec("total", default="amount_total"),
            FieldSpec("state", default="state"),
            FieldSpec("payment_state", default="payment_state", required=False),
            FieldSpec("scholar_year", MANY2ONE, required=False),
            FieldSpec("session", MANY2ONE, required=False),
            # The field of the school model naming the school's partner (the vendor on
            # its bills): read from the school export.
            FieldSpec("school_partner"),
        ),
    )

    def prepare(self, job: Job, mapped: ModelMap) -> None:
        school_model = job.map_of("school").odoo_model
        column = Column(mapped.column("school_partner"), MANY2ONE)
        self.partners: dict[str, int] = {}
        rows = list(job.rows(school_model, [column]))  # the schools: a few dozen
        job.resolve("school", (row.ref for row in rows))
        for row in rows:
            partner, school = row.one(column.field), job.lookup("school", row.ref)
            if partner is not None and school is not None:
                self.partners[_link_key(partner)] = school
                if partner.xid:
                    self.partners[partner.xid] = school
        self.years = list(ScholarYear.objects.values_list("pk", "start_date", "end_date"))

    def columns(self, mapped: ModelMap) -> list[Column]:
        return [c for n, c in mapped.columns.items() if n != "school_partner"]

    def other_columns(self, job: Job, mapped: ModelMap) -> dict[str, list[Column]]:
        school_model = job.map_of("school").odoo_model
        return {school_model: [Column(mapped.column("school_partner"), MANY2ONE)]}

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        if v.text(mapped.cell(row, "move_type")) != "in_invoice":
            raise Skipped
        partner = mapped.one(row, "partner")
        school = None
        if partner is not None:
            school = self.partners.get(_link_key(partner)) or self.partners.get(partner.xid)
        if school is None:
            raise Skipped  # a vendor bill of someone who is not a school
        state = v.text(mapped.cell(row, "state"))
        if state == "cancel":
            raise Skipped
        issued = v.required_day(mapped.cell(row, "issued_on"), mapped.what("issued_on"), job.zone)
        year = job.ref(
            "scholar_year",
            mapped.one(row, "scholar_year"),
            mapped.what("scholar_year"),
            required=False,
        )
        if year is None:
            year = next((pk for pk, start, end in self.years if start <= issued <= end), None)
            if year is None:
                raise Refused(f"no scholar year covers its date {issued}")
        paid = v.text(mapped.cell(row, "payment_state")) in ("paid", "in_payment")
        status = (
            SchoolInvoice.Status.RECEIVED
            if state == "draft"
            else SchoolInvoice.Status.PAID
            if paid
            else SchoolInvoice.Status.APPROVED
        )
        number = v.text(mapped.cell(row, "invoice_number")) or v.text(mapped.cell(row, "number"))
        if not number:
            raise Refused("the bill has no number (ref, name)")
        return {
            "school_id": school,
            "invoice_number": number[:40],
            "scholar_year_id": year,
            "session_id": job.ref(
                "session", mapped.one(row, "session"), mapped.what("session"), required=False
            ),
            "issued_on": issued,
            "total": v.amount(mapped.cell(row, "total"), mapped.what("total")),
            "status": status,
        }


class InvoiceLineImporter(Importer):
    key = "school_invoice_line"
    label = "billing.SchoolInvoiceLine"
    model = SchoolInvoiceLine
    depends = ("school_invoice", "student", "enrollment")
    refers = {"invoice": "school_invoice", "student": "student", "enrollment": "enrollment"}
    optional = True
    verify_fields = ("amount",)
    spec = ModelSpec(
        key="school_invoice_line",
        odoo_model="account.move.line",
        fields=(
            FieldSpec("invoice", MANY2ONE, default="move_id"),
            FieldSpec("display_type", default="display_type", required=False),
            FieldSpec("description", default="name", required=False),
            FieldSpec("amount", default="price_subtotal"),
            FieldSpec("student", MANY2ONE),
            FieldSpec("enrollment", MANY2ONE, required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        invoice_ref = mapped.one(row, "invoice")
        invoice = job.lookup("school_invoice", invoice_ref) if invoice_ref else None
        if invoice is None:
            raise Skipped  # a journal item of another entry
        if v.text(mapped.cell(row, "display_type")) not in ("", "product"):
            raise Skipped  # taxes, payment terms, sections, notes
        return {
            "invoice_id": invoice,
            "student_id": job.ref("student", mapped.one(row, "student"), mapped.what("student")),
            "enrollment_id": job.ref(
                "enrollment",
                mapped.one(row, "enrollment"),
                mapped.what("enrollment"),
                required=False,
            ),
            "description": v.text(mapped.cell(row, "description"))[:200],
            "amount": v.amount(mapped.cell(row, "amount"), mapped.what("amount")),
        }


def register_importers() -> None:
    for importer in (
        SheetImporter(),
        BankAccountImporter(),
        StatementImporter(),
        StatementLineImporter(),
        PaymentImporter(),
        InvoiceImporter(),
        InvoiceLineImporter(),
    ):
        register(importer)
