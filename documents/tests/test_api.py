"""POST /api/index/: every success and error case of the ingest contract."""

import json

import pytest
from django.core.files.storage import storages

from documents import services
from documents.models import DocumentIndex
from documents.tests.factories import PDF, upload
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
KEY = "12345/2025-2026/transcript-fall.pdf"


@pytest.fixture
def api_key() -> str:
    return services.api_key_create(name="scanner")[1]


@pytest.fixture
def stored() -> str:
    StudentFactory(status_no="12345")
    storages["documents"].save_exact(KEY, upload(content=PDF))
    return KEY


def body(**overrides) -> dict:
    return {
        "student_reference": "12345",
        "scholar_year": "2025-2026",
        "s3_key": KEY,
        "filename": "Transcript Fall.pdf",
        **overrides,
    }


def post(client, data, key, **extra):
    payload = data if isinstance(data, (str, bytes)) else json.dumps(data)
    headers = {"HTTP_X_API_KEY": key} if key is not None else {}
    return client.post(
        "/api/index/", payload, content_type=extra.pop("content_type", "application/json"),
        **headers, **extra,
    )  # fmt: skip


def test_a_new_object_is_indexed_with_201(client, api_key, stored):
    response = post(client, body(), api_key)

    assert response.status_code == 201
    row = DocumentIndex.objects.get()
    assert (row.s3_key, row.category, row.size, row.filename) == (
        KEY, "transcript", len(PDF), "Transcript Fall.pdf",
    )  # fmt: skip
    assert response.json() == {"id": row.pk, "s3_key": KEY, "category": "transcript",
                               "size": len(PDF)}  # fmt: skip


def test_the_same_call_twice_updates_with_200_and_leaves_one_row(client, api_key, stored):
    post(client, body(), api_key)

    response = post(client, body(filename="renamed.pdf", category="schedule"), api_key)

    assert response.status_code == 200
    assert DocumentIndex.objects.get().filename == "renamed.pdf"
    assert DocumentIndex.objects.count() == 1


@pytest.mark.parametrize("key", [None, "", "avq_00000000_nope", "not-a-key"])
def test_a_missing_or_unknown_key_gets_401(client, stored, key):
    response = post(client, body(), key)

    assert response.status_code == 401
    assert not DocumentIndex.objects.exists()


def test_a_revoked_key_gets_401(client, stored):
    api_key, plain = services.api_key_create(name="old scanner")
    services.api_key_revoke(api_key=api_key)

    assert post(client, body(), plain).status_code == 401


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            body(s3_key="12345/2024-2025/transcript-fall.pdf"),
            "s3_key",
            "must sit under 12345/2025-2026/",
        ),
        (
            body(s3_key="67890/2025-2026/transcript-fall.pdf"),
            "s3_key",
            "must sit under 12345/2025-2026/",
        ),
        (body(s3_key="12345/2025-2026/../../x.pdf"), "s3_key", "is not a document key"),
        (body(s3_key="12345/2025-2026/absent.pdf"), "s3_key", "No object exists at this key"),
        (
            body(student_reference="99999", s3_key="99999/2025-2026/x.pdf"),
            "student_reference",
            "No student",
        ),
        (body(student_reference="12a"), "student_reference", "is not 1 to 12 digits"),
        (body(scholar_year="2025-2027"), "scholar_year", "not two consecutive years"),
        (body(category="shoes"), "category", "Unknown category"),
        (body(filename="a/b.pdf"), "filename", "without '/'"),
        (body(filename=7), "filename", "Must be a string"),
        (body(student_reference=12345), "student_reference", "Must be a string"),
        ({k: v for k, v in body().items() if k != "s3_key"}, "s3_key", "required"),
        (body(extra="x"), "non_field_errors", "Unknown field(s): extra"),
    ],
)
def test_invalid_fields_get_400_naming_the_field(client, api_key, stored, data, field, message):
    response = post(client, data, api_key)

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert not DocumentIndex.objects.exists()


@pytest.mark.parametrize(
    ("payload", "content_type", "message"),
    [
        ("{not json", "application/json", "not valid JSON"),
        ("[1, 2]", "application/json", "must be a JSON object"),
        ('"text"', "application/json", "must be a JSON object"),
        (b"\xff\xfe", "application/json", "not valid JSON"),
        ("a=b", "application/x-www-form-urlencoded", "Send JSON"),
        (json.dumps(body(filename="x" * 20_000)), "application/json", "exceeds"),
    ],
)
def test_malformed_or_oversized_bodies_get_400_never_500(
    client, api_key, stored, payload, content_type, message
):
    response = post(client, payload, api_key, content_type=content_type)

    assert response.status_code == 400
    assert message in response.json()["errors"]["non_field_errors"][0]


def test_other_methods_are_refused(client, api_key):
    assert client.get("/api/index/", HTTP_X_API_KEY=api_key).status_code == 405


def test_the_request_schema_is_published(client):
    schema = client.get("/api/schema/").json()

    request = schema["paths"]["/api/index/"]["post"]["requestBody"]["content"]["application/json"]
    assert request["schema"]["required"] == ["student_reference", "scholar_year", "s3_key",
                                             "filename"]  # fmt: skip
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"


def test_the_api_checks_the_object_in_the_real_bucket(client, api_key, s3):
    StudentFactory(status_no="12345")

    missing = post(client, body(), api_key)
    s3.client.put_object(Bucket=s3.name, Key=KEY, Body=PDF)
    present = post(client, body(), api_key)

    assert missing.status_code == 400
    assert present.status_code == 201
