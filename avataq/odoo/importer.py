"""What an app's importer is, and the one loop every import, dry run and verification
goes through.

An importer says which of our models it fills (``model``), from which mapping section
(``spec``), after which other importers (``depends``), and how one Odoo row becomes our
values (``convert``, raising :class:`Refused` with a reason, or :class:`Skipped` for a
row that is not ours to import by design). The loop reads the source in batches, looks
each row up in the legacy-id table, and sorts it: new, changed (its digest differs), or
unchanged. Then, by mode:

- **import**: new rows inserted, changed rows updated (``insert``/``update``: the ORM
  with history by default; the large models use COPY), legacy records written — each
  importer in its own transaction (the runner's);
- **dry run**: nothing written; new rows get placeholder ids so the rows that refer to
  them are checked as if they were there;
- **verify**: nothing written; each row is compared with what we hold (missing, removed
  here, a verified field that differs) and the counts and money compared at the end.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, reset_queries
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from avataq.errors import AvataqError
from avataq.models import LegacyRecord
from avataq.odoo import legacy, values
from avataq.odoo.mapping import Mapping, ModelMap, ModelSpec
from avataq.odoo.report import ModelReport, RunReport, new_money
from avataq.odoo.sources import Column, Row, Source
from avataq.odoo.sql import HISTORY_REASON, history_model
from avataq.odoo.values import Ref, Refused


class Skipped(AvataqError):
    """A row this import leaves out on purpose (a vendor bill that is not a school's, an
    internal user): counted as skipped, not refused, and not expected by verification."""

    code = "odoo_skipped"


@dataclass(slots=True)
class Pending:
    row: Row
    values: dict[str, Any]
    digest: str
    hit: legacy.Hit | None = None
    object_id: int | None = None


@dataclass
class Difference:
    label: str
    where: str
    what: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.label}: {where}{self.what}"


def digest_of(values_: dict[str, Any]) -> str:
    return hashlib.sha1(repr(sorted(values_.items())).encode(), usedforsecurity=False).hexdigest()


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        # With DEBUG on, Django keeps the last 9,000 queries' text, and a batch's
        # queries carry thousands of ids each: memory would grow with the import.
        reset_queries()
        yield batch


@dataclass
class Job:
    """One run: the source, the mapping, the mode, and what importers share — the
    references of the batch being read, resolved through the legacy-id table, and
    attributes of our rows they look up.

    Nothing here holds a whole model of the size that grows with the program (students,
    enrollments, sheets, payments, bank lines): references and rows are looked up per
    batch, one query for the batch's ids, and forgotten with it, so the memory of an
    import is bounded by the batch size whatever the size of the source. A dry run keeps
    what it would create (it writes nothing the next batch could look up)."""

    source: Source
    mapping: Mapping
    dry_run: bool = False
    verifying: bool = False
    report: RunReport = field(default_factory=lambda: RunReport(dry_run=True))
    differences: list[Difference] = field(default_factory=list)
    here_money: Any = field(default_factory=new_money)
    _maps: dict[str, ModelMap] = field(default_factory=dict)
    # This batch's references, by Odoo model: ref_key → our id (None: not imported).
    _refs: dict[str, dict[str, int | None]] = field(default_factory=dict)
    # A dry run's rows to create (placeholder ids), by Odoo model.
    _planned_refs: dict[str, legacy.Index] = field(default_factory=dict)
    _attrs: dict[tuple[type, tuple[str, ...]], dict[int, tuple]] = field(default_factory=dict)
    _planned: dict[type, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    _placeholder: int = 0

    def __post_init__(self) -> None:
        self.zone = values.zone(
            "UTC" if self.source.datetimes_in_utc else self.mapping.datetime_timezone
        )
        self.report.dry_run = self.dry_run or self.verifying

    @property
    def writes(self) -> bool:
        return not (self.dry_run or self.verifying)

    # --- mapping and source ------------------------------------------------------------
    def map(self, importer: Importer) -> ModelMap:
        if importer.key not in self._maps:
            self._maps[importer.key] = self.mapping.resolve(importer.spec)
        return self._maps[importer.key]

    def map_of(self, key: str) -> ModelMap:
        from avataq.odoo.registry import registered

        return self.map(registered()[key])

    def rows(self, odoo_model: str, columns: list[Column]) -> Iterator[Row]:
        return self.source.rows(odoo_model, columns)

    # --- references ------------------------------------------------------------------------
    def new_batch(self) -> None:
        """Forget the last batch's references (a run calls it before each batch)."""
        self._refs.clear()

    def resolve(self, key: str, refs: Iterable[Ref | None]) -> None:
        """Look up, in one query, the rows of ours that these references to importer
        ``key``'s Odoo model became; :meth:`ref` then answers from memory until the next
        batch."""
        odoo_model = self.map_of(key).odoo_model
        known = self._refs.setdefault(odoo_model, {})
        wanted = {}
        for ref in refs:
            if ref is not None and (ref.xid or ref.odoo_id is not None):
                ref_key = legacy.ref_key(ref)
                if ref_key not in known:
                    wanted[ref_key] = ref
        if not wanted:
            return
        hits = legacy.find(odoo_model, wanted.values())
        for ref_key in wanted:
            hit = hits.get(ref_key)
            known[ref_key] = hit.object_id if hit is not None else None

    def lookup(self, key: str, ref: Ref) -> int | None:
        """Our row for a record of importer ``key``'s Odoo model, None if not imported
        (one query when the batch's :meth:`resolve` did not ask for it)."""
        odoo_model = self.map_of(key).odoo_model
        planned = self._planned_refs.get(odoo_model)
        if planned is not None and (found := planned.get(ref)) is not None:
            return found
        ref_key = legacy.ref_key(ref)
        known = self._refs.get(odoo_model)
        if known is None or ref_key not in known:
            self.resolve(key, [ref])
            known = self._refs[odoo_model]
        return known.get(ref_key)

    def ref(self, key: str, ref: Ref | None, what: str, *, required: bool = True) -> int | None:
        """Our row for a reference to a record of importer ``key``'s Odoo model."""
        if ref is None:
            if required:
                raise Refused(f"{what} is empty")
            return None
        found = self.lookup(key, ref)
        if found is None:
            raise Refused(f"{what} {ref} is not imported (not in the source, or refused)")
        return found

    def planned_index(self, key: str) -> legacy.Index:
        """The rows of importer ``key``'s model a dry run would create."""
        odoo_model = self.map_of(key).odoo_model
        if odoo_model not in self._planned_refs:
            self._planned_refs[odoo_model] = legacy.Index(odoo_model)
        return self._planned_refs[odoo_model]

    def placeholder(self) -> int:
        self._placeholder -= 1
        return self._placeholder

    def plan(self, model: type[models.Model], object_id: int, row_values: dict) -> None:
        self._planned[model][object_id] = row_values

    def planned(self, model: type[models.Model]) -> Iterable[dict[str, Any]]:
        """The values of the rows of ``model`` a dry run would create."""
        return self._planned.get(model, {}).values()

    def attrs(self, model: type[models.Model], names: tuple[str, ...]) -> dict[int, tuple]:
        """``names`` (attnames) of every row of ``model`` by id, rows a dry run would
        create included; loaded once per run and model (dropped when the model is
        written). For the small models only (schools, programs, sessions, years,
        statements): a model that grows with the students is read with
        :meth:`attrs_of`."""
        cache_key = (model, names)
        if cache_key not in self._attrs:
            found = {row[0]: row[1:] for row in model.objects.values_list("pk", *names)}
            for pk, planned in self._planned.get(model, {}).items():
                found[pk] = tuple(planned.get(n) for n in names)
            self._attrs[cache_key] = found
        return self._attrs[cache_key]

    def attrs_of(
        self, model: type[models.Model], names: tuple[str, ...], ids: Iterable[int]
    ) -> dict[int, tuple]:
        """``names`` (attnames) of these rows of ``model`` by id (one query), rows a dry
        run would create included."""
        ids = set(ids)
        found = {
            row[0]: row[1:]
            for row in model.objects.filter(pk__any_of=[i for i in ids if i > 0]).values_list(
                "pk", *names
            )
        }
        planned = self._planned.get(model)
        if planned:
            for pk in ids:
                if pk in planned:
                    found[pk] = tuple(planned[pk].get(n) for n in names)
        return found

    def forget(self, model: type[models.Model]) -> None:
        for cache_key in [k for k in self._attrs if k[0] is model]:
            del self._attrs[cache_key]

    # --- money and differences -------------------------------------------------------------
    def money(self, session: str, school: str, measure: str, amount: Decimal) -> None:
        self.report.add_money(session, school, measure, amount)

    def differ(self, label: str, where: str, what: str) -> None:
        self.differences.append(Difference(label, where, what))


class Importer:
    """One of our models filled from one Odoo model. Subclasses set the class attributes
    and ``convert``; the rest has defaults."""

    key: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[models.Model]]
    spec: ClassVar[ModelSpec]
    depends: ClassVar[tuple[str, ...]] = ()
    # Other models whose rows this importer writes too (their Odoo origin shows in the
    # admin as well).
    also_imports: ClassVar[tuple[type[models.Model], ...]] = ()
    # A source without this model skips it (it is said so) instead of failing.
    optional: ClassVar[bool] = False
    # Fields compared row by row by the verification (attnames).
    verify_fields: ClassVar[tuple[str, ...]] = ()
    # Our fields that identify a row whatever its origin (a student's status number): a
    # new Odoo record whose key a row here already has takes that row over (it was
    # there before the import) unless another Odoo record did; two records with one key
    # are refused.
    natural_key: ClassVar[tuple[str, ...]] = ()
    batch_size: ClassVar[int] = 2000
    # False for an importer that reads something else than the Odoo source (the bucket).
    reads_source: ClassVar[bool] = True

    def __str__(self) -> str:
        return self.label

    # --- what a subclass says ----------------------------------------------------------------
    def columns(self, mapped: ModelMap) -> list[Column]:
        return list(mapped.columns.values())

    def other_columns(self, job: Job, mapped: ModelMap) -> dict[str, list[Column]]:
        """Columns this importer reads from other Odoo models' exports (the student's
        portal user…), by Odoo model, so they are checked before anything is read."""
        return {}

    # Many2one fields of the spec → the importer whose Odoo model they name: resolved
    # for each batch in one query per field before its rows are converted.
    refers: ClassVar[dict[str, str]] = {}

    def prepare(self, job: Job, mapped: ModelMap) -> None:
        """Before the first row: load what ``convert`` looks up for every row (small
        things only: what grows with the source is looked up per batch, in ``load``)."""

    def load(self, rows: list[Row], mapped: ModelMap, job: Job) -> None:
        """Before a batch's rows are converted: look up what ``convert`` needs for them,
        in a few queries (by default the references of ``refers``)."""
        for name, key in self.refers.items():
            job.resolve(key, (mapped.one(row, name) for row in rows))

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, items: list[Pending], job: Job, report: ModelReport) -> list[Pending]:
        """Rules across rows of a batch (and with what we hold); returns those kept,
        after ``report.refuse`` for the others."""
        return items

    def account(self, row_values: dict[str, Any], job: Job) -> None:
        """Add this row's money, as the source states it, to ``job.money``."""

    def money_here(self) -> dict[tuple[str, str], dict[str, Decimal]]:
        """The same money, from what we hold (imported rows only)."""
        return {}

    def finish(self, job: Job, mapped: ModelMap, report: ModelReport) -> None:
        """After the last batch, in the same transaction."""

    # --- writing (the ORM, with history where the model keeps it) -------------------------
    def insert(self, items: list[Pending], job: Job) -> None:
        objects = [self.model(**item.values) for item in items]
        if history_model(self.model) is not None:
            bulk_create_with_history(
                objects, self.model, batch_size=1000, default_change_reason=HISTORY_REASON
            )
        else:
            self.model.objects.bulk_create(objects, batch_size=1000)
        for item, obj in zip(items, objects, strict=True):
            item.object_id = obj.pk

    def update(self, items: list[Pending], job: Job) -> None:
        if not items:
            return
        found = self.model.objects.in_bulk([i.object_id for i in items])
        names = sorted({name for item in items for name in item.values})
        objects = []
        for item in items:
            obj = found[item.object_id]
            for name, value in item.values.items():
                setattr(obj, name, value)
            objects.append(obj)
        by_attname = {f.attname: f.name for f in self.model._meta.concrete_fields}
        fields = [by_attname[n] for n in names]
        for auto in ("updated_at",):
            if any(f.name == auto for f in self.model._meta.concrete_fields):
                fields.append(auto)
        if history_model(self.model) is not None:
            bulk_update_with_history(
                objects,
                self.model,
                fields,
                batch_size=1000,
                default_change_reason=HISTORY_REASON,
            )
        else:
            self.model.objects.bulk_update(objects, fields, batch_size=1000)

    # --- the loop ------------------------------------------------------------------------------
    def run(self, job: Job) -> ModelReport:
        mapped = job.map(self)
        report = ModelReport(
            key=self.key,
            label=self.label,
            odoo_model=mapped.odoo_model,
            read_from=job.source.describe(mapped.odoo_model),
        )
        job.report.models.append(report)
        if not job.source.has(mapped.odoo_model):
            report.not_in_source = True
            return report
        self.prepare(job, mapped)
        # A dry run keeps its placeholder ids; a real run writes the legacy records, and
        # references to them are looked up there batch by batch.
        planned = job.planned_index(self.key) if job.dry_run else None
        matched = 0
        for batch in batched(job.rows(mapped.odoo_model, self.columns(mapped)), self.batch_size):
            job.new_batch()
            self.load(batch, mapped, job)
            hits = legacy.find(mapped.odoo_model, (r.ref for r in batch))
            live = set(
                self.model.objects.filter(
                    pk__any_of=[h.object_id for h in hits.values()]
                ).values_list("pk", flat=True)
            )
            fresh, changed, same = [], [], []
            seen: dict[str, str] = {}
            for row in batch:
                report.read += 1
                key = legacy.ref_key(row.ref)
                try:
                    if not row.ref.xid and row.ref.odoo_id is None:
                        raise Refused("no external id (the id column is empty)")
                    if key in seen:
                        raise Refused(f"the same record as {seen[key]}")
                    seen[key] = row.where
                    row_values = self.convert(row, mapped, job)
                except Skipped:
                    report.skipped += 1
                    continue
                except Refused as exc:
                    report.refuse(row.where, str(exc))
                    if job.verifying:
                        job.differ(self.label, row.where, f"not imported: {exc}")
                    continue
                hit = hits.get(key)
                item = Pending(row, row_values, digest_of(row_values), hit)
                if hit is None or hit.object_id not in live:
                    fresh.append(item)
                elif hit.digest != item.digest:
                    item.object_id = hit.object_id
                    changed.append(item)
                else:
                    item.object_id = hit.object_id
                    same.append(item)
            if not job.verifying:
                fresh, changed = self._natural_keys(fresh, changed, mapped, report)
            kept = {id(i) for i in self.check(fresh + changed, job, report)}
            fresh = [i for i in fresh if id(i) in kept]
            changed = [i for i in changed if id(i) in kept]
            for item in fresh + changed + same:
                self.account(item.values, job)
            report.created += len(fresh)
            report.updated += len(changed)
            report.unchanged += len(same)
            if job.verifying:
                matched += self._compare(fresh, changed, same, job)
            elif job.dry_run:
                for item in fresh:
                    item.object_id = job.placeholder()
                    planned.add(item.row.ref, item.object_id)
                    job.plan(self.model, item.object_id, item.values)
            else:
                self.insert(fresh, job)
                self.update(changed, job)
                # An importer may hold some rows back to write them in ``finish`` (a
                # draft sheet): those have no id yet, and are recorded then.
                written = [i for i in fresh + changed if i.object_id is not None]
                legacy.save(
                    mapped.odoo_model,
                    self.model,
                    [
                        legacy.Record(i.row.ref, i.object_id, i.digest, i.row.where, i.hit)
                        for i in written
                    ],
                )
                job.forget(self.model)
        self.finish(job, mapped, report)
        if job.verifying:
            self._compare_counts(mapped, matched, job, report)
        return report

    def _natural_keys(
        self, fresh: list[Pending], changed: list[Pending], mapped: ModelMap, report: ModelReport
    ) -> tuple[list[Pending], list[Pending]]:
        if not self.natural_key:
            return fresh, changed

        def key_of(item: Pending) -> tuple:
            return tuple(item.values.get(n) for n in self.natural_key)

        names = ", ".join(self.natural_key)
        first: dict[tuple, Pending] = {}
        for item in fresh + changed:
            if key_of(item) in first:
                report.refuse(
                    item.row.where,
                    f"{names} {_show(key_of(item))} repeats {first[key_of(item)].row.where}",
                )
                item.values = {}
            else:
                first[key_of(item)] = item
        fresh = [i for i in fresh if i.values]
        changed = [i for i in changed if i.values]
        query = models.Q(pk__in=[])
        for item in fresh + changed:
            query |= models.Q(**dict(zip(self.natural_key, key_of(item), strict=True)))
        holders = {
            tuple(row[1:]): row[0]
            for row in self.model.objects.filter(query).values_list("pk", *self.natural_key)
        }
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        linked = set(
            LegacyRecord.objects.filter(
                odoo_model=mapped.odoo_model,
                content_type=content_type,
                object_id__in=list(holders.values()),
            ).values_list("object_id", flat=True)
        )
        kept_fresh = []
        for item in fresh:
            holder = holders.get(key_of(item))
            if holder is None:
                kept_fresh.append(item)
            elif holder in linked:
                report.refuse(
                    item.row.where,
                    f"{names} {_show(key_of(item))} belongs to another Odoo record here",
                )
            else:  # a row made here before the import: this record takes it over
                item.object_id = holder
                changed.append(item)
        kept_changed = []
        for item in changed:
            holder = holders.get(key_of(item))
            if holder is not None and holder != item.object_id:
                report.refuse(
                    item.row.where, f"{names} {_show(key_of(item))} belongs to another row here"
                )
            else:
                kept_changed.append(item)
        return kept_fresh, kept_changed

    # --- verification ------------------------------------------------------------------------
    def _compare(
        self, fresh: list[Pending], changed: list[Pending], same: list[Pending], job: Job
    ) -> int:
        for item in fresh:
            if item.hit is None:
                job.differ(self.label, item.row.where, f"{item.row.ref} is not here")
            else:
                job.differ(
                    self.label,
                    item.row.where,
                    f"{item.row.ref} was imported as row {item.hit.object_id}, removed since",
                )
        for item in changed:
            job.differ(
                self.label,
                item.row.where,
                f"{item.row.ref} changed in the source since it was imported (import again)",
            )
        present = changed + same
        if not present or not self.verify_fields:
            return len(present)
        here = {
            row["pk"]: row
            for row in self.model.objects.filter(pk__any_of=[i.object_id for i in present]).values(
                "pk", *self.verify_fields
            )
        }
        for item in present:
            ours = here.get(item.object_id, {})
            for name in self.verify_fields:
                if name in item.values and _norm(item.values[name]) != _norm(ours.get(name)):
                    job.differ(
                        self.label,
                        item.row.where,
                        f"{item.row.ref} {name}: the source says {_norm(item.values[name])}, "
                        f"here {_norm(ours.get(name))}",
                    )
        return len(present)

    def _compare_counts(
        self, mapped: ModelMap, matched: int, job: Job, report: ModelReport
    ) -> None:
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        imported = LegacyRecord.objects.filter(
            odoo_model=mapped.odoo_model, content_type=content_type
        ).values("object_id")
        here = self.model.objects.filter(pk__in=imported).count()
        report.here = here
        if here > matched:
            job.differ(
                self.label,
                "",
                f"{here - matched} row(s) here came from {mapped.odoo_model} records the "
                "source no longer has (or has refused)",
            )


def _show(key: tuple) -> str:
    return " / ".join(str(k) for k in key)


def _norm(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)
