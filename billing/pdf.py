"""The computing sheet as a PDF (WeasyPrint): what a student, a school or an auditor reads."""

from __future__ import annotations

from django.template.loader import render_to_string

from billing.models import ComputingSheet
from billing.rules import __doc__ as RULES


def sheet_pdf(sheet: ComputingSheet) -> bytes:
    import weasyprint

    sheet = ComputingSheet.objects.select_related(
        "enrollment__student__community", "enrollment__session__scholar_year",
        "enrollment__school", "enrollment__program", "validated_by",
    ).get(pk=sheet.pk)  # fmt: skip
    html = render_to_string(
        "billing/sheet_pdf.html",
        {
            "sheet": sheet,
            "enrollment": sheet.enrollment,
            "student": sheet.enrollment.student,
            "lines": list(sheet.lines.all()),
            "recoveries": list(sheet.recoveries.all()),
            "month_rule": RULES.split("\n\n")[1].replace("\n", " "),
        },
    )
    return weasyprint.HTML(string=html).write_pdf()
