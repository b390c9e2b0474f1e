"""The daily reminder of documents still missing: at most one email per student a week."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from enrollment.models import ChecklistItem, Enrollment
from portal.models import OutgoingEmail
from portal.services.mail import absolute_url, mail_queue, student_address
from scholarships.models import Student

REMINDER_EVERY = dt.timedelta(days=7)
# Enrollments whose documents are still awaited (a draft has no checklist yet).


@transaction.atomic
def document_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Queue one ``document_missing`` email per student with missing or refused checklist
    items and no such email in the last week; returns how many were queued."""
    now = now or timezone.now()
    recently = OutgoingEmail.objects.filter(
        template_code="document_missing",
        created_at__gte=now - REMINDER_EVERY,
        student__isnull=False,  # NOT IN over a NULL would exclude everyone
    ).values("student_id")
    items = (
        ChecklistItem.objects.filter(
            status__in=[ChecklistItem.Status.MISSING, ChecklistItem.Status.REFUSED],
            enrollment__status__in=Enrollment.AWAITING_STATUSES,
        )
        .exclude(enrollment__student_id__in=recently)
        .select_related("document_type", "enrollment__session")
        .order_by(
            "enrollment__student_id", "enrollment__session__start_date", "document_type__name"
        )
    )
    missing: dict[int, list[ChecklistItem]] = defaultdict(list)
    for item in items:
        missing[item.enrollment.student_id].append(item)
    students = Student.objects.select_related("user").in_bulk(list(missing))
    url = absolute_url(reverse("portal:documents"))
    queued = 0
    for student_id, student_items in missing.items():
        student = students[student_id]
        if not student_address(student):
            continue
        documents = [
            f"{item.document_type.label(student.language)} ({item.enrollment.session.code})"
            for item in student_items
        ]
        mail_queue(
            code="document_missing",
            to=student_address(student),
            language=student.language,
            context={
                "first_name": student.first_name,
                "documents": documents,
                "documents_url": url,
            },
            student=student,
        )
        queued += 1
    return queued
