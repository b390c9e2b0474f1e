"""Everything held about one student, as a ZIP: ``data.json`` (structured, commonly used:
the law's portability format) and the student's documents under ``documents/``.

Every query here starts from the student: nothing of another student can be reached
(a school invoice lists several students: only this student's lines are exported)."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from billing.models import (
    BankDetails,
    ComputingSheet,
    Recovery,
    ScheduledPayment,
    SchoolInvoiceLine,
)
from documents.models import DocumentAccess, DocumentIndex
from documents.storage import document_storage
from enrollment.models import ChecklistItem, Enrollment
from portal.models import (
    Account,
    ClaimAttempt,
    CorrectionRequest,
    DataRequest,
    NoticeAcceptance,
    OutgoingEmail,
)
from scholarships.models import Student, StudentRecordAccess

FORMAT_VERSION = 1
# Fields never exported: secrets, and what only says how the row is stored.
NEVER = {"account_ciphertext", "token_hash", "password", "rule_template", "rule_params"}


def _value(obj: models.Model, field: models.Field) -> Any:
    if field.is_relation:
        related = getattr(obj, field.name)
        if related is None:
            return None
        if isinstance(related, AbstractBaseUser):
            return related.get_username()  # who did it, by name: not their account
        return str(related)
    return getattr(obj, field.attname)


def row(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A record's fields by name, related records by their name."""
    skip = NEVER | set(exclude)
    return {
        field.name: _value(obj, field)
        for field in obj._meta.concrete_fields
        if field.name not in skip
    }


def student_data(student: Student) -> dict[str, Any]:
    """The JSON document of everything held about ``student``."""
    enrollments = list(
        Enrollment.objects.filter(student=student)
        .select_related("session", "school", "program", "decided_by")
        .order_by("pk")
    )
    items = ChecklistItem.objects.filter(enrollment__student=student).select_related(
        "document_type", "document", "reviewed_by"
    )
    checklist: dict[int, list] = {}
    for item in items.order_by("pk"):
        checklist.setdefault(item.enrollment_id, []).append(row(item, exclude=["enrollment"]))
    sheets = []
    for sheet in (
        ComputingSheet.objects.filter(enrollment__student=student)
        .select_related("enrollment", "validated_by", "previous")
        .prefetch_related("lines")
        .order_by("pk")
    ):
        sheets.append(
            {
                **row(sheet),
                "lines": [
                    {**row(line, exclude=["sheet", "created_by"]), "why": line.explanation()}
                    for line in sheet.lines.all()
                ],
            }
        )
    details = BankDetails.objects.filter(student=student).first()
    account = Account.objects.filter(user_id=student.user_id).select_related("user").first()
    documents = list(DocumentIndex.objects.filter(student=student).order_by("pk"))
    return {
        "format": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "student": row(student),
        "record_history": [
            {
                "when": record.history_date,
                "by": record.history_user.get_username() if record.history_user else None,
                "change": record.get_history_type_display(),
                **row(
                    record,
                    exclude=[
                        "id",
                        "history_id",
                        "history_date",
                        "history_user",
                        "history_type",
                        "history_change_reason",
                    ],
                ),
            }
            for record in student.history.select_related("history_user", "community").order_by(
                "history_date"
            )
        ],
        "portal_account": account
        and {
            "email": account.email,
            "language": account.language,
            "confirmed_at": account.confirmed_at,
            "created_at": account.created_at,
            "last_login": account.user.last_login,
        },
        "privacy_notices_accepted": [
            row(n, exclude=["account", "id"])
            for n in NoticeAcceptance.objects.filter(account=account).order_by("accepted_at")
        ]
        if account
        else [],
        "claim_attempts": [
            row(c, exclude=["account", "student"])
            for c in ClaimAttempt.objects.filter(student=student).order_by("pk")
        ],
        "enrollments": [{**row(e), "checklist": checklist.get(e.pk, [])} for e in enrollments],
        "computing_sheets": sheets,
        "payments": [
            row(p, exclude=["sheet"])
            for p in ScheduledPayment.objects.filter(enrollment__student=student)
            .select_related("enrollment", "school")
            .order_by("due_date", "pk")
        ],
        "recoveries": [
            row(r)
            for r in Recovery.objects.filter(enrollment__student=student)
            .select_related("enrollment", "sheet")
            .order_by("pk")
        ],
        "school_invoice_lines": [
            {**row(line, exclude=["invoice", "student"]), "invoice": line.invoice.invoice_number}
            for line in SchoolInvoiceLine.objects.filter(student=student)
            .select_related("invoice", "enrollment")
            .order_by("pk")
        ],
        "bank_details": details
        and {
            **row(details, exclude=["school", "account_last3"]),
            "account": details.masked,
        },
        "emails_sent": [
            row(e, exclude=["student", "error", "next_attempt_at", "attempts"])
            for e in OutgoingEmail.objects.filter(student=student).order_by("pk")
        ],
        "documents": [
            {
                **row(d, exclude=["student", "source_model", "source_id", "school"]),
                "file_in_this_archive": f"documents/{d.s3_key}",
            }
            for d in documents
        ],
        "document_accesses": [
            {"document": a.s3_key, "by": a.user.get_username(), "when": a.accessed_at}
            for a in DocumentAccess.objects.filter(document__student=student)
            .select_related("user")
            .order_by("accessed_at")
        ],
        "record_accesses": [
            {"view": a.get_view_display(), "by": a.user.get_username(), "when": a.accessed_at}
            for a in StudentRecordAccess.objects.filter(student=student)
            .select_related("user")
            .order_by("accessed_at")
        ],
        "privacy_requests": [
            row(r, exclude=["student", "export_key"])
            for r in DataRequest.objects.filter(student=student).order_by("pk")
        ],
        "corrections": [
            row(c, exclude=["student", "request"])
            for c in CorrectionRequest.objects.filter(student=student).order_by("pk")
        ],
    }


@contextmanager
def student_export_zip(student: Student) -> Iterator[IO[bytes]]:
    """The ZIP, in a temporary file (spilled to disk past a few megabytes), at its start."""
    data = student_data(student)
    storage = document_storage()
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "data.json",
                json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            )
            for document in data["documents"]:
                key = document["s3_key"]
                if storage.stat(key) is None:
                    continue  # indexed but not stored: the JSON still says it was held
                with (
                    storage.open(key, "rb") as source,
                    archive.open(document["file_in_this_archive"], "w") as target,
                ):
                    shutil.copyfileobj(source, target, 1024 * 1024)
        spool.seek(0)
        yield spool
