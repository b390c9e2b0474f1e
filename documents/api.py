"""The ingest API: producers outside the app (a scanning station, the legacy system
during migration) put an object in the bucket, then index it here.

    POST /api/index/   X-API-Key: avq_…   {"student_reference", "scholar_year",
                                            "s3_key", "filename", "category"?}
    201 created · 200 updated · 400 {"errors": {field: [message]}} · 401 bad key
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from documents import keys, services
from documents.models import DocumentType
from documents.openapi import SCHEMA
from documents.storage import document_storage
from scholarships.models import Student

MAX_BODY = 16 * 1024
FIELDS = {"student_reference", "scholar_year", "s3_key", "filename", "category"}


def _bad_request(errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=400)


def _string(data: dict[str, Any], name: str, errors: dict, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["This field is required."]
        return ""
    if not isinstance(value, str):
        errors[name] = ["Must be a string."]
        return ""
    return value.strip()


def _validate(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        errors["non_field_errors"] = [f"Unknown field(s): {', '.join(unknown)}."]
    reference = _string(data, "student_reference", errors)
    year = _string(data, "scholar_year", errors)
    key = _string(data, "s3_key", errors)
    filename = _string(data, "filename", errors)
    category = _string(data, "category", errors, required=False)
    for name, value, check in [
        ("student_reference", reference, keys.validate_status_no),
        ("scholar_year", year, keys.validate_scholar_year),
    ]:
        if value and name not in errors:
            try:
                check(value)
            except keys.InvalidKey as exc:
                errors[name] = [str(exc)]
    if filename and (len(filename) > 255 or "/" in filename or "\x00" in filename):
        errors["filename"] = ["A file name of at most 255 characters, without '/'."]
    student = None
    if reference and "student_reference" not in errors:
        student = Student.objects.filter(status_no=reference).first()
        if student is None:
            errors["student_reference"] = [f"No student has status number {reference}."]
    if key and "s3_key" not in errors:
        try:
            parts = keys.parse_key(key)
        except keys.InvalidKey as exc:
            errors["s3_key"] = [str(exc)]
        else:
            if reference and year and parts.prefix != f"{reference}/{year}/":
                errors["s3_key"] = [f"The key must sit under {reference}/{year}/."]
    codes = set(DocumentType.objects.values_list("code", flat=True))
    if category and category not in codes:
        errors["category"] = [f"Unknown category; known: {', '.join(sorted(codes))}."]
    cleaned = {"student": student, "scholar_year": year, "s3_key": key, "filename": filename}
    if not errors:
        stored = document_storage().stat(key)
        if stored is None:
            errors["s3_key"] = ["No object exists at this key."]
        else:
            cleaned["size"] = stored.size
            cleaned["category"] = category or services.category_for_slug(parts.slug, codes)
    return cleaned, errors


@csrf_exempt
@never_cache
@require_POST
def ingest(request: HttpRequest) -> JsonResponse:
    api_key = services.api_key_authenticate(presented=request.headers.get("X-API-Key"))
    if api_key is None:
        response = JsonResponse({"error": "A valid X-API-Key header is required."}, status=401)
        response["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
        return response
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        return _bad_request({"non_field_errors": [f"The body exceeds {MAX_BODY} bytes."]})
    if request.content_type != "application/json":
        return _bad_request({"non_field_errors": ["Send JSON (Content-Type: application/json)."]})
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _bad_request({"non_field_errors": ["The body is not valid JSON."]})
    if not isinstance(data, dict):
        return _bad_request({"non_field_errors": ["The body must be a JSON object."]})
    cleaned, errors = _validate(data)
    if errors:
        return _bad_request(errors)
    index, created = services.document_index_ingest(**cleaned)
    return JsonResponse(
        {"id": index.pk, "s3_key": index.s3_key, "category": index.category, "size": index.size},
        status=201 if created else 200,
    )


@require_GET
def schema(request: HttpRequest) -> JsonResponse:
    return JsonResponse(SCHEMA)
