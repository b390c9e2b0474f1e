"""The computing sheet as a PDF (WeasyPrint): what a student, a school or an auditor reads."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from billing.models import ComputingSheet


def sheet_pdf(sheet: ComputingSheet, language: str | None = None) -> bytes:
    """The sheet in ``language`` (default: the active one; the portal passes the
    student's)."""
    import weasyprint

    sheet = ComputingSheet.objects.select_related(
        "enrollment__student__community", "enrollment__session__scholar_year",
        "enrollment__school", "enrollment__program", "validated_by",
    ).get(pk=sheet.pk)  # fmt: skip
    with translation.override(language or translation.get_language()):
        html = render_to_string(
            "billing/sheet_pdf.html",
            {
                "sheet": sheet,
                "enrollment": sheet.enrollment,
                "student": sheet.enrollment.student,
                "lines": list(sheet.lines.all()),
                "recoveries": list(sheet.recoveries.all()),
                "LANGUAGE_CODE": translation.get_language(),
            },
        )
    return weasyprint.HTML(string=html).write_pdf()
