"""The emails the platform sends: which exist, what each may say, and how they render.

Templates are plain text in Django template syntax, stored per language in
``MailTemplate``. A template is checked when staff save it (syntax, and every variable
it prints must be one its email provides), so a mistake never waits for a send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from avataq.errors import AvataqError

# Printed in place of an unknown variable, then looked for: Django puts the name at %s.
_MISSING = "\x00missing:%s\x00"
_MISSING_RE = re.compile("\x00missing:(.*?)\x00")

# Plain text: nothing is HTML-escaped. A dedicated engine, so the project's template
# settings (string_if_invalid, loaders) never change how an email renders.
ENGINE = Engine(autoescape=False, string_if_invalid=_MISSING)


class MailError(AvataqError):
    """An email that cannot be rendered; the message says why."""

    code = "mail"


@dataclass(frozen=True)
class MailSpec:
    label: str
    sample: dict[str, object] = field(default_factory=dict)


_PORTAL = "https://portal.example.org"
CATALOG: dict[str, MailSpec] = {
    "account_confirmation": MailSpec(
        _("Account confirmation"),
        {"confirm_url": f"{_PORTAL}/account/confirm/abc/", "days": 7},
    ),
    "account_exists": MailSpec(
        _("Signup with an email that has an account"),
        {"login_url": f"{_PORTAL}/account/login/", "reset_url": f"{_PORTAL}/account/reset/"},
    ),
    "account_invitation": MailSpec(
        _("Invitation to the portal"),
        {"first_name": "Annie", "invite_url": f"{_PORTAL}/account/invitation/abc/", "days": 14},
    ),
    "password_reset": MailSpec(
        _("Password reset"),
        {"reset_url": f"{_PORTAL}/account/reset/MQ/abc/", "hours": 3},
    ),
    "record_linked": MailSpec(
        _("Student record linked to a portal account"),
        {
            "first_name": "Annie",
            "email": "annie@example.org",
            "contact_email": "sponsorship@example.org",
        },
    ),
    "application_received": MailSpec(
        _("Application received"),
        {
            "first_name": "Annie",
            "session": "2025F",
            "school": "Cégep Marie-Victorin",
            "program": "Nursing",
            "portal_url": f"{_PORTAL}/my/enrollments/",
        },
    ),
    "enrollment_approved": MailSpec(
        _("Enrollment approved"),
        {
            "first_name": "Annie",
            "session": "2025F",
            "school": "Cégep Marie-Victorin",
            "program": "Nursing",
            "portal_url": f"{_PORTAL}/my/",
        },
    ),
    "enrollment_refused": MailSpec(
        _("Enrollment refused"),
        {
            "first_name": "Annie",
            "session": "2025F",
            "school": "Cégep Marie-Victorin",
            "program": "Nursing",
            "reason": "The program is not eligible.",
            "contact_email": "sponsorship@example.org",
        },
    ),
    "document_missing": MailSpec(
        _("Documents missing (reminder)"),
        {
            "first_name": "Annie",
            "documents": ["Proof of enrollment (2025F)", "Class schedule (2025F)"],
            "documents_url": f"{_PORTAL}/my/documents/",
        },
    ),
    "document_refused": MailSpec(
        _("Document refused"),
        {
            "first_name": "Annie",
            "document": "Proof of enrollment",
            "session": "2025F",
            "reason": "The page with the dates is missing.",
            "documents_url": f"{_PORTAL}/my/documents/",
        },
    ),
    "sheet_validated": MailSpec(
        _("Computing sheet validated"),
        {
            "first_name": "Annie",
            "session": "2025F",
            "student_total": "$4,210.00",
            "school_total": "$1,250.00",
            "sheets_url": f"{_PORTAL}/my/sheets/",
        },
    ),
    "payment_sent": MailSpec(
        _("Payment sent"),
        {
            "first_name": "Annie",
            "amount": "$1,052.50",
            "period": "September 2025",
            "reference": "AVQ-LIVING-12345-01",
            "payments_url": f"{_PORTAL}/my/payments/",
        },
    ),
    "claim_refused": MailSpec(
        _("Refused claim (to staff)"),
        {
            "email": "annie@example.org",
            "status_no": "12345",
            "date_of_birth": "2005-03-14",
            "attempts": 2,
            "admin_url": "https://portal.example.org/admin/portal/claimattempt/",
        },
    ),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _compile(text: str) -> Template:
    return Template(text, engine=ENGINE)


def _render(template: Template, context: dict[str, object]) -> tuple[str, list[str]]:
    output = template.render(Context(context, autoescape=False))
    missing = sorted(set(_MISSING_RE.findall(output)))
    return output, missing


def render(*, subject: str, body: str, context: dict[str, object]) -> Rendered:
    """Render one email; a variable the context lacks is an error, never a blank."""
    try:
        subject_out, missing_subject = _render(_compile(subject), context)
        body_out, missing_body = _render(_compile(body), context)
    except TemplateSyntaxError as exc:
        raise MailError(_("template error: %(error)s") % {"error": exc}) from None
    missing = sorted(set(missing_subject + missing_body))
    if missing:
        raise MailError(_("variables not provided: %(names)s") % {"names": ", ".join(missing)})
    # A subject is one line, whatever the template's whitespace.
    return Rendered(subject=" ".join(subject_out.split()), body=body_out.strip() + "\n")


def template_problems(*, code: str, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with a template, per field (empty when nothing): syntax errors, and
    variables its email does not provide (rendered against the catalog's sample)."""
    spec = CATALOG.get(code)
    if spec is None:
        return {"code": [f"unknown email {code!r}"]}
    allowed = ", ".join(sorted(spec.sample)) or "none"
    problems: dict[str, list[str]] = {}
    for name, text in (("subject", subject), ("body", body)):
        try:
            _, missing = _render(_compile(text), dict(spec.sample))
        except TemplateSyntaxError as exc:
            problems[name] = [f"Template syntax error: {exc}"]
            continue
        if missing:
            problems[name] = [
                f"Unknown variable {', '.join(missing)}: this email provides {allowed}."
            ]
    return problems


def preview(*, code: str, subject: str, body: str) -> Rendered:
    """The template rendered with the catalog's sample values (for the admin)."""
    return render(subject=subject, body=body, context=dict(CATALOG[code].sample))
