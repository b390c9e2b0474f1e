"""``manage.py import_odoo`` on a folder of Odoo 16 exports: dry run, import, re-run,
verification, interruption, and the errors a person makes."""

import pytest
from django.db import DatabaseError

from avataq.models import LegacyRecord
from avataq.odoo.tests.exports import import_odoo, odoo_exports, write_exports
from billing.models import ComputingSheet, ScheduledPayment
from enrollment.models import Enrollment
from scholarships.models import School, Student

pytestmark = pytest.mark.django_db


def test_dry_run_writes_nothing(exports):
    _code, output = import_odoo(str(exports), "--dry-run")
    assert "dry run: nothing written" in output
    assert LegacyRecord.objects.count() == 0
    assert not Student.objects.exists() and not School.objects.exists()


def test_dry_run_counts_what_it_would_create_per_model(exports):
    _code, output = import_odoo(str(exports), "--dry-run")
    line = next(line for line in output.splitlines() if "account.payment" in line)
    assert line.split()[2:] == ["6", "6", "0", "0", "0", "0"]  # read, create, …, refused


def test_dry_run_names_a_student_without_status_number_by_file_and_line(exports):
    code, output = import_odoo(str(exports), "--dry-run")
    assert code == 1
    # The record above it has a note over two lines: the refused one starts on line 6.
    assert "Student (avataq.student).csv:6: the student has no status number" in output


def test_dry_run_states_the_money_per_session_and_school(exports):
    _code, output = import_odoo(str(exports), "--dry-run")
    money = output[output.index("Money as the source states it") :].splitlines()
    assert ["2024F", "cmv", "5,400.00", "4,500.00", "2,700.00"] in [r.split() for r in money]
    assert ["2024F", "jac", "3,250.50", "2,250.50", "2,250.50"] in [r.split() for r in money]


def test_import_creates_each_record_once_with_its_odoo_origin(imported):
    assert Student.objects.count() == 3
    assert Enrollment.objects.count() == 4
    assert ScheduledPayment.objects.count() == 6
    origin = LegacyRecord.objects.get(
        odoo_model="avataq.student", external_id="avataq_sponsorship.student_tomassie"
    )
    assert origin.target == Student.objects.get(status_no="20456")
    assert origin.odoo_id is None  # a module's external id does not say its database id
    assert (
        LegacyRecord.objects.get(external_id="__export__.avataq_student_42_1a2b3c4d").odoo_id == 42
    )


def test_running_the_import_again_changes_nothing(imported):
    before = sorted(LegacyRecord.objects.values_list("pk", "object_id", "digest", "updated_at"))
    students = sorted(Student.objects.values_list("pk", "updated_at"))
    code, output = import_odoo(str(imported))
    assert code == 1  # still the one student refused, and its inscription
    assert (
        sorted(LegacyRecord.objects.values_list("pk", "object_id", "digest", "updated_at"))
        == before
    )
    assert sorted(Student.objects.values_list("pk", "updated_at")) == students
    table = output[: output.index("Refused")]
    assert all(
        line.split()[3:5] == ["0", "0"]
        for line in table.splitlines()
        if line.strip().startswith(("scholarships.", "enrollment.", "billing.", "portal.Account"))
    ), table


def test_verify_alone_finds_nothing_but_the_refused_rows(imported):
    code, output = import_odoo(str(imported), "--verify")
    assert code == 1
    assert "Differences (2):" in output
    assert "Student (avataq.student).csv:6: not imported" in output
    assert "Inscription (avataq.inscription).csv:7: not imported" in output


def test_verify_names_a_payment_removed_from_the_source(imported, tmp_path):
    tables = odoo_exports()
    tables["account.payment"].remove("__export__.account_payment_504_b0000004")
    folder = write_exports(tmp_path / "again", tables)
    code, output = import_odoo(str(folder), "--verify")
    assert code == 1
    assert (
        "billing.ScheduledPayment: 1 row(s) here came from account.payment records the "
        "source no longer has" in output
    )
    assert "2024F cmv: payments: the source says 3,600.00, here 4,500.00" in output


def test_verify_names_an_amount_changed_here(imported):
    ScheduledPayment.objects.filter(reference="AVQ-2024F-10234-03").update(amount="990.00")
    code, output = import_odoo(str(imported), "--verify")
    assert code == 1
    assert "amount: the source says 900.00, here 990.00" in output
    assert "2024F cmv: payments: the source says 4,500.00, here 4,590.00" in output


def test_verify_names_an_amount_changed_in_the_source(imported, tmp_path):
    tables = odoo_exports()
    tables["account.payment"].set("__export__.account_payment_503_b0000003", "amount", "950.0")
    folder = write_exports(tmp_path / "again", tables)
    code, output = import_odoo(str(folder), "--verify")
    assert code == 1
    assert "__export__.account_payment_503_b0000003 changed in the source" in output


def test_an_interrupted_import_resumes_where_it_stopped(exports, monkeypatch):
    from billing.odoo import PaymentImporter

    def cut(self, items, job):
        raise DatabaseError("server closed the connection unexpectedly")

    with monkeypatch.context() as patched:
        patched.setattr(PaymentImporter, "insert", cut)
        code, output = import_odoo(str(exports))
    assert code == 1 and "the database refused the import" in output
    assert ComputingSheet.objects.count() == 4  # committed before the payments
    assert not ScheduledPayment.objects.exists()  # rolled back

    code, output = import_odoo(str(exports))
    assert ScheduledPayment.objects.count() == 6
    sheets = next(line for line in output.splitlines() if "avataq.computing.sheet " in line)
    assert sheets.split()[2:6] == ["4", "0", "0", "4"]  # read, created, updated, unchanged


def test_only_imports_the_models_named(exports):
    import_odoo(str(exports), "--only", "school", "scholar_year")
    assert School.objects.count() == 2
    assert not Student.objects.exists()


def test_a_missing_folder_is_one_line_naming_it(tmp_path):
    code, output = import_odoo(str(tmp_path / "nowhere"))
    assert code == 2
    assert "nowhere: no such folder" in output


def test_a_missing_export_is_named_before_anything_is_written(exports):
    (exports / "Student (avataq.student).csv").unlink()
    code, output = import_odoo(str(exports))
    assert code == 2
    assert "no export of avataq.student (needed for scholarships.Student)" in output
    assert not School.objects.exists()


def test_a_missing_column_is_named_with_its_file(exports):
    tables = odoo_exports()
    table = tables["avataq.student"]
    at = table.column("birthdate")
    del table.header[at]
    for row in table.rows:
        del row[at]
    write_exports(exports, tables)
    code, output = import_odoo(str(exports))
    assert code == 2
    assert "Student (avataq.student).csv: no column(s) birthdate" in output


def test_a_mapping_naming_an_unknown_field_is_refused_with_its_key(exports, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[student]\nodoo_model = "avataq.student"\n[student.fields]\nshoe_size = "x"\n'
    )
    code, output = import_odoo(str(exports), "--mapping", str(mapping))
    assert code == 2
    assert "mapping.toml: [student.fields] 'shoe_size' is not one of ours" in output


def test_a_mapping_that_is_not_toml_is_refused(exports, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("[student\n")
    code, output = import_odoo(str(exports), "--mapping", str(mapping))
    assert code == 2
    assert "not valid TOML" in output


def test_an_unknown_model_after_only_is_refused(exports):
    code, output = import_odoo(str(exports), "--only", "invoicez")
    assert code == 2
    assert "--only 'invoicez': no such model to import" in output


def test_dry_run_and_verify_together_are_refused(exports):
    code, output = import_odoo(str(exports), "--dry-run", "--verify")
    assert code == 2
    assert "choose one" in output
