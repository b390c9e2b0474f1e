"""The "Odoo origin" of a row imported at the cut-over, on its admin page: every admin
change form shows it (``templates/admin/change_form.html``) for a row that has one, so no
app's admin has to know about the import, and no app patches another's admin."""

from django import template
from django.contrib.contenttypes.models import ContentType
from django.db import models

from avataq.models import LegacyRecord

register = template.Library()


@register.inclusion_tag("admin/avataq/odoo_origin.html")
def odoo_origin(obj: models.Model | None) -> dict:
    if obj is None or obj.pk is None:
        return {"origins": []}
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    origins = LegacyRecord.objects.filter(content_type=content_type, object_id=obj.pk)
    return {"origins": list(origins)}
