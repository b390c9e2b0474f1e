import pytest
from django.core.management import CommandError, call_command

from enrollment.demo import demo_seed
from enrollment.models import Enrollment
from scholarships.models import ScholarYear, Student

pytestmark = pytest.mark.django_db


def test_seed_creates_the_students_asked_for_with_enrollments():
    report = demo_seed(students=30)

    assert report.students_created == Student.objects.count() == 30
    assert Enrollment.objects.count() == report.enrollments_created >= 30
    assert ScholarYear.objects.filter(is_current=True).count() == 1


def test_seeding_twice_adds_nothing():
    demo_seed(students=30)

    report = demo_seed(students=30)

    assert (report.students_created, report.enrollments_created) == (0, 0)
    assert Student.objects.count() == 30


def test_seeding_more_adds_only_the_missing_students():
    demo_seed(students=10)

    report = demo_seed(students=25)

    assert report.students_created == 15
    assert Student.objects.count() == 25


def test_seeded_data_satisfies_model_validation():
    demo_seed(students=20)

    for enrollment in Enrollment.objects.select_related("program", "session__scholar_year"):
        enrollment.full_clean()


def test_command_refuses_more_than_fifty_thousand_students():
    with pytest.raises(CommandError, match="between 0 and 50,000"):
        call_command("seed_demo", "--students", "50001")


def test_seeded_rows_start_their_history_so_later_changes_show_as_diffs():
    demo_seed(students=5)

    student = Student.objects.first()
    assert student.history.get().history_type == "+"
    enrollment = Enrollment.objects.first()
    assert enrollment.history.get().status == enrollment.status


def test_seed_files_each_checklist_document_with_its_index_row_and_its_file(
    django_capture_on_commit_callbacks,
):
    from documents.models import DocumentIndex
    from documents.storage import document_storage
    from enrollment.models import EnrollmentDocument

    with django_capture_on_commit_callbacks(execute=True):
        demo_seed(students=5)

    documents = list(EnrollmentDocument.objects.select_related("enrollment__student"))
    assert documents
    assert DocumentIndex.objects.count() == len(documents)
    assert all(d.key.startswith(d.enrollment.student.status_no + "/") for d in documents)
    storage = document_storage()
    assert all(storage.stat(d.key).size == d.size for d in documents)
