"""POST /api/index/: every success and error case of the ingest contract."""

import json

import pytest
from django.core.files.storage import storages
from jsonschema import Draft202012Validator

from documents import api, services
from documents.models import DocumentIndex
from documents.tests.factories import PDF, DocumentIndexFactory, upload
from scholarships.models import Student
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
        "/api/index/",
        payload,
        content_type=extra.pop("content_type", "application/json"),
        **headers,
        **extra,
    )


def test_a_new_object_is_indexed_with_201(client, api_key, stored):
    response = post(client, body(), api_key)

    assert response.status_code == 201
    row = DocumentIndex.objects.get()
    assert (row.s3_key, row.category, row.size, row.filename) == (
        KEY,
        "transcript",
        len(PDF),
        "Transcript Fall.pdf",
    )
    assert response.json() == {
        "id": row.pk,
        "s3_key": KEY,
        "category": "transcript",
        "size": len(PDF),
    }


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
        (body(s3_key="12345/2025-2026/../../x.pdf"), "s3_key", "Not a document key"),
        (body(s3_key="12345/2025-2026/absent.pdf"), "s3_key", "No object exists at this key"),
        (
            body(student_reference="99999", s3_key="99999/2025-2026/x.pdf"),
            "student_reference",
            "No student",
        ),
        (body(student_reference="12a"), "student_reference", "1 to 12 digits"),
        (body(scholar_year="2025-2027"), "scholar_year", "two consecutive years"),
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
    ("payload", "content_type", "status", "message"),
    [
        ("{not json", "application/json", 400, "not valid JSON"),
        ("[1, 2]", "application/json", 400, "must be a JSON object"),
        ('"text"', "application/json", 400, "must be a JSON object"),
        (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        ("a=b", "application/x-www-form-urlencoded", 415, "Send JSON"),
        (json.dumps(body(filename="x" * 20_000)), "application/json", 413, "exceeds"),
    ],
)
def test_malformed_or_oversized_bodies_get_4xx_never_500(
    client, api_key, stored, payload, content_type, status, message
):
    response = post(client, payload, api_key, content_type=content_type)

    assert response.status_code == status
    assert message in response.json()["errors"]["non_field_errors"][0]


def test_other_methods_are_refused(client, api_key):
    assert client.get("/api/index/", HTTP_X_API_KEY=api_key).status_code == 405


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(body(), id="required-fields-only"),
        pytest.param(body(category="schedule"), id="with-a-category"),
        pytest.param(body(category=""), id="empty-category"),
        pytest.param(body(category="proof-of-enrollment"), id="category-with-dashes"),
        pytest.param(body(filename="Relevé de notes (automne).pdf"), id="accented-filename"),
    ],
)
def test_the_published_schema_and_key_header_let_a_body_the_api_indexes_through(
    client, api_key, stored, data
):
    schema = client.get("/api/schema/").json()
    header = schema["components"]["securitySchemes"]["ApiKey"]["name"]

    response = client.post(
        "/api/index/", json.dumps(data), content_type="application/json", headers={header: api_key}
    )

    assert Draft202012Validator(served_request_schema(client)).is_valid(data)
    assert response.status_code == 201, response.content
    assert DocumentIndex.objects.get().s3_key == KEY


@pytest.mark.parametrize("field", list(body()))
def test_the_published_schema_requires_each_field_the_api_requires(client, api_key, stored, field):
    without = {name: value for name, value in body().items() if name != field}

    response = post(client, without, api_key)

    assert not Draft202012Validator(served_request_schema(client)).is_valid(without)
    assert response.status_code == 400
    assert response.json()["errors"][field] == ["This field is required."]


def test_the_api_checks_the_object_in_the_real_bucket(client, api_key, s3):
    StudentFactory(status_no="12345")

    missing = post(client, body(), api_key)
    s3.client.put_object(Bucket=s3.name, Key=KEY, Body=PDF)
    present = post(client, body(), api_key)

    assert missing.status_code == 400
    assert present.status_code == 201


# --- hostile bodies: a 4xx, never a 500, and nothing stored --------------------------------
def test_a_deeply_nested_array_gets_400(client, api_key, stored):
    response = post(client, "[" * 8000 + "]" * 8000, api_key)

    assert response.status_code == 400
    assert "nests deeper" in response.json()["errors"]["non_field_errors"][0]


def test_a_deeply_nested_object_gets_400(client, api_key, stored):
    response = post(client, '{"":' * 3000 + "1" + "}" * 3000, api_key)

    assert response.status_code == 400
    assert not DocumentIndex.objects.exists()


def test_a_lone_surrogate_in_a_string_gets_400(client, api_key, stored):
    payload = json.dumps(body(filename="\ud800.pdf"))  # ensure_ascii: sent as "\ud800"

    response = post(client, payload, api_key)

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"]["non_field_errors"][0]
    assert not DocumentIndex.objects.exists()


def test_a_nul_in_the_api_key_header_gets_401(client, stored):
    response = post(client, body(), "avq_\x00_secret")

    assert response.status_code == 401


def test_a_utf16_body_gets_400_as_json_is_utf8(client, api_key, stored):
    response = post(client, json.dumps(body()).encode("utf-16"), api_key)

    assert response.status_code == 400
    assert not DocumentIndex.objects.exists()


@pytest.mark.parametrize("length", [None, ""], ids=["absent", "empty"])
def test_a_chunked_body_without_content_length_gets_411(client, api_key, stored, length):
    # Gunicorn passes a chunked body with no CONTENT_LENGTH; Django would read it as empty.
    response = post(
        client, json.dumps(body()), api_key, CONTENT_LENGTH=length, HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411
    assert not DocumentIndex.objects.exists()


@pytest.mark.parametrize("length", ["12abc", "-1", "١٢"])
def test_a_malformed_content_length_gets_400(client, api_key, stored, length):
    response = post(client, json.dumps(body()), api_key, CONTENT_LENGTH=length)

    assert response.status_code == 400
    assert "Content-Length" in response.json()["errors"]["non_field_errors"][0]


def test_a_declared_length_over_the_cap_gets_413_unread(client, api_key, stored):
    response = post(client, json.dumps(body()), api_key, CONTENT_LENGTH="20000")

    assert response.status_code == 413


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param('{"filename": ' + "[" * 900 + "]" * 900 + "}", id="deep-field"),
        pytest.param('{"student_reference": 1' + "0" * 5000 + "}", id="huge-integer"),
        pytest.param('{"student_reference": 1e999999}', id="huge-float"),
        pytest.param('{"student_reference": NaN}', id="nan"),
        pytest.param(json.dumps(body(category="\x00")), id="nul-category"),
        pytest.param(json.dumps(body(filename="a\x00.pdf")), id="nul-filename"),
        pytest.param(json.dumps(body(student_reference="1\x00")), id="nul-reference"),
        pytest.param(json.dumps({**body(), "\x00": 1}), id="nul-field-name"),
        pytest.param("null", id="null"),
    ],
)
def test_a_hostile_body_gets_400_and_stores_nothing(client, api_key, stored, payload):
    response = post(client, payload, api_key)

    assert response.status_code == 400
    assert response.json()["errors"]
    assert not DocumentIndex.objects.exists()


def test_a_utf8_body_with_a_byte_order_mark_is_read(client, api_key, stored):
    assert post(client, b"\xef\xbb\xbf" + json.dumps(body()).encode(), api_key).status_code == 201


def test_an_empty_body_gets_400(client, api_key, stored):
    # The test client sends no headers for an empty body; a real client sends these.
    response = post(client, b"", api_key, CONTENT_LENGTH="0", CONTENT_TYPE="application/json")

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"]["non_field_errors"][0]


# --- one source: the API validates against the schema it serves -------------------------
def served_request_schema(client) -> dict:
    schema = client.get("/api/schema/").json()
    return schema["paths"]["/api/index/"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]


def test_the_api_validates_bodies_against_the_schema_it_serves(client):
    assert api.REQUEST_VALIDATOR.schema == served_request_schema(client)


SHAPELESS = [
    pytest.param(body(filename=""), id="empty-filename"),
    pytest.param(body(filename="a/b.pdf"), id="filename-with-slash"),
    pytest.param(body(filename="a\x00.pdf"), id="filename-with-nul"),
    pytest.param(body(filename="a\x85.pdf"), id="filename-with-c1-control"),
    pytest.param(body(filename="x" * 256), id="filename-too-long"),
    pytest.param(body(s3_key="12345/2025-2026/../../x.pdf"), id="key-with-dots"),
    pytest.param(body(s3_key="12345/2025-2026/Transcript.PDF"), id="key-upper-case"),
    pytest.param(body(s3_key="schools/abc/2025-2026/x.pdf"), id="school-key"),
    pytest.param(body(category="no such!"), id="category-not-a-slug"),
    pytest.param(body(student_reference="12a"), id="reference-not-digits"),
    pytest.param(body(student_reference="1234567890123"), id="reference-13-digits"),
    pytest.param(body(student_reference=""), id="reference-empty"),
    pytest.param(body(scholar_year="2025"), id="year-short"),
]


@pytest.mark.parametrize("data", SHAPELESS)
def test_the_served_schema_refuses_a_body_the_api_refuses(client, data):
    assert not Draft202012Validator(served_request_schema(client)).is_valid(data)


@pytest.mark.parametrize("data", SHAPELESS)
def test_a_body_the_schema_refuses_gets_400(client, api_key, stored, data):
    assert post(client, data, api_key).status_code == 400
    assert not DocumentIndex.objects.exists()


def test_a_status_number_such_as_0_is_refused_only_for_naming_no_student(client, api_key):
    # The schema accepts "0" as the API does: only existence, which no schema can say, differs.
    storages["documents"].save_exact("0/2025-2026/transcript.pdf", upload(content=PDF))
    data = body(student_reference="0", s3_key="0/2025-2026/transcript.pdf")
    absent = post(client, data, api_key)
    StudentFactory(status_no="0")

    present = post(client, data, api_key)

    assert api.REQUEST_VALIDATOR.is_valid(data)
    assert absent.json()["errors"] == {"student_reference": ["No student has status number 0."]}
    assert present.status_code == 201


def test_a_pattern_ends_at_the_end_of_the_string_as_in_json_schema():
    # Python's "$" also matches before a final newline; JSON Schema's (ECMA-262) does not.
    assert not api.REQUEST_VALIDATOR.is_valid(body(student_reference="12345\n"))


def test_a_key_whose_year_is_not_two_consecutive_years_gets_400(client, api_key, stored):
    data = body(scholar_year="2025-2027", s3_key="12345/2025-2027/transcript.pdf")

    errors = post(client, data, api_key).json()["errors"]

    assert set(errors) == {"scholar_year", "s3_key"}


def test_a_school_invoice_category_gets_400_in_a_students_folder(client, api_key, stored):
    response = post(client, body(category="school-invoice"), api_key)

    assert response.status_code == 400
    assert "Unknown category" in response.json()["errors"]["category"][0]


def test_every_status_the_api_answers_is_documented(client):
    schema = client.get("/api/schema/").json()

    responses = schema["paths"]["/api/index/"]["post"]["responses"]
    assert set(responses) == {"200", "201", "400", "401", "409", "411", "413", "415"}


# --- the API relabels only what it created -------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "scholarships.studentdocument",
        "enrollment.enrollmentdocument",
        "billing.schoolinvoicedocument",
    ],
)
def test_a_key_indexed_by_the_app_gets_409_and_is_left_alone(client, api_key, stored, source):
    row = DocumentIndexFactory(
        student=Student.objects.get(status_no="12345"),
        s3_key=KEY,
        filename="from the app.pdf",
        category="transcript",
        source_model=source,
        source_id=7,
    )

    response = post(client, body(filename="relabelled.pdf", category="schedule"), api_key)

    assert response.status_code == 409
    assert source in response.json()["errors"]["s3_key"][0]
    row.refresh_from_db()
    assert (row.filename, row.category, row.source_model) == (
        "from the app.pdf",
        "transcript",
        source,
    )


def test_a_row_a_bucket_scan_made_is_relabelled_by_the_producer_and_becomes_its(
    client, api_key, stored
):
    DocumentIndexFactory(
        student=Student.objects.get(status_no="12345"),
        s3_key=KEY,
        filename="scan.pdf",
        source_model="reindex",
    )

    response = post(client, body(filename="Relevé.pdf"), api_key)

    row = DocumentIndex.objects.get()
    assert response.status_code == 200
    assert (row.filename, row.source_model) == ("Relevé.pdf", "api")


def test_a_row_the_api_created_is_a_students_document(client, api_key, stored):
    post(client, body(), api_key)

    row = DocumentIndex.objects.get()
    assert (row.subject, row.source_model, row.student.status_no) == ("student", "api", "12345")
