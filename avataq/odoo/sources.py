"""Where the Odoo data comes from: a folder of Odoo's own exports, or its XML-RPC API.

Both hand over the same :class:`Row`: where it was read (``file:line`` or
``model#id``), the record's own identity (a :class:`Ref`), and its cells as text or
references, so an importer never knows which source it reads.

**A folder of exports**: one file per Odoo model, made with the list view's *Export*,
*I want to update data (import-compatible export)* ticked, CSV or XLSX. A file is found
by the model's technical name: ``avataq.student.csv``, or Odoo's own download name
``Student (avataq.student).csv``; a model exported in parts (large models time out in
one piece) may have several files, ``account.payment-1.csv``, ``account.payment-2.csv``…
read in name order. Columns are the field names Odoo writes in that mode: ``id`` (the
external id), ``partner_id/id`` for a many-to-one, ``tag_ids/id`` (comma-separated) for a
many-to-many.

**The XML-RPC API** (``odoo+https://user@host/database``, the API key in
``ODOO_API_KEY``): ``search_read`` in batches ordered by id, archived records included
(``active_test`` off), the external ids of each batch from ``ir.model.data``, so a
rehearsal from the API and the final import from exports name records alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import xmlrpc.client
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from avataq.errors import AvataqError
from avataq.odoo.values import Ref

VALUE, MANY2ONE, MANY2MANY = "value", "many2one", "many2many"
API_KEY_VARIABLE = "ODOO_API_KEY"


class SourceError(AvataqError):
    """The source cannot be read (a folder or file missing or malformed, the API refusing
    or not answering): nothing is imported. Each problem names the file or the call."""

    code = "odoo_source"

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Column:
    """One Odoo field to read: ``field`` as the mapping names it (``community_id/name``
    reads a relation's name) and how it is written."""

    field: str
    kind: str = VALUE

    @property
    def header(self) -> str:
        return f"{self.field}/id" if self.kind in (MANY2ONE, MANY2MANY) else self.field


@dataclass(slots=True)
class Row:
    where: str
    ref: Ref
    cells: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> str:
        found = self.cells.get(name)
        return found if isinstance(found, str) else ""

    def one(self, name: str) -> Ref | None:
        found = self.cells.get(name)
        return found if isinstance(found, Ref) else None

    def many(self, name: str) -> list[Ref]:
        found = self.cells.get(name)
        return found if isinstance(found, list) else []

    def has(self, name: str) -> bool:
        return name in self.cells


class Source(ABC):
    # The API gives datetimes in UTC whatever the user's timezone; a web export writes
    # them in the exporting user's (the mapping's ``datetime_timezone``).
    datetimes_in_utc: bool = False

    @abstractmethod
    def describe(self, odoo_model: str) -> str:
        """Where the model is read from, for messages (a file name, an API model)."""

    @abstractmethod
    def has(self, odoo_model: str) -> bool: ...

    @abstractmethod
    def missing_columns(self, odoo_model: str, columns: list[Column]) -> list[str]:
        """The columns among ``columns`` the source does not have for this model."""

    @abstractmethod
    def rows(self, odoo_model: str, columns: list[Column]) -> Iterator[Row]: ...

    def close(self) -> None:  # noqa: B027 - optional
        pass


def open_source(spec: str) -> Source:
    """A folder of exports, or ``odoo+https://user@host[:port]/database`` (the API key in
    the environment variable ``ODOO_API_KEY``)."""
    if spec.startswith(("odoo+https://", "odoo+http://")):
        return OdooApi.from_url(spec, os.environ.get(API_KEY_VARIABLE, ""))
    folder = Path(spec)
    if not folder.is_dir():
        raise SourceError(
            f"{spec}: no such folder (give a folder of Odoo exports, or an "
            "odoo+https://user@host/database URL)"
        )
    return ExportFolder(folder)


# --- exports --------------------------------------------------------------------------------
def _file_pattern(odoo_model: str) -> re.Pattern[str]:
    name = re.escape(odoo_model)
    return re.compile(
        rf"^(?:{name}|.* \({name}\))(?:[ _-]?\(?(?P<part>[0-9]+)\)?)?\.(?P<ext>csv|xlsx)$",
        re.IGNORECASE,
    )


def _xlsx_text(cell: Any) -> str | Ref | list[Ref]:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dt.datetime):
        # Odoo writes a date cell as yyyy-mm-dd and a datetime as yyyy-mm-dd hh:mm:ss;
        # both come back as datetimes: the format tells a date from midnight UTC.
        if "h" not in (cell.number_format or "").lower():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


class ExportFolder(Source):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._names = sorted(p.name for p in folder.iterdir() if p.is_file())

    def files(self, odoo_model: str) -> list[Path]:
        pattern = _file_pattern(odoo_model)
        found = [(pattern.match(n), n) for n in self._names]
        matched = [(int(m["part"] or 0), n) for m, n in found if m]
        return [self.folder / n for _, n in sorted(matched)]

    def describe(self, odoo_model: str) -> str:
        files = self.files(odoo_model)
        return ", ".join(p.name for p in files) if files else f"{odoo_model}.csv"

    def has(self, odoo_model: str) -> bool:
        return bool(self.files(odoo_model))

    def missing_columns(self, odoo_model: str, columns: list[Column]) -> list[str]:
        missing: list[str] = []
        for path in self.files(odoo_model):
            header = self._header(path)
            if "id" not in header:
                raise SourceError(
                    f"{path.name}:1: no 'id' column: export with “I want to update data "
                    "(import-compatible export)” ticked"
                )
            missing += [c.header for c in columns if c.header not in header]
        return sorted(set(missing))

    def _header(self, path: Path) -> list[str]:
        rows = self._raw_rows(path)
        try:
            _, header = next(rows)
        except StopIteration:
            raise SourceError(f"{path.name}: empty file") from None
        finally:
            rows.close()
        return [str(h).strip() for h in header]

    def _raw_rows(self, path: Path) -> Iterator[tuple[int, list[Any]]]:
        """(line where the record starts, cells) of a file; an XLSX row is one line."""
        if path.suffix.lower() == ".xlsx":
            yield from self._xlsx_rows(path)
            return
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                start = 1
                for cells in reader:
                    # A quoted cell may span lines (a note): the record starts where the
                    # previous one ended, plus one.
                    yield start, cells
                    start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
        except csv.Error as exc:
            raise SourceError(f"{path.name}:{start}: malformed CSV ({exc})") from None

    def _xlsx_rows(self, path: Path) -> Iterator[tuple[int, list[Any]]]:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise SourceError(f"{path.name}: not an Excel (XLSX) file ({exc})") from None
        try:
            sheet = book.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                yield number, [_xlsx_text(c) for c in cells]
        finally:
            book.close()

    def rows(self, odoo_model: str, columns: list[Column]) -> Iterator[Row]:
        for path in self.files(odoo_model):
            raw = self._raw_rows(path)
            _, header = next(raw, (1, []))
            index = {str(h).strip(): i for i, h in enumerate(header)}
            id_at = index["id"]
            wanted = [(c, index[c.header]) for c in columns if c.header in index]
            for line, cells in raw:
                if not any(str(c).strip() for c in cells):
                    continue  # a blank line (Excel leaves some at the end)
                size = len(cells)
                row = Row(
                    where=f"{path.name}:{line}",
                    ref=Ref.from_xid(str(cells[id_at]).strip() if id_at < size else ""),
                )
                for column, at in wanted:
                    cell = str(cells[at]) if at < size else ""
                    if column.kind == MANY2ONE:
                        xid = cell.strip()
                        row.cells[column.field] = Ref.from_xid(xid) if xid else None
                    elif column.kind == MANY2MANY:
                        row.cells[column.field] = [
                            Ref.from_xid(x.strip()) for x in cell.split(",") if x.strip()
                        ]
                    else:
                        row.cells[column.field] = cell
                yield row


# --- the XML-RPC API ------------------------------------------------------------------------
class _Transport(xmlrpc.client.Transport):
    """The standard transport, with a timeout: a hung Odoo must not hang the import."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: Any) -> Any:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class _SafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: Any) -> Any:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class OdooApi(Source):
    BATCH = 2000
    datetimes_in_utc = True

    def __init__(
        self, *, base: str, database: str, user: str, api_key: str, timeout: float = 120
    ) -> None:
        self.base, self.database, self.user, self.api_key = base, database, user, api_key
        transport = _SafeTransport(timeout) if base.startswith("https") else _Transport(timeout)
        self._common = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common", transport=transport)
        self._object = xmlrpc.client.ServerProxy(
            f"{base}/xmlrpc/2/object", transport=transport, allow_none=True
        )
        self._uid: int | None = None
        self._fields: dict[str, dict[str, dict]] = {}

    @classmethod
    def from_url(cls, url: str, api_key: str) -> OdooApi:
        parts = urlsplit(url.removeprefix("odoo+"))
        database = parts.path.strip("/")
        if not parts.hostname or not parts.username or not database:
            raise SourceError(f"{url}: expected odoo+https://user@host/database")
        if not api_key:
            raise SourceError(
                f"{url}: set the Odoo user's API key in the environment variable {API_KEY_VARIABLE}"
            )
        port = f":{parts.port}" if parts.port else ""
        return cls(
            base=f"{parts.scheme}://{parts.hostname}{port}",
            database=database,
            user=unquote(parts.username),
            api_key=api_key,
        )

    def _call(self, what: str, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except xmlrpc.client.Fault as exc:
            message = str(exc.faultString).strip().splitlines()
            raise SourceError(f"Odoo refused {what}: {message[-1] if message else exc}") from None
        except (TimeoutError, OSError, xmlrpc.client.ProtocolError) as exc:
            raise SourceError(f"Odoo at {self.base} did not answer {what}: {exc}") from None

    @property
    def uid(self) -> int:
        if self._uid is None:
            uid = self._call(
                "the sign-in",
                self._common.authenticate,
                self.database,
                self.user,
                self.api_key,
                {},
            )
            if not uid:
                raise SourceError(
                    f"Odoo at {self.base} refused user {self.user!r} on database "
                    f"{self.database!r} with that API key"
                )
            self._uid = int(uid)
        return self._uid

    def execute(self, model: str, method: str, args: list, kwargs: dict | None = None) -> Any:
        return self._call(
            f"{model}.{method}",
            self._object.execute_kw,
            self.database,
            self.uid,
            self.api_key,
            model,
            method,
            args,
            kwargs or {},
        )

    def describe(self, odoo_model: str) -> str:
        return f"{odoo_model} (XML-RPC)"

    def fields(self, odoo_model: str) -> dict[str, dict]:
        if odoo_model not in self._fields:
            self._fields[odoo_model] = self.execute(
                odoo_model, "fields_get", [], {"attributes": ["type"]}
            )
        return self._fields[odoo_model]

    def has(self, odoo_model: str) -> bool:
        found = self.execute("ir.model", "search_count", [[["model", "=", odoo_model]]])
        return bool(found)

    def missing_columns(self, odoo_model: str, columns: list[Column]) -> list[str]:
        known = self.fields(odoo_model)
        return sorted({c.header for c in columns if c.field.split("/")[0] not in known})

    def _xids(self, odoo_model: str, ids: list[int]) -> dict[int, str]:
        found = self.execute(
            "ir.model.data",
            "search_read",
            [[["model", "=", odoo_model], ["res_id", "in", ids]]],
            {"fields": ["module", "name", "res_id"], "order": "id"},
        )
        xids: dict[int, str] = {}
        for item in found:
            # A record may have several; the export's own (__export__) is the last resort.
            current = xids.get(item["res_id"], "")
            if not current or current.startswith("__export__."):
                xids[item["res_id"]] = f"{item['module']}.{item['name']}"
        return xids

    def rows(self, odoo_model: str, columns: list[Column]) -> Iterator[Row]:
        types = {name: spec.get("type") for name, spec in self.fields(odoo_model).items()}
        names = sorted({c.field.split("/")[0] for c in columns} | {"id"})
        offset = 0
        while True:
            batch = self.execute(
                odoo_model,
                "search_read",
                [[]],
                {
                    "fields": names,
                    "offset": offset,
                    "limit": self.BATCH,
                    "order": "id",
                    "context": {"active_test": False},
                },
            )
            if not batch:
                return
            offset += len(batch)
            xids = self._xids(odoo_model, [r["id"] for r in batch])
            for record in batch:
                odoo_id = int(record["id"])
                row = Row(
                    where=f"{odoo_model}#{odoo_id}",
                    ref=Ref(xid=xids.get(odoo_id, ""), odoo_id=odoo_id),
                )
                for column in columns:
                    base, _, sub = column.field.partition("/")
                    row.cells[column.field] = _api_value(
                        record.get(base, False), types.get(base), column.kind, sub
                    )
                yield row
            if len(batch) < self.BATCH:
                return


def _api_value(value: Any, kind: str | None, wanted: str, sub: str) -> Any:
    if wanted == MANY2ONE:
        if isinstance(value, list | tuple) and value:
            return Ref(odoo_id=int(value[0]), name=str(value[1]) if len(value) > 1 else "")
        return None
    if wanted == MANY2MANY:
        return [Ref(odoo_id=int(i)) for i in value] if isinstance(value, list | tuple) else []
    if kind == "many2one" or isinstance(value, list | tuple):
        # A relation read as a value: its name (``partner_id/name``) or its id.
        if not value:
            return ""
        return str(value[1]) if sub != "id" and len(value) > 1 else str(value[0])
    if kind == "boolean":
        return "True" if value else "False"
    if value is False or value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
