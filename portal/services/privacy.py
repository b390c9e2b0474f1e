"""A student's privacy rights as services: requests (recorded, answered within 30 days),
the data export, corrections, the notice accepted, the access log and its alert."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from avataq import locks
from avataq.errors import AvataqError
from avataq.queue import publish_on_commit
from documents.models import DocumentAccess
from documents.storage import document_storage
from portal.models import (
    Account,
    ConfidentialityIncident,
    CorrectionRequest,
    DataRequest,
    NoticeAcceptance,
    PrivacyAlert,
)
from scholarships import services as student_services
from scholarships.models import Student, StudentRecordAccess

log = logging.getLogger(__name__)
EXPORT_KINDS = (DataRequest.Kind.ACCESS, DataRequest.Kind.PORTABILITY)


class PrivacyError(AvataqError):
    code = "privacy"
    default_message = gettext_lazy("This privacy request cannot be handled.")


# --- requests ----------------------------------------------------------------------------
@transaction.atomic
def data_request_create(
    *,
    student: Student,
    kind: str,
    by: AbstractBaseUser | None,
    channel: str = DataRequest.Channel.WRITTEN,
    received_on: dt.date | None = None,
    details: str = "",
) -> DataRequest:
    """Record a request; an access or portability request has its export built in the
    background (offered on the request's page, and in the portal)."""
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise PrivacyError(_("The date received cannot be in the future."))
    request = DataRequest(
        student=student,
        kind=kind,
        channel=channel,
        received_on=received_on,
        details=details,
        handled_by=by if by is not None and by.is_staff else None,
    )
    request.due_on = received_on + dt.timedelta(days=30)
    _validate(request)
    request.save()
    if kind in EXPORT_KINDS:
        from portal.tasks import data_export_build_task

        publish_on_commit(data_export_build_task, request.pk)
    return request


def _validate(obj: object) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise PrivacyError("; ".join(exc.messages)) from None


@transaction.atomic
def data_export_request(*, student: Student, by: AbstractBaseUser) -> DataRequest:
    """ "Download my data" in the portal: one open request at a time (pressing again while
    it is built does not start another: the student's row is locked, so two presses at
    once make one request)."""
    locks.lock(Student.objects.filter(pk=student.pk))
    open_request = DataRequest.objects.filter(
        student=student,
        kind=DataRequest.Kind.PORTABILITY,
        channel=DataRequest.Channel.PORTAL,
        status=DataRequest.Status.OPEN,
    ).first()
    if open_request is not None:
        return open_request
    return data_request_create(
        student=student,
        kind=DataRequest.Kind.PORTABILITY,
        channel=DataRequest.Channel.PORTAL,
        by=by,
    )


def export_key(request: DataRequest) -> str:
    """Where a request's export lives: one key per request, the same on every build."""
    from documents.services import EXPORTS_FOLDER

    return f"{EXPORTS_FOLDER}/{request.student.status_no}/request-{request.pk}.zip"


def data_export_build(*, request_id: int) -> DataRequest:
    """Build the ZIP (its JSON and the documents' files), store it under the request's
    key (a rebuild overwrites the same key), then record it. A request made in the portal
    is answered by its export."""
    from portal.services.export import student_export_zip

    request = DataRequest.objects.select_related("student").get(pk=request_id)
    key = export_key(request)
    with student_export_zip(request.student) as archive:
        document_storage().put(key, File(archive, name=key.rsplit("/", 1)[-1]))
    with transaction.atomic():
        request = locks.lock_one(DataRequest.objects.filter(pk=request_id))
        request.export_key, request.export_built_at = key, timezone.now()
        fields = ["export_key", "export_built_at"]
        if request.channel == DataRequest.Channel.PORTAL and request.is_open:
            request.status, request.closed_at = DataRequest.Status.ANSWERED, timezone.now()
            request.answer = "export"
            fields += ["status", "closed_at", "answer"]
        request.save(update_fields=fields)
    return request


def data_export_url(*, request: DataRequest) -> str:
    """A link to the export valid ``DOCUMENT_URL_TTL`` seconds."""
    if not request.export_key:
        raise PrivacyError(_("The export is not ready yet: try again in a minute."))
    name = f"avataq-{request.student.status_no}-{request.export_built_at:%Y-%m-%d}.zip"
    return document_storage().download_url(
        request.export_key,
        filename=name,
        content_type="application/zip",
        ttl=settings.DOCUMENT_URL_TTL,
    )


@transaction.atomic
def data_request_close(
    *, request: DataRequest, by: AbstractBaseUser, answer: str, refused: bool = False
) -> DataRequest:
    request = locks.lock_one(DataRequest.objects.filter(pk=request.pk))
    if not request.is_open:
        raise PrivacyError(_("This request is closed already."))
    if not answer.strip():
        raise PrivacyError(_("Say what was answered (or why it is refused)."))
    request.status = DataRequest.Status.REFUSED if refused else DataRequest.Status.ANSWERED
    request.answer, request.handled_by, request.closed_at = answer.strip(), by, timezone.now()
    request.save(update_fields=["status", "answer", "handled_by", "closed_at"])
    return request


# --- corrections -------------------------------------------------------------------------
def _shown_value(student: Student, field: str) -> str:
    value = getattr(student, field)
    return "" if value is None else str(value)


def _corrected(student: Student, field: str, proposed: str) -> Student:
    """A copy of ``student`` with ``field`` set to ``proposed``, checked as the record's
    own validation checks it; :class:`PrivacyError` naming the field otherwise."""
    model_field = Student._meta.get_field(field)
    label = str(CorrectionRequest.Field(field).label)
    copy = Student.objects.get(pk=student.pk)
    try:
        value = model_field.to_python(proposed.strip())
        setattr(copy, field, value)
        copy.full_clean(exclude=[f.name for f in Student._meta.fields if f.name != field])
    except ValidationError as exc:
        raise PrivacyError(
            _("%(field)s: %(problem)s") % {"field": label, "problem": " ".join(exc.messages)}
        ) from None
    return copy


@transaction.atomic
def correction_request_create(
    *, student: Student, field: str, proposed_value: str, explanation: str, by: AbstractBaseUser
) -> CorrectionRequest:
    """A student asks for a field of their record to be corrected."""
    if field not in CorrectionRequest.Field.values:
        raise PrivacyError(_("This field cannot be corrected from here: write to us."))
    if not proposed_value.strip():
        raise PrivacyError(_("Give the correct value."))
    _corrected(student, field, proposed_value)
    if _shown_value(student, field) == proposed_value.strip():
        raise PrivacyError(_("This is already the value on file."))
    request = data_request_create(
        student=student,
        kind=DataRequest.Kind.CORRECTION,
        channel=DataRequest.Channel.PORTAL,
        by=by,
        details=explanation,
    )
    correction = CorrectionRequest(
        student=student,
        request=request,
        field=field,
        current_value=_shown_value(student, field)[:200],
        proposed_value=proposed_value.strip()[:200],
        explanation=explanation.strip(),
    )
    _validate(correction)
    correction.save()
    return correction


def _lock_pending(correction: CorrectionRequest) -> CorrectionRequest:
    # The lock order: the student, then what hangs from them.
    locks.lock_one(Student.objects.filter(pk=correction.student_id))
    locked = locks.lock_one(CorrectionRequest.objects.filter(pk=correction.pk))
    if locked.status != CorrectionRequest.Status.PENDING:
        raise PrivacyError(_("This correction was answered already."))
    return locked


@transaction.atomic
def correction_accept(*, correction: CorrectionRequest, by: AbstractBaseUser) -> CorrectionRequest:
    """Apply the correction through the student's update service (its history keeps the
    old and the new value, and who made it)."""
    correction = _lock_pending(correction)
    student = _corrected(correction.student, correction.field, correction.proposed_value)
    student_services.student_save(student=student, by=by)
    correction.status = CorrectionRequest.Status.ACCEPTED
    correction.decided_by, correction.decided_at = by, timezone.now()
    correction.save(update_fields=["status", "decided_by", "decided_at"])
    data_request_close(request=correction.request, by=by, answer="corrected")
    return correction


@transaction.atomic
def correction_refuse(
    *, correction: CorrectionRequest, by: AbstractBaseUser, reason: str
) -> CorrectionRequest:
    if not reason.strip():
        raise PrivacyError(_("Say why the correction is refused: the student reads it."))
    correction = _lock_pending(correction)
    correction.status = CorrectionRequest.Status.REFUSED
    correction.reason = reason.strip()
    correction.decided_by, correction.decided_at = by, timezone.now()
    correction.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    data_request_close(request=correction.request, by=by, answer=reason, refused=True)
    return correction


# --- the privacy notice ------------------------------------------------------------------
def notice_version() -> str:
    return settings.PRIVACY_NOTICE_VERSION


def notice_accepted(account: Account) -> bool:
    return NoticeAcceptance.objects.filter(account=account, version=notice_version()).exists()


@transaction.atomic
def notice_accept(*, account: Account) -> NoticeAcceptance:
    acceptance, _created = NoticeAcceptance.objects.get_or_create(
        account=account, version=notice_version()
    )
    return acceptance


# --- who opened whose file ---------------------------------------------------------------
def files_opened(*, user_id: int, day: dt.date) -> int:
    """How many students' files ``user_id`` opened on ``day``: records seen in the admin
    and students whose documents they downloaded, each student once."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    records = set(
        StudentRecordAccess.objects.filter(
            user_id=user_id, accessed_at__gte=start, accessed_at__lt=end
        ).values_list("student_id", flat=True)
    )
    documents = set(
        DocumentAccess.objects.filter(
            user_id=user_id,
            accessed_at__gte=start,
            accessed_at__lt=end,
            document__student__isnull=False,
        ).values_list("document__student_id", flat=True)
    )
    return len(records | documents)


def privacy_alert_check(*, user_id: int, day: dt.date | None = None) -> PrivacyAlert | None:
    """Tell the privacy officer (``PRIVACY_OFFICER_EMAIL``) when a staff user has opened
    more than ``PRIVACY_ALERT_FILES_PER_DAY`` students' files today: once per user a day.
    A student looking at their own documents never counts."""
    from django.contrib.auth import get_user_model

    from portal.services.mail import Written, absolute_url, mail_queue_written

    day = day or timezone.localdate()
    user = get_user_model().objects.filter(pk=user_id, is_staff=True).first()
    limit = settings.PRIVACY_ALERT_FILES_PER_DAY
    officer = settings.PRIVACY_OFFICER_EMAIL
    if user is None or not officer:
        return None
    count = files_opened(user_id=user_id, day=day)
    if count <= limit:
        return None
    with transaction.atomic():
        alert, created = PrivacyAlert.objects.get_or_create(
            user=user, day=day, defaults={"files": count}
        )
        if not created:
            return None
        report = absolute_url(reverse("admin:portal_privacyalert_change", args=[alert.pk]))
        language = settings.LANGUAGE_CODE  # the officer reads the site's language
        with translation.override(language):
            values = {
                "user": user.get_username(),
                "count": count,
                "limit": limit,
                "day": formats.date_format(day),
                "report": report,
            }
            subject = _("Privacy alert: %(user)s opened %(count)d student files") % values
            body = (
                _(
                    "%(user)s opened %(count)d students' files on %(day)s (the usual limit is "
                    "%(limit)d).\n\nSee %(report)s and the per-student access reports.\n"
                )
                % values
            )
        mail_queue_written(
            code="privacy_alert",
            mails=[Written(to=officer, language=language, subject=subject, body=body)],
        )
    return alert


def student_accesses(student: Student) -> tuple[list, list]:
    """(record views, document downloads) of ``student``'s file, newest first."""
    records = list(StudentRecordAccess.objects.filter(student=student).select_related("user")[:500])
    downloads = list(
        DocumentAccess.objects.filter(document__student=student)
        .select_related("user", "document")
        .order_by("-accessed_at")[:500]
    )
    return records, downloads


def accesses_by_user(student: Student) -> list[dict]:
    """How many times each user opened ``student``'s record."""
    return list(
        StudentRecordAccess.objects.filter(student=student)
        .values("user__username")
        .annotate(count=Count("pk"))
        .order_by("-count")
    )


# --- the confidentiality incident register ----------------------------------------------
@transaction.atomic
def incident_save(
    *, incident: ConfidentialityIncident, students: list[Student], by: AbstractBaseUser
) -> ConfidentialityIncident:
    """Record or update an incident and the people it concerns (picked from the records)."""
    if incident.pk is None:
        incident.recorded_by = by
    _validate(incident)
    incident.save()
    incident.students.set(students)
    if incident.people_count < len(students):
        incident.people_count = len(students)
        incident.save(update_fields=["people_count"])
    return incident
