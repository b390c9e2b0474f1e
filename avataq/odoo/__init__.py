"""The cut-over from the Odoo 16 system: each app registers an importer for its own
models (in its ``AppConfig.ready()``); ``manage.py import_odoo`` runs them in dependency
order, and every imported row is traceable to its Odoo record (``LegacyRecord``).

What an app's importer uses is re-exported here."""

from avataq.odoo.importer import Importer, Job, Pending, Skipped
from avataq.odoo.mapping import FieldSpec, ModelMap, ModelSpec
from avataq.odoo.registry import register
from avataq.odoo.sources import MANY2MANY, MANY2ONE, VALUE, Column, Row
from avataq.odoo.values import Ref, Refused

__all__ = [
    "MANY2MANY",
    "MANY2ONE",
    "VALUE",
    "Column",
    "FieldSpec",
    "Importer",
    "Job",
    "ModelMap",
    "ModelSpec",
    "Pending",
    "Ref",
    "Refused",
    "Row",
    "Skipped",
    "register",
]
