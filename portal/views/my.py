"""The ``/my/`` pages: a student's own file, and nothing else (404 for the rest)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from avataq.errors import AvataqError
from avataq.http import client_ip
from billing.payments.bank_details import bank_details_set
from billing.pdf import sheet_pdf, sheet_pdf_filename
from documents import filetypes, keys
from documents.services import DocumentRejected, document_download_url
from enrollment.models import ChecklistItem
from enrollment.services import EnrollmentError
from portal import selectors
from portal.forms import ApplyForm, ApplyStartForm, DirectDepositForm, UploadForm
from portal.permissions import student_required
from portal.services.student import PortalError, application_submit, checklist_document_upload

log = logging.getLogger(__name__)
# What became of the last upload, for the documents page to show inside that item's block.
UPLOAD_OUTCOME = "portal.upload_outcome"


@never_cache
@require_GET
@student_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/my_dashboard.html", {"board": selectors.dashboard(request.student)}
    )


@never_cache
@require_GET
@student_required
def enrollments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/my_enrollments.html",
        {
            "enrollments": selectors.student_enrollments(request.student),
            "can_apply": selectors.open_sessions(request.student).exists(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@student_required
def apply(request: HttpRequest) -> HttpResponse:
    """Two short steps: session and school (GET), then program, load and residence."""
    student = request.student
    start = ApplyStartForm(request.GET or request.POST or None, student=student)
    if not start.is_bound or not start.is_valid():
        return render(request, "portal/my_apply.html", {"start": start})
    session, school = start.cleaned_data["session"], start.cleaned_data["school"]
    form = ApplyForm(request.POST if request.method == "POST" else None, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            application_submit(
                student=student,
                session=session,
                school=school,
                program=form.cleaned_data["program"],
                load=form.cleaned_data["load"],
                residence=form.cleaned_data["residence"],
                by=request.user,
            )
        except EnrollmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Your application for %(session)s is sent. Now send the documents it needs.")
                % {"session": session},
            )
            return redirect("portal:documents")
    return render(
        request,
        "portal/my_apply.html",
        {"start": start, "form": form, "session": session, "school": school},
    )


@never_cache
@require_GET
@student_required
def documents(request: HttpRequest) -> HttpResponse:
    items = list(selectors.student_checklist(request.student))
    return render(
        request,
        "portal/my_documents.html",
        {
            "items": items,
            "outcome": request.session.pop(UPLOAD_OUTCOME, None),
            "accept": UploadForm.ACCEPT,
            "max_mb": settings.DOCUMENT_MAX_UPLOAD_SIZE // (1024 * 1024),
        },
    )


def _kind_name(kind: filetypes.FileType) -> str:
    """A kind of file the documents app keeps, as the student reads it."""
    names = {
        filetypes.PDF: _("a PDF document"),
        filetypes.JPEG: _("a JPEG image"),
        filetypes.PNG: _("a PNG image"),
        filetypes.HEIC: _("a HEIC image"),
        filetypes.DOCX: _("a Word document"),
        filetypes.XLSX: _("an Excel workbook"),
    }
    return names.get(kind, kind.label)


def _refusal_reason(exc: Exception, item: ChecklistItem, upload: UploadedFile) -> str:
    """Why an upload was refused, in the student's language. The portal's own refusals
    are translated where they are raised; the documents app words its reasons in English,
    for staff and the logs, so each of its kinds is told here again from the upload
    itself, with the documents app's own checks (size, name, content) — never its text."""
    if isinstance(exc, PortalError):
        if ChecklistItem.objects.filter(pk=item.pk, status=ChecklistItem.Status.ACCEPTED).exists():
            return _("%(type)s is already accepted.") % {"type": item.document_type.label()}
        return str(exc)
    limit = settings.DOCUMENT_MAX_UPLOAD_SIZE
    if getattr(upload, "oversize", False) or upload.size > limit:
        return _("the file is %(size)s; the limit is %(limit)s") % {
            "size": filesizeformat(upload.size),
            "limit": filesizeformat(limit),
        }
    if not upload.size:
        return _("the file is empty")
    try:
        extension = keys.extension_of(upload.name or "")
    except keys.InvalidKey:
        return _("its name must end in .pdf, .jpg, .png or .heic")
    try:
        kind = filetypes.sniff(upload)
    except filetypes.RefusedFile:
        return _(
            "what it holds is not a PDF, JPEG, PNG or HEIC file (its content is checked, "
            "not only its name)"
        )
    except (OSError, ValueError):  # the upload could not be read again
        kind = None
    if kind is not None and extension not in kind.extensions:
        return _(
            "it is %(kind)s but its name ends in .%(extension)s; rename it to end in "
            ".%(expected)s and send it again"
        ) % {
            "kind": _kind_name(kind),
            "extension": extension,
            "expected": sorted(kind.extensions)[0],
        }
    log.warning("upload for checklist item %s refused: %s", item.pk, exc)
    return _("it could not be filed. Write to the sponsorship team: they will help.")


def _tell_at_item(request: HttpRequest, item: ChecklistItem, level: str, text: str) -> None:
    """The outcome is shown inside the item's own block, where the page opens (the
    redirect goes to its anchor): a message at the top of the page would be off-screen."""
    request.session[UPLOAD_OUTCOME] = {"item": item.pk, "level": level, "text": text}


@never_cache
@require_POST
@student_required
def document_upload(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(selectors.student_checklist(request.student), pk=item_id)
    form = UploadForm(request.POST, request.FILES)
    label = item.document_type.label()
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checklist_document_upload(item=item, upload=upload, by=request.user)
        except (DocumentRejected, PortalError) as exc:
            reason = _refusal_reason(exc, item, upload)
            _tell_at_item(
                request,
                item,
                "error",
                _("%(type)s was not sent: %(reason)s") % {"type": label, "reason": reason},
            )
        else:
            _tell_at_item(
                request, item, "success", _("%(type)s received. Thank you.") % {"type": label}
            )
    else:
        _tell_at_item(request, item, "error", _("Choose a file to send."))
    return redirect(reverse("portal:documents") + f"#item-{item.pk}")


@never_cache
@require_GET
@student_required
def document_download(request: HttpRequest, item_id: int) -> HttpResponse:
    """302 to a link valid 60 seconds, recorded like every download."""
    item = get_object_or_404(
        selectors.student_checklist(request.student).filter(document__isnull=False), pk=item_id
    )
    index = selectors.checklist_document_index(request.student, item)
    if index is None:
        raise Http404("no such document")
    url = document_download_url(document=index, user=request.user, ip_address=client_ip(request))
    return redirect(url)


@never_cache
@require_GET
@student_required
def sheets(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/my_sheets.html", {"sheets": selectors.student_sheets(request.student)}
    )


@never_cache
@require_GET
@student_required
def sheet_download(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = get_object_or_404(selectors.student_sheets(request.student), pk=sheet_id)
    pdf = sheet_pdf(sheet, language=request.student.language)
    name = sheet_pdf_filename(sheet, language=request.student.language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@require_GET
@student_required
def payments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/my_payments.html",
        {"payments": selectors.student_payments(request.student)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@student_required
def direct_deposit(request: HttpRequest) -> HttpResponse:
    """The student's bank account for their allowances: the current one masked, whether it
    waits for staff's confirmation, and a form to enter or replace it (which waits too)."""
    student = request.student
    current = selectors.student_bank_details(student)
    form = DirectDepositForm(
        request.POST or None, initial={"holder_name": f"{student.first_name} {student.last_name}"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            bank_details_set(
                student=student,
                by=request.user,
                **{
                    name: form.cleaned_data[name]
                    for name in ("holder_name", "institution", "transit", "account")
                },
            )
        except AvataqError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _(
                    "Your bank details are saved. Staff confirm them before a payment goes there; "
                    "an email tells you of the change."
                ),
            )
            return redirect("portal:direct_deposit")
    return render(request, "portal/my_direct_deposit.html", {"current": current, "form": form})
