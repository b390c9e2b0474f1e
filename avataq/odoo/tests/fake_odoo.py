"""A small Odoo 16 answering its external API (XML-RPC), in-process on a loopback port,
serving the records of ``exports.py`` in the shapes Odoo's ``search_read`` gives them: a
many-to-one as ``[id, "name"]``, a many-to-many as a list of ids, ``False`` for an empty
value, numbers as numbers; external ids in ``ir.model.data``."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xmlrpc.server import (
    MultiPathXMLRPCServer,
    SimpleXMLRPCDispatcher,
    SimpleXMLRPCRequestHandler,
)

from avataq.odoo.tests.exports import Table, odoo_exports
from avataq.odoo.values import odoo_id_of

API_KEY = "0123456789abcdef0123456789abcdef01234567"
BOOLEANS = {"active", "closed", "manual", "share", "is_matched"}
# Columns of the exports that hold a relation's name rather than its external id.
NAMED_RELATIONS = {"community_id", "bank_id"}


class FakeOdoo:
    def __init__(self, tables: dict[str, Table]) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        counter = itertools.count(1000)
        self.ids: dict[str, int] = {}  # external id → database id
        self.names: dict[str, str] = {}
        for table in tables.values():
            for row in table.rows:
                self.ids[row[0]] = odoo_id_of(row[0]) or next(counter)
                if "name" in table.header:
                    self.names[row[0]] = row[table.column("name")]
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.types: dict[str, dict[str, dict]] = {}
        self.xids: list[dict[str, Any]] = []
        for model, table in tables.items():
            self.types[model] = {"id": {"type": "integer"}}
            for header in table.header[1:]:
                self.types[model][header.removesuffix("/id")] = {"type": self._type(header)}
            self.records[model] = [self._record(table, row, counter) for row in table.rows]
            for row in table.rows:
                module, _, name = row[0].partition(".")
                self.xids.append(
                    {
                        "id": len(self.xids) + 1,
                        "module": module,
                        "name": name,
                        "model": model,
                        "res_id": self.ids[row[0]],
                    }
                )

    @staticmethod
    def _type(header: str) -> str:
        if header.endswith("_ids/id"):
            return "many2many"
        if header.endswith("/id") or header in NAMED_RELATIONS:
            return "many2one"
        return "boolean" if header in BOOLEANS else "char"

    def _record(self, table: Table, row: list[str], counter: Iterator[int]) -> dict[str, Any]:
        record: dict[str, Any] = {"id": self.ids[row[0]]}
        for header, cell in zip(table.header[1:], row[1:], strict=True):
            name, kind = header.removesuffix("/id"), self._type(header)
            if kind == "many2many":
                record[name] = [self.ids.setdefault(x, next(counter)) for x in cell.split(",") if x]
            elif kind == "many2one" and header in NAMED_RELATIONS:
                record[name] = [next(counter), cell] if cell else False
            elif kind == "many2one":
                if cell:
                    record[name] = [
                        self.ids.setdefault(cell, next(counter)),
                        self.names.get(cell, cell),
                    ]
                else:
                    record[name] = False
            elif kind == "boolean":
                record[name] = cell == "True"
            else:
                try:
                    record[name] = float(cell) if "." in cell else cell or False
                except ValueError:
                    record[name] = cell or False
        return record

    # --- /xmlrpc/2/common ---------------------------------------------------------------
    def authenticate(self, db: str, login: str, key: str, env: dict) -> int | bool:
        return (
            2 if (db, login, key) == ("avataq", "importer@avataq.example.org", API_KEY) else False
        )

    def version(self) -> dict:
        return {"server_version": "16.0", "server_serie": "16.0", "protocol_version": 1}

    # --- /xmlrpc/2/object ------------------------------------------------------------------
    def execute_kw(
        self,
        db: str,
        uid: int,
        key: str,
        model: str,
        method: str,
        args: list,
        kwargs: dict | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        self.calls.append((model, method, kwargs))
        if uid != 2 or key != API_KEY:
            raise PermissionError("Access Denied")
        if model == "ir.model" and method == "search_count":
            wanted = args[0][0][2]
            return int(wanted in self.records)
        if method == "fields_get":
            return self.types[model]
        if model == "ir.model.data" and method == "search_read":
            conditions = dict((c[0], c[2]) for c in args[0])
            return [
                x
                for x in self.xids
                if x["model"] == conditions["model"] and x["res_id"] in conditions["res_id"]
            ]
        if method == "search_read":
            rows = sorted(self.records[model], key=lambda r: r["id"])
            offset, limit = kwargs.get("offset", 0), kwargs.get("limit") or len(rows)
            fields = kwargs.get("fields") or list(self.types[model])
            return [
                {f: r.get(f, False) for f in [*fields, "id"]} for r in rows[offset : offset + limit]
            ]
        raise ValueError(f"{model}.{method} is not served by this fake")


class _Paths(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")


@contextmanager
def fake_odoo(tables: dict[str, Table] | None = None) -> Iterator[tuple[str, FakeOdoo]]:
    """The fake Odoo on a free loopback port: yields its ``odoo+http://…`` URL and itself."""
    odoo = FakeOdoo(tables or odoo_exports())
    server = MultiPathXMLRPCServer(
        ("127.0.0.1", 0), requestHandler=_Paths, logRequests=False, allow_none=True
    )
    for path, methods in (
        ("/xmlrpc/2/common", (odoo.authenticate, odoo.version)),
        ("/xmlrpc/2/object", (odoo.execute_kw,)),
    ):
        dispatcher = SimpleXMLRPCDispatcher(allow_none=True)
        for method in methods:
            dispatcher.register_function(method)
        server.add_dispatcher(path, dispatcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        yield f"odoo+http://importer%40avataq.example.org@127.0.0.1:{port}/avataq", odoo
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
