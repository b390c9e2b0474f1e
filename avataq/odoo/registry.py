"""The importers the apps register (each in its ``AppConfig.ready()``), and the order they
run in: every importer after those it depends on. ``avataq`` knows them only through here,
so it imports no app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from avataq.errors import AvataqError

if TYPE_CHECKING:
    from avataq.odoo.importer import Importer

_IMPORTERS: dict[str, Importer] = {}


class UnknownImporter(AvataqError, ValueError):
    """No importer of that name is registered."""

    code = "odoo_unknown_importer"


def register(importer: Importer) -> Importer:
    """Add (or replace, by key) an importer."""
    _IMPORTERS[importer.key] = importer
    return importer


def registered() -> dict[str, Importer]:
    return dict(_IMPORTERS)


def ordered(only: list[str] | None = None) -> list[Importer]:
    """Every importer after its dependencies (a dependency not registered is an error);
    with ``only``, just those named (by key, by our model's label, or by Odoo model name
    for standard ones), still in that order."""
    done: list[Importer] = []
    visiting: set[str] = set()

    def visit(key: str, needed_by: str) -> None:
        if any(i.key == key for i in done):
            return
        if key not in _IMPORTERS:
            raise UnknownImporter(f"importer {needed_by!r} needs {key!r}, which no app registered")
        if key in visiting:
            raise UnknownImporter(f"importers depend on each other in a circle through {key!r}")
        visiting.add(key)
        for dependency in _IMPORTERS[key].depends:
            visit(dependency, key)
        visiting.discard(key)
        done.append(_IMPORTERS[key])

    for key in list(_IMPORTERS):  # registration order (INSTALLED_APPS), then dependencies
        visit(key, key)
    if not only:
        return done
    wanted: set[str] = set()
    for name in only:
        folded = name.casefold()
        matches = {
            i.key
            for i in done
            if folded in {i.key.casefold(), i.label.casefold(), i.label.split(".")[-1].casefold()}
            or folded == (i.spec.odoo_model or "").casefold()
        }
        if not matches:
            known = ", ".join(i.key for i in done)
            raise UnknownImporter(f"--only {name!r}: no such model to import; known: {known}")
        wanted |= matches
    return [i for i in done if i.key in wanted]
