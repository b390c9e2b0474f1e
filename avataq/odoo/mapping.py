"""The mapping: for each of our models, which Odoo model and which Odoo field feeds each
of our fields, and how selection values translate.

The program's own Odoo module is not public, so its models are named in a TOML file an
administrator adjusts (``default_mapping.toml`` ships the names the module most likely
uses, every field commented). Standard Odoo models (``res.users``, ``account.payment``…)
are mapped in code; their section in the file only names the fields the program's module
added to them (the computing sheet a payment pays…), and may override any other.

Shape of a section (``key`` is the importer's, e.g. ``student``)::

    [student]
    odoo_model = "avataq.student"          # custom models only

    [student.fields]
    status_no = "status_number"            # ours = Odoo's field
    community = "community_id/name"        # a relation's name
    phone = ""                             # not in this Odoo: left empty
    language = "=fr"                       # the same value for every row

    [student.values.marital_status]        # Odoo's key = ours
    cohabitant = "common_law"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avataq.errors import AvataqError
from avataq.odoo.sources import VALUE, Column, Row
from avataq.odoo.values import Ref

DEFAULT_MAPPING = Path(__file__).with_name("default_mapping.toml")
ANY = ("*",)


class MappingError(AvataqError):
    """The mapping file is unreadable or names what does not exist; ``problems`` lists
    every problem found, each naming the file and the key."""

    code = "odoo_mapping"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class FieldSpec:
    """One of our fields (or a link an importer needs) and the Odoo field feeding it:
    ``default`` is the standard model's field (mapped in code), None when only the
    mapping can say (a custom model's field)."""

    name: str
    kind: str = VALUE
    default: str | None = None
    required: bool = True
    choices: tuple[str, ...] = ()  # ours, when the field takes a value map (ANY: checked
    # by the importer against what the database holds, e.g. community codes)


@dataclass(frozen=True)
class ModelSpec:
    key: str
    fields: tuple[FieldSpec, ...]
    odoo_model: str | None = None  # a standard model's name; None: the mapping says


@dataclass
class ModelMap:
    """A section resolved: the Odoo model, the column for each of our fields (absent
    when the mapping leaves it empty), value maps."""

    key: str
    odoo_model: str
    columns: dict[str, Column] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    specs: dict[str, FieldSpec] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    # what() by name: asked for every cell of every row, for the message a refusal would
    # carry. Rows are read only once the columns are settled (after the preflight).
    _what: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def column(self, name: str) -> str:
        """The Odoo field our ``name`` is read from ('' when not mapped)."""
        found = self.columns.get(name)
        return found.field if found else ""

    def has(self, name: str) -> bool:
        return name in self.columns or name in self.constants

    def cell(self, row: Row, name: str) -> str:
        """Our ``name``'s cell in ``row`` as text ('' when not mapped or empty); a field
        mapped to ``"=text"`` is that text for every row."""
        found = self.constants.get(name)
        if found is not None:
            return found
        column = self.columns.get(name)
        return row.value(column.field) if column else ""

    def one(self, row: Row, name: str) -> Ref | None:
        found = self.columns.get(name)
        return row.one(found.field) if found else None

    def many(self, row: Row, name: str) -> list[Ref]:
        found = self.columns.get(name)
        return row.many(found.field) if found else []

    def what(self, name: str) -> str:
        """How a message names the field: ours and Odoo's."""
        found = self._what.get(name)
        if found is None:
            found = self._what[name] = f"{name} ({self.column(name) or 'not mapped'})"
        return found

    def required_columns(self) -> list[Column]:
        return [c for n, c in self.columns.items() if self.specs[n].required]


@dataclass
class Mapping:
    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> Mapping:
        path = path or DEFAULT_MAPPING
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            raise MappingError([f"{path}: no such file"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise MappingError([f"{path}: not valid TOML ({exc})"]) from None
        return cls(path=path, data=data)

    @property
    def datetime_timezone(self) -> str:
        return str(self.data.get("source", {}).get("datetime_timezone", "UTC"))

    def section(self, key: str) -> dict[str, Any]:
        found = self.data.get(key, {})
        return found if isinstance(found, dict) else {}

    def resolve(self, spec: ModelSpec) -> ModelMap:
        """The section for ``spec``, checked: raises :class:`MappingError` listing every
        unknown field, missing required field, or value mapped to nothing of ours."""
        where = f"{self.path.name}: [{spec.key}"
        section = self.section(spec.key)
        problems: list[str] = []
        odoo_model = section.get("odoo_model") or spec.odoo_model
        if not odoo_model or not isinstance(odoo_model, str):
            problems.append(f"{where}] odoo_model is missing (the Odoo model to read)")
        fields = section.get("fields", {})
        values = section.get("values", {})
        unknown_keys = set(section) - {"odoo_model", "fields", "values"}
        if unknown_keys:
            problems.append(f"{where}] unknown key(s): {', '.join(sorted(unknown_keys))}")
        specs = {s.name: s for s in spec.fields}
        for name in sorted(set(fields) - set(specs)):
            problems.append(
                f"{where}.fields] {name!r} is not one of ours; ours are: {', '.join(specs)}"
            )
        resolved = ModelMap(key=spec.key, odoo_model=str(odoo_model or ""), specs=specs)
        for name, field_spec in specs.items():
            odoo_field = fields.get(name, field_spec.default)
            if odoo_field is not None and not isinstance(odoo_field, str):
                problems.append(f"{where}.fields] {name} must be a field name (text)")
                continue
            if not odoo_field:
                if field_spec.required:
                    problems.append(f"{where}.fields] {name} is required: name the Odoo field")
                continue
            if odoo_field.startswith("="):
                resolved.constants[name] = odoo_field[1:]
                continue
            resolved.columns[name] = Column(odoo_field.strip(), field_spec.kind)
        for name, table in values.items() if isinstance(values, dict) else []:
            field_spec = specs.get(name)
            if field_spec is None or not field_spec.choices:
                problems.append(f"{where}.values] {name!r} takes no value map")
                continue
            if not isinstance(table, dict):
                problems.append(f"{where}.values.{name}] must be a table of Odoo key = ours")
                continue
            bad = sorted(
                f"{k} = {v!r}"
                for k, v in table.items()
                if field_spec.choices != ANY and v not in field_spec.choices
            )
            if bad:
                problems.append(
                    f"{where}.values.{name}] {', '.join(bad)}: ours are "
                    f"{', '.join(field_spec.choices)}"
                )
            resolved.values[name] = {str(k): str(v) for k, v in table.items()}
        if problems:
            raise MappingError(problems)
        return resolved
