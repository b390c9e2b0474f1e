"""The computing sheet as a PDF (WeasyPrint): what a student, a school or an auditor reads.
An official document of the program: its letterhead, the student it is about, the date it
was issued and its reference, who validated it — in the student's language."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from billing.models import ComputingSheet


def sheet_reference(sheet: ComputingSheet) -> str:
    """The document's reference, as a person quotes it on the phone: the prefix of its
    payments' references (``AVQ-2026F-12345``) and the revision. Never a payment
    reference itself (those end in a number; reconciliation reads them)."""
    enrollment = sheet.enrollment
    return f"AVQ-{enrollment.session.code}-{enrollment.student.status_no}-R{sheet.revision}"


def sheet_pdf_filename(sheet: ComputingSheet, language: str | None = None) -> str:
    """``computing-sheet-fall-2026-r1.pdf``, ``feuille-de-calcul-automne-2026-r1.pdf``."""
    with translation.override(language or sheet.enrollment.student.language):
        words = f"{gettext('Computing sheet')} {sheet.enrollment.session} r{sheet.revision}"
        return f"{slugify(words)}.pdf"


def _address_lines() -> list[str]:
    return [line.strip() for line in settings.PORTAL_PROGRAM_ADDRESS.split(";") if line.strip()]


def sheet_pdf(sheet: ComputingSheet, language: str | None = None) -> bytes:
    """The sheet in ``language``; by default the student's, whoever prints it (staff print
    it to send it, and it is the student's document)."""
    import weasyprint

    sheet = ComputingSheet.objects.select_related(
        "enrollment__student__community",
        "enrollment__session__scholar_year",
        "enrollment__school",
        "enrollment__program",
        "validated_by",
    ).get(pk=sheet.pk)
    student = sheet.enrollment.student
    with translation.override(language or student.language or settings.LANGUAGE_CODE):
        html = render_to_string(
            "billing/sheet_pdf.html",
            {
                "sheet": sheet,
                "enrollment": sheet.enrollment,
                "student": student,
                "lines": list(sheet.lines.all()),
                "recoveries": list(sheet.recoveries.all()),
                "reference": sheet_reference(sheet),
                "issued_on": timezone.localdate(),
                "address_lines": _address_lines(),
                "contact_email": settings.PORTAL_CONTACT_EMAIL,
                "contact_phone": settings.PORTAL_CONTACT_PHONE,
                "LANGUAGE_CODE": translation.get_language(),
            },
        )
    return weasyprint.HTML(string=html).write_pdf()
