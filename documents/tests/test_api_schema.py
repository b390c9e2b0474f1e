"""The ingest API against its own published schema: schemathesis generates requests from
documents.openapi.SCHEMA (valid and invalid) and checks every answer against it; hypothesis
throws arbitrary JSON and bytes at it. Never a server error; a refusal stores nothing."""

import copy
import json

import hypothesis
import pytest
import schemathesis
from django.core.files.storage import storages
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from avataq.wsgi import application
from documents import api, keys, services
from documents.models import DocumentIndex
from documents.openapi import INDEX_REQUEST, SCHEMA
from documents.tests.factories import PDF, DocumentIndexFactory, upload
from scholarships.tests.factories import StudentFactory

# The real PostgreSQL test database. Schemathesis calls the WSGI app in this thread, so its
# requests see (and roll back with) each test's rows (see wsgi_app). Not transaction=True:
# its flush would also wipe the document types the migrations seed, which the checks read.
pytestmark = pytest.mark.django_db

KEY = "12345/2025-2026/transcript-fall.pdf"
APP_KEY = "12345/2025-2026/identity.pdf"  # indexed by an upload: the API may not relabel it
DOCUMENTED = {int(status) for status in SCHEMA["paths"]["/api/index/"]["post"]["responses"]}
FIELDS = sorted(INDEX_REQUEST["properties"])
# Each hypothesis test runs many requests in one test: the fixtures are set up once for all.
PROPERTY = hypothesis.settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api_key() -> str:
    return services.api_key_create(name="scanner")[1]


@pytest.fixture
def stored(settings) -> None:
    """A student with one object the API may index and one the app already indexed."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    student = StudentFactory(status_no="12345")
    for key in (KEY, APP_KEY):
        storages["documents"].save_exact(key, upload(content=PDF))
    DocumentIndexFactory(
        student=student,
        s3_key=APP_KEY,
        category="identity",
        source_model="scholarships.studentdocument",
        source_id=1,
    )


# --- schemathesis: the API conforms to the schema it serves --------------------------------
schema = schemathesis.openapi.from_dict(copy.deepcopy(SCHEMA))
schema.config.generation.update(max_examples=50)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # Bodies that break the schema get a 4xx. (Not positive_data_acceptance: a status number
    # can match the pattern and still name no student.)
    negative_data_rejection,
]


# Schemathesis builds its explicit and coverage cases when the test is collected, before
# any fixture has made a key: they carry this stand-in, swapped for the real key when sent.
# Cases that leave the key out or spoil it on purpose (negative ones) never carry it.
KEY_STAND_IN = "avq_stand-in"


@schema.auth(refresh_interval=None, retry_on=[])
class _ApiKeyAuth:
    def get(self, case, context) -> str:
        return KEY_STAND_IN

    def set(self, case, data, context) -> None:
        case.headers = {**(case.headers or {}), "X-API-Key": data}


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, as gunicorn serves it, except that the end of a
    request does not close the test's database connection (Django's test client does the
    same): closing it would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def sent(stored):
    statuses: list[int] = []
    yield statuses
    # An error, not a silent pass, if schemathesis generated nothing to send.
    assert statuses, "schemathesis sent no request"


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_own_schema(case, wsgi_app, api_key, sent):
    if (case.headers or {}).get("X-API-Key") == KEY_STAND_IN:
        case.headers["X-API-Key"] = api_key

    response = case.call_and_validate(app=wsgi_app, checks=CHECKS)

    sent.append(response.status_code)


# --- hypothesis: anything at all as the body ---------------------------------------------
GOOD = {
    "student_reference": "12345",
    "scholar_year": "2025-2026",
    "s3_key": KEY,
    "filename": "Transcript Fall.pdf",
    "category": "transcript",
}
NASTY = ["", " ", "0", "\x00", "\ud800", "12345\n", "a/b", "../x", "é" * 300, APP_KEY]
# Any code point, control characters (NUL) and lone surrogates included (json.dumps sends
# them as "\u0000" and "\ud800"), and often one of the awkward ones inside plain text.
any_text = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cs"]))
awkward = st.sampled_from(["\ud800", "\udfff", "\x00", "\n", "/", "\\", '"'])
text = st.text(max_size=40) | any_text | st.builds("{}{}{}".format, st.text(), awkward, st.text())
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text | st.sampled_from(NASTY)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)
field_values = st.sampled_from(list(GOOD.values())) | st.sampled_from(NASTY) | json_values
# Bodies near the valid ones reach the checks past the schema (student, key, object, 409).
near_valid = st.builds(
    lambda key, changes: {**GOOD, "s3_key": key, **changes},
    st.sampled_from([KEY, APP_KEY]),
    st.dictionaries(st.sampled_from([*FIELDS, "extra"]), field_values, max_size=3),
)
bodies = json_values | near_valid | st.dictionaries(st.sampled_from(FIELDS), field_values)


def post(client, payload: bytes, key: str):
    # The headers a real client sends, even for an empty body (the test client would not).
    return client.generic(
        "POST",
        "/api/index/",
        payload,
        HTTP_X_API_KEY=key,
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(len(payload)),
    )


def assert_answered(client, payload: bytes, key: str) -> int:
    before = list(DocumentIndex.objects.order_by("pk").values())
    response = post(client, payload, key)

    hypothesis.event(f"status {response.status_code}")  # --hypothesis-show-statistics
    assert response.status_code in DOCUMENTED
    assert response["Content-Type"] == "application/json"
    if response.status_code >= 400:
        assert list(DocumentIndex.objects.order_by("pk").values()) == before
        assert response.json()["errors"]
    return response.status_code


@PROPERTY
@given(data=bodies)
def test_any_json_body_gets_a_documented_answer_and_a_refusal_stores_nothing(
    client, api_key, stored, data
):
    assert_answered(client, json.dumps(data).encode(), api_key)


@PROPERTY
@given(key=st.sampled_from([KEY, APP_KEY]), field=st.sampled_from(FIELDS), value=text | json_values)
def test_any_value_in_one_field_of_a_valid_body_gets_a_documented_answer(
    client, api_key, stored, key, field, value
):
    data = {**GOOD, "s3_key": key, field: value}

    assert_answered(client, json.dumps(data).encode(), api_key)


@PROPERTY
@given(
    payload=st.binary(max_size=2048)
    | st.binary(max_size=2048).map(lambda tail: b'{"' + tail)
    | st.integers(1, 8000).map(lambda depth: b"[" * depth + b"]" * depth)
)
def test_any_bytes_get_a_documented_answer_and_store_nothing(client, api_key, stored, payload):
    assert assert_answered(client, payload, api_key) in {200, 201, 400, 409}


@PROPERTY
@given(data=near_valid)
def test_a_body_the_schema_refuses_is_refused_by_the_api(client, api_key, stored, data):
    refused_by_the_schema = not Draft202012Validator(INDEX_REQUEST).is_valid(data)

    status = assert_answered(client, json.dumps(data).encode(), api_key)

    if refused_by_the_schema:
        assert status == 400


# --- the schema's patterns are the key rules -------------------------------------------------
def _schema_accepts(field: str, value: str) -> bool:
    return api.REQUEST_VALIDATOR.is_valid({**GOOD, field: value})


@hypothesis.settings(max_examples=300)
@given(key=st.from_regex(keys.KEY, fullmatch=True))
def test_every_student_document_key_matches_the_schema(key):
    assert _schema_accepts("s3_key", key) == (len(key) <= 512)


@hypothesis.settings(max_examples=300)
@given(text=st.text(alphabet="0123456789-/abcxyz.\n", max_size=40))
def test_a_key_the_schema_accepts_is_a_student_document_key(text):
    if _schema_accepts("s3_key", text):
        assert keys.KEY.match(text) and not text.endswith("\n")


@hypothesis.settings(max_examples=300)
@given(text=st.text(alphabet="0123456789-\n a", max_size=14))
def test_the_schema_accepts_exactly_the_status_numbers_the_app_does(text):
    valid = keys.STATUS_NO.match(text) is not None and "\n" not in text

    assert _schema_accepts("student_reference", text) == valid
