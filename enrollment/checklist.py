"""The documents an enrollment must provide, and where each one stands.

Staff say which document types are required (for all enrollments, or by school kind or
load); each enrollment then has one checklist item per required type:
``missing → received → accepted``, or ``refused`` (with a reason) until a new upload.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from documents.models import DocumentType
from documents.services import document_store, storage_atomic
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from enrollment.signals import checklist_item_refused

Item = ChecklistItem.Status


class ChecklistError(Exception):
    """A review step that cannot be taken; the message says why."""


def required_types(enrollment: Enrollment) -> list[DocumentType]:
    rules = RequiredDocument.objects.filter(is_active=True).select_related("document_type")
    types = {rule.document_type for rule in rules if rule.applies_to(enrollment)}
    return sorted(types, key=lambda t: t.name)


def checklist_outstanding(enrollment: Enrollment) -> list[DocumentType]:
    """Required types with no document received or accepted: what billing waits for."""
    satisfied = set(
        enrollment.checklist.filter(status__in=[Item.RECEIVED, Item.ACCEPTED]).values_list(
            "document_type_id", flat=True
        )
    )
    return [t for t in required_types(enrollment) if t.pk not in satisfied]


@transaction.atomic
def checklist_sync(*, enrollment: Enrollment) -> list[ChecklistItem]:
    """Make sure every required type has its item (new ones start as missing)."""
    ChecklistItem.objects.bulk_create(
        [ChecklistItem(enrollment=enrollment, document_type=t) for t in required_types(enrollment)],
        ignore_conflicts=True,
    )
    return list(enrollment.checklist.select_related("document_type"))


@storage_atomic()
def enrollment_document_add(
    *, document: EnrollmentDocument, upload: UploadedFile, by: AbstractBaseUser | None
) -> EnrollmentDocument:
    """Store an enrollment's document; its checklist item (if the type is required) is
    then received, whatever it was (a new upload answers a refusal). One transaction that
    the stored object follows: if the checklist step fails, the object goes too."""
    document_store(document=document, upload=upload, by=by)
    checklist_sync(enrollment=document.enrollment)
    ChecklistItem.objects.filter(
        enrollment=document.enrollment, document_type=document.document_type
    ).update(
        status=Item.RECEIVED, document=document, reason="", reviewed_by=None, reviewed_at=None,
        updated_at=timezone.now(),
    )  # fmt: skip
    return document


def _review(item: ChecklistItem, to: str, by: AbstractBaseUser, reason: str = "") -> ChecklistItem:
    locked = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    if locked.status == Item.MISSING:
        raise ChecklistError(f"{locked.document_type} has not been received yet.")
    if locked.status == to:
        raise ChecklistError(
            f"{locked.document_type} is already {locked.get_status_display().lower()}."
        )
    locked.status, locked.reason = to, reason
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def checklist_item_accept(*, item: ChecklistItem, by: AbstractBaseUser) -> ChecklistItem:
    return _review(item, Item.ACCEPTED, by)


@transaction.atomic
def checklist_item_refuse(
    *, item: ChecklistItem, by: AbstractBaseUser, reason: str
) -> ChecklistItem:
    if not reason.strip():
        raise ChecklistError("Refusing a document needs a reason the student will read.")
    item = _review(item, Item.REFUSED, by, reason.strip())
    checklist_item_refused.send(sender=ChecklistItem, item=item)
    return item
