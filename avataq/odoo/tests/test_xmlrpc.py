"""``import_odoo odoo+https://user@host/db``: the same records pulled from Odoo's XML-RPC
API, in batches, with the user's API key (a fake Odoo on a loopback port)."""

import pytest

from avataq.models import LegacyRecord
from avataq.odoo.sources import OdooApi
from avataq.odoo.tests.exports import import_odoo
from avataq.odoo.tests.fake_odoo import API_KEY, fake_odoo
from billing.models import ComputingSheet, Match, ScheduledPayment
from scholarships.models import Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def odoo(monkeypatch):
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(OdooApi, "BATCH", 2)
    with fake_odoo() as served:
        yield served


def test_the_api_imports_what_the_exports_hold(odoo):
    url, _server = odoo
    code, output = import_odoo(url)
    assert code == 1, output  # the student without status number, and its inscription
    assert Student.objects.count() == 3
    assert ComputingSheet.objects.count() == 4
    assert ScheduledPayment.objects.count() == 6
    assert Match.objects.count() == 3


def test_the_api_is_read_in_batches_archived_records_included(odoo):
    url, server = odoo
    import_odoo(url, "--only", "student", "--dry-run")
    reads = [
        kw
        for model, method, kw in server.calls
        if (model, method) == ("avataq.student", "search_read")
    ]
    assert [r["offset"] for r in reads] == [0, 2, 4]
    assert all(r["limit"] == 2 and r["context"] == {"active_test": False} for r in reads)


def test_the_final_import_from_exports_recognises_a_rehearsal_from_the_api(odoo, exports):
    url, _server = odoo
    import_odoo(url)
    records = LegacyRecord.objects.count()
    _code, output = import_odoo(str(exports))
    assert LegacyRecord.objects.count() == records
    assert Student.objects.count() == 3 and ScheduledPayment.objects.count() == 6
    assert "Differences (2):" in output  # the refused student and inscription only


def test_a_wrong_api_key_is_one_line_naming_the_user(odoo, monkeypatch):
    url, _server = odoo
    monkeypatch.setenv("ODOO_API_KEY", "wrong")
    code, output = import_odoo(url, "--dry-run")
    assert code == 2
    assert "refused user 'importer@avataq.example.org' on database 'avataq'" in output


def test_a_missing_api_key_is_named(odoo, monkeypatch):
    url, _server = odoo
    monkeypatch.delenv("ODOO_API_KEY")
    code, output = import_odoo(url, "--dry-run")
    assert code == 2
    assert "ODOO_API_KEY" in output


def test_an_odoo_that_does_not_answer_is_named(monkeypatch):
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    code, output = import_odoo("odoo+http://importer@127.0.0.1:9/avataq", "--dry-run")
    assert code == 2
    assert "Odoo at http://127.0.0.1:9 did not answer the sign-in" in output


def import_compatible_exports(folder):
    """The exports as Odoo's import-compatible export writes them: without the computed,
    read-only fields of ``account.payment`` (``is_matched``,
    ``reconciled_statement_line_ids``)."""
    from avataq.odoo.tests.exports import odoo_exports, write_exports

    tables = odoo_exports()
    table = tables["account.payment"]
    for name in ("is_matched", "reconciled_statement_line_ids/id"):
        at = table.column(name)
        del table.header[at]
        for row in table.rows:
            del row[at]
    return write_exports(folder, tables)


def test_an_import_compatible_export_brings_payments_without_their_matches(odoo, tmp_path):
    import_odoo(str(import_compatible_exports(tmp_path / "odoo")))
    assert ScheduledPayment.objects.count() == 6
    assert not Match.objects.exists()
    assert not ScheduledPayment.objects.filter(status="reconciled").exists()


def test_the_matches_come_from_the_api_after_an_import_from_exports(odoo, tmp_path):
    url, _server = odoo
    import_odoo(str(import_compatible_exports(tmp_path / "odoo")))
    _code, output = import_odoo(url, "--only", "payment")
    assert Match.objects.count() == 3
    assert ScheduledPayment.objects.count() == 6  # updated, none made twice
    assert ScheduledPayment.objects.filter(status="reconciled").count() == 3
    line = next(line for line in output.splitlines() if "account.payment" in line)
    assert line.split()[2:6] == ["6", "0", "3", "3"]  # read, created, updated, unchanged


def test_api_datetimes_are_utc_whatever_timezone_the_mapping_gives_exports(odoo, tmp_path):
    import datetime as dt

    from avataq.odoo.mapping import DEFAULT_MAPPING
    from enrollment.models import Enrollment

    url, _server = odoo
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        DEFAULT_MAPPING.read_text(encoding="utf-8").replace(
            'datetime_timezone = "UTC"', 'datetime_timezone = "America/Montreal"'
        ),
        encoding="utf-8",
    )
    import_odoo(url, "--mapping", str(mapping))
    enrollment = Enrollment.objects.get(student__status_no="10234", session__term="fall")
    assert enrollment.submitted_at == dt.datetime(2024, 6, 1, 3, 30, tzinfo=dt.UTC)
