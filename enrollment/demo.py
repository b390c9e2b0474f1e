"""Realistic, deterministic demo data: years, sessions, schools, programs, counsellors,
students and their enrollments in every state, each submitted enrollment's checklist, and
the documents of the first ``FILED_STUDENTS`` students (received, accepted, one refused
now and then). Idempotent: the same call twice adds nothing; a larger ``students`` adds
only the missing ones. Rows are bulk-inserted with ``COPY`` (the same rows the services
make, and a first history row each), so 50,000 students take seconds."""

from __future__ import annotations

import datetime as dt
import hashlib
import random  # demo data wants repeatable, not secret, randomness
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from avataq.bulk import copy_insert
from documents import keys
from documents.models import DocumentIndex, DocumentType
from documents.storage import document_storage
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from scholarships.models import (
    Community,
    Program,
    ScholarYear,
    School,
    Session,
    Student,
    StudentUserObjectPermission,
)
from scholarships.services import student_documents_permission

STATUS_NO_BASE = 100_000

FIRST_NAMES = [
    "Alacie",
    "Annie",
    "Elisapie",
    "Jaaji",
    "Lucassie",
    "Mary",
    "Noah",
    "Paulusie",
    "Qumaq",
    "Siasi",
    "Tomasi",
    "Willie",
    "Eva",
    "Maggie",
    "Pita",
    "Johnny",
    "Sarah",
    "Lizzie",
    "Adamie",
    "Minnie",
    "Jobie",
    "Nellie",
    "Charlie",
    "Louisa",
    "Markusi",
    "Annie-Rose",
    "Sammy",
    "Tamusi",
    "Elijah",
    "Akinisie",
    "Aisa",
    "Jessica",
    "Kenny",
    "Saali",
    "Uttuqi",
]
LAST_NAMES = [
    "Annanack",
    "Tukalak",
    "Nappaaluk",
    "Qumaluk",
    "Kasudluak",
    "Saunders",
    "Gordon",
    "May",
    "Tulugak",
    "Iyaituk",
    "Angutigirk",
    "Ningiuruvik",
    "Alaku",
    "Kadjulik",
    "Tukai",
    "Okpik",
    "Mesher",
    "Koneak",
    "Etok",
    "Baron",
    "Cain",
    "Pootoogook",
    "Ittukallak",
    "Novalinga",
    "Watt",
    "Grey",
    "Munick",
    "Inukpuk",
    "Aupalu",
    "Qinuajuak",
    "Arnaituk",
    "Elijassiapik",
]
SCHOOLS = [
    # code, name, kind, city, programs [(name, level)]
    (
        "john-abbott",
        "John Abbott College",
        "cegep",
        "Sainte-Anne-de-Bellevue",
        [
            ("Nunavik Sivunitsavut", "dec_pre"),
            ("Social Science", "dec_pre"),
            ("Nursing", "dec_tech"),
            ("Police Technology", "dec_tech"),
        ],
    ),
    (
        "dawson",
        "Dawson College",
        "cegep",
        "Montréal",
        [("Social Service", "dec_tech"), ("Science", "dec_pre"), ("Illustration", "dec_tech")],
    ),
    (
        "vanier",
        "Vanier College",
        "cegep",
        "Montréal",
        [("Early Childhood Education", "dec_tech"), ("Business Administration", "dec_tech")],
    ),
    (
        "marie-victorin",
        "Cégep Marie-Victorin",
        "cegep",
        "Montréal",
        [("Techniques d'éducation spécialisée", "dec_tech"), ("Sciences humaines", "dec_pre")],
    ),
    (
        "mcgill",
        "McGill University",
        "university",
        "Montréal",
        [
            ("Bachelor of Education", "bachelor"),
            ("Bachelor of Social Work", "bachelor"),
            ("Certificate in Indigenous Education", "certificate"),
        ],
    ),
    (
        "concordia",
        "Concordia University",
        "university",
        "Montréal",
        [("Bachelor of Arts, First Peoples Studies", "bachelor"), ("Master of Arts", "master")],
    ),
    (
        "laval",
        "Université Laval",
        "university",
        "Québec",
        [
            ("Baccalauréat en sciences infirmières", "bachelor"),
            ("Certificat en gestion", "certificate"),
        ],
    ),
    (
        "uqat",
        "Université du Québec en Abitibi-Témiscamingue",
        "university",
        "Val-d'Or",
        [("Baccalauréat en travail social", "bachelor")],
    ),
    (
        "csln-dep",
        "Centre de formation professionnelle Nunavimmi",
        "vocational",
        "Kuujjuaq",
        [("Building Maintenance", "vocational"), ("Heavy Equipment Mechanics", "vocational")],
    ),
    (
        "kativik-adult",
        "Kativik Ilisarniliriniq Adult Education",
        "adult_education",
        "Kuujjuaq",
        [("Secondary Studies", "secondary")],
    ),
    (
        "nunavut-arctic",
        "Nunavut Arctic College",
        "other",
        "Iqaluit",
        [("Environmental Technology", "other")],
    ),
]


@dataclass
class SeedReport:
    students_created: int
    enrollments_created: int
    students_total: int
    documents_filed: int = 0


def _year_start(today: dt.date) -> int:
    return today.year if today.month >= 8 else today.year - 1


def _sessions(first_year: int) -> list[tuple[str, dt.date, dt.date, dt.date]]:
    y = first_year
    return [
        ("fall", dt.date(y, 8, 20), dt.date(y, 12, 20), dt.date(y, 5, 31)),
        ("winter", dt.date(y + 1, 1, 6), dt.date(y + 1, 5, 5), dt.date(y, 10, 31)),
        ("summer", dt.date(y + 1, 5, 12), dt.date(y + 1, 7, 25), dt.date(y + 1, 3, 31)),
    ]


def _seed_calendar(today: dt.date) -> list[Session]:
    current = _year_start(today)
    sessions = []
    for first in (current - 2, current - 1, current):
        year, _ = ScholarYear.objects.get_or_create(
            code=f"{first}-{first + 1}",
            defaults={
                "start_date": dt.date(first, 8, 1),
                "end_date": dt.date(first + 1, 7, 31),
                "is_closed": first < current - 1,
            },
        )
        for term, start, end, deadline in _sessions(first):
            session, _ = Session.objects.get_or_create(
                scholar_year=year,
                term=term,
                defaults={"start_date": start, "end_date": end, "application_deadline": deadline},
            )
            sessions.append(session)
    if not ScholarYear.objects.filter(is_current=True).exists():
        ScholarYear.objects.filter(code=f"{current}-{current + 1}").update(is_current=True)
    return sessions


def _seed_schools() -> list[Program]:
    programs = []
    for code, name, kind, city, offered in SCHOOLS:
        school, _ = School.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "city": city,
                "billing_email": f"bursar@{code}.example",
            },
        )
        for program_name, level in offered:
            program, _ = Program.objects.get_or_create(
                school=school, name=program_name, defaults={"level": level}
            )
            programs.append(program)
    return programs


def _seed_counsellors() -> list:
    User = get_user_model()
    staff_group = Group.objects.filter(name="Counsellors").first()
    counsellors = []
    for username, first, last in [
        ("counsellor.annie", "Annie", "Baron"),
        ("counsellor.pita", "Pita", "Qumaluk"),
        ("counsellor.lucy", "Lucy", "Gordon"),
    ]:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "email": f"{username}@avataq.example",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            if staff_group:
                user.groups.add(staff_group)
        counsellors.append(user)
    return counsellors


def _status_for(session: Session, today: dt.date, rng: random.Random) -> str:
    S = Enrollment.Status
    if session.end_date < today:
        return rng.choices([S.COMPLETED, S.WITHDRAWN, S.REFUSED], weights=[85, 10, 5])[0]
    if session.start_date <= today:
        return rng.choices([S.ACTIVE, S.WITHDRAWN, S.APPROVED], weights=[85, 8, 7])[0]
    return rng.choices([S.SUBMITTED, S.DRAFT, S.APPROVED], weights=[60, 25, 15])[0]


# The documents of this many students are filed (checklists received, accepted, refused;
# their files in the documents storage); the checklists of students past it stay missing.
# Files are what seeding costs most (a folder per student and year): the default demo has
# 400 students, the benchmark's 20,000 would spend most of its time making folders.
FILED_STUDENTS = 2_000
REFUSAL_REASON = "The photo is too blurry to read. Please send a clearer one."
UPLOADED_BEFORE_START = dt.timedelta(days=20)


def _pdf_bytes(title: str) -> bytes:
    text = f"BT /F1 14 Tf 72 720 Td ({title}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n"
        b"4 0 obj<</Length "
        + str(len(text)).encode()
        + b">>stream\n"
        + text
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def demo_pdf(title: str) -> SimpleUploadedFile:
    """A one-page PDF saying ``title``: what a demo student sends."""
    return SimpleUploadedFile(
        f"{slugify(title)}.pdf", _pdf_bytes(title), content_type="application/pdf"
    )


def _item_status(enrollment_status: str, started: bool, rng: random.Random) -> str:
    """Where a checklist item stands, as the enrollment's story goes: an enrollment that
    was paid had its documents; an application waits for some, or had one refused."""
    S, Item = Enrollment.Status, ChecklistItem.Status
    if enrollment_status in (S.COMPLETED, S.WITHDRAWN):
        return Item.ACCEPTED
    if enrollment_status in (S.ACTIVE, S.APPROVED) and started:
        return rng.choices([Item.ACCEPTED, Item.RECEIVED], weights=[85, 15])[0]
    if enrollment_status == S.APPROVED:
        return rng.choices([Item.ACCEPTED, Item.RECEIVED, Item.MISSING], weights=[50, 35, 15])[0]
    if enrollment_status == S.REFUSED:
        return rng.choice([Item.MISSING, Item.RECEIVED])
    return rng.choices(
        [Item.MISSING, Item.RECEIVED, Item.REFUSED, Item.ACCEPTED], weights=[45, 30, 10, 15]
    )[0]


def _requirements() -> list[RequiredDocument]:
    proof = DocumentType.objects.get(code="proof-of-enrollment")
    RequiredDocument.objects.get_or_create(document_type=proof, school_kind="", load="")
    RequiredDocument.objects.get_or_create(
        document_type=DocumentType.objects.get(code="transcript"),
        school_kind="university",
        load="",
    )
    return list(
        RequiredDocument.objects.filter(is_active=True)
        .select_related("document_type")
        .order_by("document_type__name", "pk")
    )


def _seed_checklists(
    students: list[dict], enrollments: list[dict], sessions: list[Session], now: dt.datetime
) -> int:
    """Every submitted enrollment's checklist (what ``enrollment_submit`` makes), and for
    the first ``FILED_STUDENTS`` students the documents its items hold — rows, index rows
    and files, as ``enrollment_document_add`` stores them — and the staff's reviews, with
    ``COPY``. The files are written last: only a failed commit could leave one without its
    row (``verify_documents`` reports it). Returns how many documents were filed."""
    rules = _requirements()
    kinds = dict(Program.objects.values_list("pk", "school__kind"))
    by_session = {session.pk: session for session in sessions}
    students_by_id = {s["id"]: s for s in students}
    filed = {s["id"] for s in students if int(s["status_no"]) - STATUS_NO_BASE <= FILED_STUDENTS}
    Item = ChecklistItem.Status
    items, documents, files = [], [], []
    for enrollment in enrollments:
        if enrollment["status"] == Enrollment.Status.DRAFT:
            continue  # a checklist comes with the submission
        session = by_session[enrollment["session_id"]]
        student = students_by_id[enrollment["student_id"]]
        rng = random.Random(f"checklist-{student['status_no']}-{session.code}")  # noqa: S311
        start = dt.datetime.combine(session.start_date - UPLOADED_BEFORE_START, dt.time(10))
        uploaded = min(now, timezone.make_aware(start))
        for rule in rules:
            if (rule.school_kind and rule.school_kind != kinds[enrollment["program_id"]]) or (
                rule.load and rule.load != enrollment["load"]
            ):
                continue
            status = Item.MISSING
            if enrollment["student_id"] in filed:
                started = session.start_date <= now.date()
                status = _item_status(enrollment["status"], started, rng)
            reviewed = status in (Item.ACCEPTED, Item.REFUSED)
            item = {
                "enrollment_id": enrollment["id"],
                "document_type_id": rule.document_type_id,
                "status": status,
                "reason": REFUSAL_REASON if status == Item.REFUSED else "",
                "reviewed_by_id": student["counsellor_id"] if reviewed else None,
                "reviewed_at": now if reviewed else None,
                "updated_at": now,
            }
            items.append(item)
            if status == Item.MISSING:
                continue
            code = rule.document_type.code
            key = keys.document_key(
                status_no=student["status_no"],
                scholar_year=session.scholar_year.code,
                document_type=code,
                qualifier=session.term,
                filename=f"{code}.pdf",
            ).key
            body = _pdf_bytes(f"{rule.document_type.name} {session} {student['status_no']}")
            item["file"] = key
            files.append((key, body))
            documents.append(
                {
                    "enrollment_id": enrollment["id"],
                    "document_type_id": rule.document_type_id,
                    "file": key,
                    "original_filename": f"{code}.pdf",
                    "content_type": "application/pdf",
                    "size": len(body),
                    "sha256": hashlib.sha256(body).hexdigest(),
                    "uploaded_by_id": None,
                    "uploaded_at": uploaded,
                    # for its index row (COPY reads only the model's fields)
                    "category": code,
                    "scholar_year": session.scholar_year.code,
                }
            )
    copy_insert(EnrollmentDocument, documents)
    document_ids = {
        key: pk
        for chunk in _chunks([d["file"] for d in documents])
        for key, pk in EnrollmentDocument.objects.filter(file__in=chunk).values_list("file", "pk")
    }
    enrollments_by_id = {e["id"]: e for e in enrollments}
    copy_insert(
        DocumentIndex,
        (
            _index_row(d, document_ids[d["file"]], enrollments_by_id, students_by_id, now)
            for d in documents
        ),
    )
    for item in items:
        key = item.pop("file", None)
        item["document_id"] = document_ids[key] if key else None
    copy_insert(ChecklistItem, items)
    item_ids = {
        (enrollment_id, type_id): pk
        for chunk in _chunks(sorted({i["enrollment_id"] for i in items}))
        for enrollment_id, type_id, pk in ChecklistItem.objects.filter(
            enrollment_id__in=chunk
        ).values_list("enrollment_id", "document_type_id", "pk")
    }
    copy_insert(
        ChecklistItem.history.model,
        (
            _created({**i, "id": item_ids[(i["enrollment_id"], i["document_type_id"])]}, now)
            for i in items
        ),
    )
    storage = document_storage()
    written: list[str] = []
    try:
        for key, body in files:
            storage.save_exact(key, ContentFile(body))
            written.append(key)
    except BaseException:
        for key in written:  # nothing of a failed seed stays in the storage
            storage.delete_quietly(key)
        raise
    return len(files)


def _index_row(
    document: dict, pk: int, enrollments: dict, students: dict, now: dt.datetime
) -> dict:
    """The ``DocumentIndex`` row ``document_index_upsert`` makes for a stored document."""
    enrollment = enrollments[document["enrollment_id"]]
    student = students[enrollment["student_id"]]
    return {
        "subject": DocumentIndex.Subject.STUDENT,
        "student_id": student["id"],
        "student_reference": student["status_no"],
        "scholar_year": document["scholar_year"],
        "category": document["category"],
        "school_id": enrollment["school_id"],
        "s3_key": document["file"],
        "filename": document["original_filename"],
        "content_type": document["content_type"],
        "size": document["size"],
        "sha256": document["sha256"],
        "source_model": EnrollmentDocument._meta.label_lower,
        "source_id": pk,
        "created_at": now,
        "indexed_at": now,
    }


def _chunks(values: list, size: int = 10_000) -> list[list]:
    """Keeps each ``IN (…)`` well under PostgreSQL's 65,535 parameters."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def _created(row: dict, when: dt.datetime) -> dict:
    return {**row, "history_date": when, "history_type": "+", "history_change_reason": "demo data"}


@transaction.atomic
def demo_seed(*, students: int) -> SeedReport:
    today = timezone.localdate()
    now = timezone.now()
    sessions = _seed_calendar(today)
    programs = _seed_schools()
    counsellors = _seed_counsellors()
    communities = list(Community.objects.order_by("pk"))

    wanted = [str(STATUS_NO_BASE + i) for i in range(1, students + 1)]
    existing = set(Student.objects.filter(status_no__in=wanted).values_list("status_no", flat=True))
    new_students: list[dict] = []
    for index, status_no in enumerate(wanted, start=1):
        if status_no in existing:
            continue
        rng = random.Random(index)  # noqa: S311  (per student: a re-run makes the same person)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        married = rng.random() < 0.25
        new_students.append(
            {
                "status_no": status_no,
                "first_name": first,
                "last_name": last,
                "date_of_birth": dt.date(
                    rng.randint(1975, 2007), rng.randint(1, 12), rng.randint(1, 28)
                ),
                "email": f"{first}.{last}.{status_no}@students.example".lower().replace("-", ""),
                "phone": f"819-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                "community_id": rng.choice(communities).pk,
                "marital_status": "married" if married else "single",
                "dependants": rng.choices([0, 1, 2, 3, 4], weights=[60, 15, 12, 8, 5])[0],
                "counsellor_id": rng.choice(counsellors).pk,
                "created_at": now,
                "updated_at": now,
            }
        )
    copy_insert(Student, new_students)
    ids = {
        status_no: pk
        for chunk in _chunks([s["status_no"] for s in new_students])
        for status_no, pk in Student.objects.filter(status_no__in=chunk).values_list(
            "status_no", "pk"
        )
    }

    enrollments: list[dict] = []
    for student in new_students:
        rng = random.Random(f"enrollment-{student['status_no']}")  # noqa: S311
        program = rng.choice(programs)
        for session in rng.sample(sessions, k=rng.randint(1, 3)):
            status = _status_for(session, today, rng)
            decided = status not in (Enrollment.Status.DRAFT, Enrollment.Status.SUBMITTED)
            withdrawn = status == Enrollment.Status.WITHDRAWN
            enrollments.append(
                {
                    "student_id": ids[student["status_no"]],
                    "session_id": session.pk,
                    "school_id": program.school_id,
                    "program_id": program.pk,
                    "load": rng.choices(Enrollment.Load.values, weights=[80, 20])[0],
                    "credits": Decimal(rng.choice(["12", "15", "18", "6", "9"])),
                    "residence": rng.choices(Enrollment.Residence.values, weights=[10, 30, 60])[0],
                    "status": status,
                    "submitted_at": now if status != Enrollment.Status.DRAFT else None,
                    "decided_by_id": student["counsellor_id"] if decided else None,
                    "decided_at": now if decided else None,
                    "withdrawn_on": min(session.end_date, today) if withdrawn else None,
                    "status_reason": "Left the program (demo)." if withdrawn else "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    copy_insert(Enrollment, enrollments)
    enrollment_ids = [
        row
        for chunk in _chunks(list(ids.values()))
        for row in Enrollment.objects.filter(student_id__in=chunk).values_list(
            "student_id", "session_id", "pk"
        )
    ]
    # A first history row for each, so the admin's history shows later changes as diffs.
    for student in new_students:
        student["id"] = ids[student["status_no"]]
    copy_insert(Student.history.model, (_created(row, now) for row in new_students))
    keys = {(e["student_id"], e["session_id"]): e for e in enrollments}
    for student_id, session_id, pk in enrollment_ids:
        keys[(student_id, session_id)]["id"] = pk
    copy_insert(Enrollment.history.model, (_created(row, now) for row in enrollments))
    # Each counsellor sees the documents of their own students (object permissions).
    permission = student_documents_permission()
    copy_insert(
        StudentUserObjectPermission,
        (
            {
                "user_id": s["counsellor_id"],
                "content_object_id": s["id"],
                "permission_id": permission.pk,
            }
            for s in new_students
        ),
    )
    documents = _seed_checklists(new_students, enrollments, sessions, now)
    return SeedReport(
        students_created=len(new_students),
        enrollments_created=len(enrollments),
        students_total=len(existing) + len(new_students),
        documents_filed=documents,
    )
