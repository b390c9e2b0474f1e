import io

import pytest
from django.core.files.storage import storages
from django.core.management import call_command

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


def test_create_api_key_refuses_a_name_in_use():
    call_command("create_api_key", "scanner", stdout=io.StringIO(), stderr=io.StringIO())

    with pytest.raises(Exception, match="already exists"):
        call_command("create_api_key", "scanner", stdout=io.StringIO(), stderr=io.StringIO())


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
