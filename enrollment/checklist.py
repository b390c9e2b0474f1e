"""The documents an enrollment must provide, and where each one stands.

Staff say which document types are required (for all enrollments, or by school kind or
load); each enrollment then has one checklist item per required type:
``missing → received → accepted``, or ``refused`` (with a reason) until a new upload.
A review is about the document the reviewer saw: when a newer one arrived since, the
review is refused and the newer document waits for its own. Every step is in the item's
history, with who took it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from avataq import locks
from avataq.errors import AvataqError
from documents.models import DocumentType
from documents.services import document_store, storage_atomic
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from enrollment.signals import checklist_item_refused

Item = ChecklistItem.Status


class ChecklistError(AvataqError):
    """A review step that cannot be taken; the message says why."""

    code = "checklist"


class NewerDocumentError(ChecklistError):
    """The student sent a newer document after the reviewer's page was shown."""

    code = "newer_document"
    default_message = _(
        "A newer document arrived since this page was shown; look at it first. Nothing was changed."
    )


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
def checklist_sync(
    *, enrollment: Enrollment, by: AbstractBaseUser | None = None
) -> list[ChecklistItem]:
    """Make sure every required type has its item (new ones start as missing, their
    creation in their history). The enrollment is locked first, so two syncs at once
    add each item once."""
    locks.lock(Enrollment.objects.filter(pk=enrollment.pk))
    present = set(enrollment.checklist.values_list("document_type_id", flat=True))
    missing = [
        ChecklistItem(enrollment=enrollment, document_type=t)
        for t in required_types(enrollment)
        if t.pk not in present
    ]
    if missing:
        bulk_create_with_history(missing, ChecklistItem, default_user=by)
    return list(enrollment.checklist.select_related("document_type"))


@storage_atomic()
def enrollment_document_add(
    *, document: EnrollmentDocument, upload: UploadedFile, by: AbstractBaseUser | None
) -> EnrollmentDocument:
    """Store an enrollment's document; its checklist item (if the type is required) is
    then received, whatever it was (a new upload answers a refusal). One transaction that
    the stored object follows: if the checklist step fails, the object goes too."""
    # The rows first, then the document key's advisory lock (document_store): the order
    # of avataq.locks, the same as a student's upload. The item locked, a review taking
    # place now either ends before (and this upload then waits for its own review) or
    # sees this document and is refused (_review).
    _, found = locks.lock(
        Enrollment.objects.filter(pk=document.enrollment_id),
        ChecklistItem.objects.filter(
            enrollment=document.enrollment, document_type=document.document_type
        ),
    )
    document_store(document=document, upload=upload, by=by)
    checklist_sync(enrollment=document.enrollment, by=by)
    item = (
        found[0]
        if found
        else ChecklistItem.objects.filter(  # required since: checklist_sync made it now
            enrollment=document.enrollment, document_type=document.document_type
        ).first()
    )
    if item is not None:
        item.status, item.document, item.reason = Item.RECEIVED, document, ""
        item.reviewed_by, item.reviewed_at = None, None
        item._history_user = by
        item.save()
    return document


def _review(
    item: ChecklistItem,
    to: str,
    by: AbstractBaseUser,
    document_id: int | None,
    reason: str = "",
) -> ChecklistItem:
    """Review the item's document, provided it is still the one the reviewer saw
    (``document_id``; by default the one ``item`` held when it was read)."""
    seen = item.document_id if document_id is None else document_id
    locked = locks.lock_one(ChecklistItem.objects.filter(pk=item.pk))
    if locked.status == Item.MISSING:
        raise ChecklistError(
            gettext("%(type)s has not been received yet.") % {"type": locked.document_type}
        )
    if locked.document_id != seen:
        raise NewerDocumentError()
    if locked.status == to:
        raise ChecklistError(
            gettext("%(type)s is already %(status)s.")
            % {"type": locked.document_type, "status": locked.get_status_display().lower()}
        )
    locked.status, locked.reason = to, reason
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.full_clean()
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def checklist_item_accept(
    *, item: ChecklistItem, by: AbstractBaseUser, document_id: int | None = None
) -> ChecklistItem:
    """Accept the document the reviewer saw (``document_id``, see :func:`_review`)."""
    return _review(item, Item.ACCEPTED, by, document_id)


@transaction.atomic
def checklist_item_refuse(
    *, item: ChecklistItem, by: AbstractBaseUser, reason: str, document_id: int | None = None
) -> ChecklistItem:
    """Refuse the document the reviewer saw, with a reason the student reads."""
    if not reason.strip():
        raise ChecklistError(gettext("Refusing a document needs a reason the student will read."))
    item = _review(item, Item.REFUSED, by, document_id, reason.strip())
    checklist_item_refused.send(sender=ChecklistItem, item=item)
    return item
