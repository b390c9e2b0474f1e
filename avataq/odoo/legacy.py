"""The legacy-id table (:class:`avataq.models.LegacyRecord`): which row of ours each Odoo
record became, found by external id or by database id, whichever the source gives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from avataq.models import LegacyRecord
from avataq.odoo.sql import copy_rows
from avataq.odoo.values import Ref


@dataclass(slots=True)
class Hit:
    pk: int  # the LegacyRecord's
    object_id: int
    digest: str
    external_id: str
    odoo_id: int | None


def ref_key(ref: Ref) -> str:
    """One text per record: its external id, else ``#id``."""
    return ref.xid or f"#{ref.odoo_id}"


def find(odoo_model: str, refs: Iterable[Ref]) -> dict[str, Hit]:
    """The legacy records of ``refs`` (keyed by :func:`ref_key`), one query."""
    refs = list(refs)
    xids = [r.xid for r in refs if r.xid]
    ids = [r.odoo_id for r in refs if r.odoo_id is not None]
    if not xids and not ids:
        return {}
    table = connection.ops.quote_name(LegacyRecord._meta.db_table)
    columns = "t.id, t.external_id, t.odoo_id, t.object_id, t.digest"
    # One index probe per id (LIMIT 1 keeps the planner from turning the lateral join
    # into a hash join): a plain ``= ANY`` of a batch's thousands of ids is planned as a
    # scan of the whole table, which grows with every batch of a large model.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM unnest(%s::varchar[]) AS k(xid) CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT * FROM {table} AS t WHERE t.odoo_model = %s AND t.external_id = k.xid "
            "AND t.external_id <> '' LIMIT 1) AS t "
            f"UNION SELECT {columns} FROM unnest(%s::bigint[]) AS k(odoo_id) CROSS JOIN LATERAL "
            f"(SELECT * FROM {table} AS t WHERE t.odoo_model = %s AND t.odoo_id = k.odoo_id "
            "AND t.odoo_id IS NOT NULL LIMIT 1) AS t",
            [xids, odoo_model, ids, odoo_model],
        )
        rows = cursor.fetchall()
    by_xid: dict[str, Hit] = {}
    by_id: dict[int, Hit] = {}
    for pk, xid, odoo_id, object_id, digest in rows:
        hit = Hit(pk, object_id, digest, xid, odoo_id)
        if xid:
            by_xid[xid] = hit
        if odoo_id is not None:
            by_id[odoo_id] = hit
    found = {}
    for ref in refs:
        hit = by_xid.get(ref.xid) if ref.xid else None
        if hit is None and ref.odoo_id is not None:
            hit = by_id.get(ref.odoo_id)
        if hit is not None:
            found[ref_key(ref)] = hit
    return found


class Index:
    """Records of one Odoo model → our row's id, held in memory: the rows a dry run
    would create (placeholder ids), or a batch's rows just written. Imported records are
    looked up in the table per batch (:func:`find`), never loaded whole."""

    def __init__(self, odoo_model: str) -> None:
        self.odoo_model = odoo_model
        self.by_xid: dict[str, int] = {}
        self.by_id: dict[int, int] = {}

    def get(self, ref: Ref) -> int | None:
        if ref.xid and ref.xid in self.by_xid:
            return self.by_xid[ref.xid]
        if ref.odoo_id is not None:
            return self.by_id.get(ref.odoo_id)
        return None

    def add(self, ref: Ref, object_id: int) -> None:
        if ref.xid:
            self.by_xid[ref.xid] = object_id
        if ref.odoo_id is not None:
            self.by_id[ref.odoo_id] = object_id


@dataclass(slots=True)
class Record:
    """A legacy record to write: ``hit`` when one exists already."""

    ref: Ref
    object_id: int
    digest: str
    source: str
    hit: Hit | None = None


def save(odoo_model: str, model: type[models.Model], records: list[Record]) -> None:
    """Insert the new legacy records (COPY) and bring the known ones up to date (one
    UPDATE): digest, where it was read, our row (when it was made again), and the
    database id or external id a source gave that the record did not have yet."""
    if not records:
        return
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    now = timezone.now()
    new = [r for r in records if r.hit is None]
    copy_rows(
        LegacyRecord,
        (
            {
                "odoo_model": odoo_model,
                "odoo_id": r.ref.odoo_id,
                "external_id": r.ref.xid,
                "content_type_id": content_type.pk,
                "object_id": r.object_id,
                "digest": r.digest,
                "source": r.source[:300],
                "imported_at": now,
                "updated_at": now,
            }
            for r in new
        ),
    )
    known = [r for r in records if r.hit is not None]
    if not known:
        return
    table = connection.ops.quote_name(LegacyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET digest = v.digest, source = v.source, "  # noqa: S608
            "object_id = v.object_id, updated_at = %s, "
            "odoo_id = COALESCE(t.odoo_id, v.odoo_id), "
            "external_id = CASE WHEN t.external_id = '' THEN v.xid ELSE t.external_id END "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], "
            "%s::bigint[], %s::varchar[]) AS v(id, digest, source, object_id, odoo_id, xid) "
            "WHERE t.id = v.id",
            [
                now,
                [r.hit.pk for r in known],
                [r.digest for r in known],
                [r.source[:300] for r in known],
                [r.object_id for r in known],
                [r.ref.odoo_id for r in known],
                [r.ref.xid for r in known],
            ],
        )
