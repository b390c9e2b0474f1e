"""What a student does in the portal: apply for a session, send a document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from avataq import locks
from avataq.errors import AvataqError, DependencyUnavailable
from documents.services import storage_atomic
from enrollment.checklist import enrollment_document_add
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument
from enrollment.services import enrollment_create, enrollment_submit
from scholarships.models import Program, School, Session, Student

# A document can still be sent (or sent again) for items in these states…
# …of an enrollment still under way (``Enrollment.takes_documents``).
# Every upload keeps its object: a student sends one item's document a few times at
# most, and a few dozen files a day; past that it is a fault or an abuse.
VERSIONS_PER_ITEM = 5
UPLOADS_PER_DAY = 20


class PortalError(AvataqError):
    """A student's request that cannot be carried out; the message says why."""

    code = "portal"


@transaction.atomic
def application_submit(
    *,
    student: Student,
    session: Session,
    school: School,
    program: Program,
    load: str,
    residence: str,
    credits: Decimal = Decimal("0"),
    by: AbstractBaseUser,
) -> Enrollment:
    """The student's application: a new enrollment, submitted at once (the checklist of
    documents follows), through the enrollment workflow."""
    enrollment = enrollment_create(
        student=student,
        session=session,
        school=school,
        program=program,
        load=load,
        residence=residence,
        credits=credits,
        by=by,
    )
    return enrollment_submit(enrollment=enrollment, by=by)


@storage_atomic()
def checklist_document_upload(
    *, item: ChecklistItem, upload: UploadedFile, by: AbstractBaseUser
) -> EnrollmentDocument:
    """A student's document for one checklist item: stored with every rule of the
    documents app (type sniffing, size, key), and the item becomes received. The document
    storage not answering is a :class:`PortalError` the upload form shows: nothing was
    kept (no document, no object, the item as it was)."""
    # The student, the enrollment and the item, in the project's lock order (avataq.locks)
    # as every path that touches them: two uploads of one student count each other, and
    # the item stays locked until the new document is in, so a staff review of it waits
    # and then sees what was sent.
    [student], _enrollment, [item] = locks.lock(
        Student.objects.filter(enrollments__checklist=item),
        Enrollment.objects.filter(checklist=item),
        ChecklistItem.objects.filter(pk=item.pk).select_related("enrollment", "document_type"),
    )
    if item.status not in ChecklistItem.UPLOADABLE_STATUSES:
        raise PortalError(_("%(type)s is already accepted.") % {"type": item.document_type})
    if not item.enrollment.takes_documents:
        raise PortalError(_("This enrollment is closed: it takes no more documents."))
    sent = EnrollmentDocument.objects.filter(
        enrollment=item.enrollment, document_type=item.document_type
    )
    if sent.count() >= VERSIONS_PER_ITEM:
        raise PortalError(
            _(
                "You have already sent this document %(count)d times. Write to the "
                "sponsorship team if it must be replaced again."
            )
            % {"count": VERSIONS_PER_ITEM}
        )
    today = EnrollmentDocument.objects.filter(
        enrollment__student=student, uploaded_at__gte=timezone.now() - dt.timedelta(days=1)
    )
    if today.count() >= UPLOADS_PER_DAY:
        raise PortalError(
            _("You have sent %(count)d files today, the most in one day. Try again tomorrow.")
            % {"count": UPLOADS_PER_DAY}
        )
    document = EnrollmentDocument(enrollment=item.enrollment, document_type=item.document_type)
    try:
        return enrollment_document_add(document=document, upload=upload, by=by)
    except DependencyUnavailable as exc:
        raise PortalError(
            _(
                "the document storage is not answering right now. Nothing was kept; "
                "please send it again in a minute."
            )
        ) from exc
