import io

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from documents.management.commands._base import EXIT_PROBLEMS
from documents.models import ApiKey, DocumentIndex
from documents.services import api_key_authenticate
from documents.tests.factories import upload
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_key_that_authenticates():
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_key", "scanner", stdout=out, stderr=err)

    assert api_key_authenticate(presented=out.getvalue().strip()) == ApiKey.objects.get()
    assert "cannot be shown again" in err.getvalue()


def test_create_api_key_refuses_a_name_in_use_and_exits_1():
    call_command("create_api_key", "scanner", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("create_api_key", "scanner", stdout=out, stderr=io.StringIO())

    # A CommandError is what manage.py prints as one line, exiting with its returncode.
    assert str(refused.value) == "API key with this Name already exists."
    assert refused.value.returncode == EXIT_PROBLEMS == 1
    assert out.getvalue() == ""  # no key printed
    assert ApiKey.objects.count() == 1


def test_reindex_documents_reports_what_it_did():
    StudentFactory(status_no="12345")
    storages["documents"].save_exact("12345/2025-2026/identity.pdf", upload())
    out = io.StringIO()

    call_command("reindex_documents", "--prefix", "12345/", stdout=out, stderr=io.StringIO())

    assert "1 indexed, 0 updated, 0 unchanged, 0 skipped." in out.getvalue()
    assert DocumentIndex.objects.count() == 1


def test_verify_documents_exits_non_zero_when_index_and_storage_disagree():
    StudentFactory(status_no="12345")
    storages["documents"].save_exact("12345/2025-2026/identity.pdf", upload())
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_documents", stdout=out)

    assert exit_info.value.code == 1
    assert "not indexed: 12345/2025-2026/identity.pdf" in out.getvalue()


def test_verify_documents_says_so_when_all_agree():
    out = io.StringIO()

    call_command("verify_documents", stdout=out)

    assert "index and storage agree" in out.getvalue()


def test_verify_documents_reports_content_that_differs_from_the_index():
    StudentFactory(status_no="12345")
    storage = storages["documents"]
    storage.save_exact("12345/2025-2026/identity.pdf", upload())
    call_command("reindex_documents", stdout=io.StringIO(), stderr=io.StringIO())
    DocumentIndex.objects.update(sha256="0" * 64)
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_documents", stdout=out)

    assert exit_info.value.code == 1
    assert "content mismatch: 12345/2025-2026/identity.pdf (index sha256 000" in out.getvalue()


def test_verify_documents_settle_removes_what_a_failed_upload_left_pending():
    import os
    import time

    from documents.services import pending_key

    storage = storages["documents"]
    pending = pending_key("12345/2025-2026/identity.pdf")
    storage.save_exact(pending, upload())
    an_hour_ago = time.time() - 3600
    os.utime(storage.path(pending), (an_hour_ago, an_hour_ago))
    out = io.StringIO()

    call_command("verify_documents", "--settle", stdout=out)

    assert f"removed pending: {pending}" in out.getvalue()
    assert "index and storage agree" in out.getvalue()
    assert list(storage.iter_objects()) == []


@pytest.mark.parametrize("command", ["verify_documents", "reindex_documents", "create_api_key"])
def test_each_documents_command_states_its_exit_codes_in_its_help(command):
    from django.core.management import load_command_class

    help_text = load_command_class("documents", command).help

    assert "Exit codes: 0 done;" in help_text
    assert "2 a dependency (the document storage, the database) did not answer" in help_text


def test_create_api_key_exits_2_with_one_line_when_the_database_is_unreachable():
    import os
    import subprocess
    import sys

    from django.conf import settings

    run = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", "scanner"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("CommandError: the database did not answer: ")
    assert len(run.stderr.strip().splitlines()) == 1
