import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from avataq.tests.factories import StaffUserFactory
from scholarships.models import Student
from scholarships.services import ImportFileError, students_import
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

HEADER = "status_no,first_name,last_name,date_of_birth,community,email,marital_status,dependants"
GOOD = f"""{HEADER}
10001,Annie,Qumaluk,2001-03-04,Puvirnituq,annie@example.org,single,0
10002,Jaaji,Tukalak,1999-11-30,kuujjuaq,,married,2
"""


def run_import(text: str, **kwargs):
    return students_import(lines=io.StringIO(text), **kwargs)


def test_a_good_file_creates_every_student():
    report = run_import(GOOD)

    assert (report.created, report.updated, report.errors) == (2, 0, [])
    jaaji = Student.objects.get(status_no="10002")
    assert jaaji.community.name == "Kuujjuaq"
    assert jaaji.date_of_birth == dt.date(1999, 11, 30)
    assert (jaaji.marital_status, jaaji.dependants) == ("married", 2)


def test_importing_the_same_file_again_changes_nothing():
    run_import(GOOD)
    before = list(Student.objects.order_by("pk").values())

    report = run_import(GOOD)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Student.objects.order_by("pk").values()) == before
    assert Student.history.count() == 2  # no new history rows either


def test_a_known_status_no_updates_that_student():
    StudentFactory(status_no="10001", first_name="Anni", dependants=0)

    report = run_import(GOOD)

    assert (report.created, report.updated) == (1, 1)
    annie = Student.objects.get(status_no="10001")
    assert (annie.first_name, annie.last_name) == ("Annie", "Qumaluk")


def test_columns_absent_from_the_file_are_left_alone_on_update():
    StudentFactory(status_no="10001", phone="819-555-0101")

    run_import(GOOD)

    assert Student.objects.get(status_no="10001").phone == "819-555-0101"


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_are_kept():
    text = f"""{HEADER}
10001,Annie,Qumaluk,2001-03-04,Puvirnituq,,single,0
12a45,Bad,Number,2001-03-04,Puvirnituq,,single,0
10003,Bad,Date,04/03/2001,Puvirnituq,,single,0
10004,Bad,Place,2001-03-04,Montreal,,single,0
10005,Bad,Status,2001-03-04,Salluit,,complicated,0
10006,Bad,Email,2001-03-04,Salluit,not-an-email,single,0
10007,,Noname,2001-03-04,Salluit,,single,0
10001,Annie,Again,2001-03-04,Puvirnituq,,single,0
10008,Bad,Kids,2001-03-04,Salluit,,single,-1
10009,Ok,Row,2000-01-01,Salluit,,widowed,1
"""
    report = run_import(text)

    assert report.created == 2
    assert sorted(Student.objects.values_list("status_no", flat=True)) == ["10001", "10009"]
    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "status_no" in errors[3]
    assert "YYYY-MM-DD" in errors[4]
    assert "unknown community 'Montreal'" in errors[5]
    assert "marital_status 'complicated'" in errors[6]
    assert "email" in errors[7]
    assert "first_name is empty" in errors[8]
    assert "repeats line 2" in errors[9]
    assert "dependants '-1'" in errors[10]


def test_a_date_of_birth_in_the_future_is_refused():
    report = run_import(f"{HEADER}\n10001,Annie,Qumaluk,2999-01-01,Salluit,,single,0\n")

    assert report.errors == [(2, "date_of_birth 2999-01-01 is in the future")]


def test_a_missing_required_column_refuses_the_whole_file():
    with pytest.raises(ImportFileError, match=r"missing column.*date_of_birth"):
        run_import("status_no,first_name,last_name,community\n1,A,B,Salluit\n")
    assert not Student.objects.exists()


def test_an_unknown_column_refuses_the_whole_file():
    with pytest.raises(ImportFileError, match=r"unknown column.*shoe_size"):
        run_import(f"{HEADER},shoe_size\n")


def test_a_row_with_more_cells_than_the_header_is_refused():
    report = run_import(f"{HEADER}\n10001,Annie,Qumaluk,2001-03-04,Salluit,,single,0,extra\n")

    assert report.errors == [(2, "more cells than columns in the header")]


def test_dry_run_reports_but_writes_nothing():
    report = run_import(GOOD, dry_run=True)

    assert report.created == 2
    assert not Student.objects.exists()


def test_imported_students_have_a_history_naming_who_imported():
    staff = StaffUserFactory()

    run_import(GOOD, by=staff)

    record = Student.objects.get(status_no="10001").history.get()
    assert record.history_user == staff
    assert record.history_type == "+"


def test_command_imports_and_summarises(tmp_path, capsys):
    path = tmp_path / "students.csv"
    path.write_text(GOOD, encoding="utf-8")

    call_command("import_students", str(path))

    assert "2 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert Student.objects.count() == 2


def test_command_reads_a_file_saved_by_excel_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "students.csv"
    path.write_text(GOOD, encoding="utf-8-sig")

    call_command("import_students", str(path))

    assert Student.objects.count() == 2


def test_command_fails_naming_each_bad_line_but_keeps_the_good_ones(tmp_path, capsys):
    path = tmp_path / "students.csv"
    path.write_text(GOOD + "10003,X,Y,2001-13-01,Salluit,,single,0\n")

    with pytest.raises(CommandError, match="1 row"):
        call_command("import_students", str(path))

    assert f"{path}:4: date_of_birth '2001-13-01'" in capsys.readouterr().err
    assert Student.objects.count() == 2


def test_command_refuses_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_students", "/nonexistent/students.csv")


def test_command_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(GOOD.replace("Annie", "Ann\xe9e").encode("latin-1"))

    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_students", str(path))
    assert not Student.objects.exists()


def test_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "students.csv"
    path.write_text(GOOD)

    call_command("import_students", str(path), "--dry-run")

    assert "would be applied" in capsys.readouterr().out
    assert not Student.objects.exists()
