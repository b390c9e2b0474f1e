"""The ingest API: producers outside the app (a scanning station, the legacy system
during migration) put an object in the bucket, then index it here.

    POST /api/index/   X-API-Key: avq_…   {"student_reference", "scholar_year",
                                            "s3_key", "filename", "category"?}
    201 created · 200 updated · 400 {"errors": {field: [message]}} · 401 bad key
    409 a key the app indexed · 411 chunked · 413 too large · 415 not JSON

The body is validated against the very schema /api/schema/ publishes
(:data:`documents.openapi.INDEX_REQUEST`); only what a schema cannot say is checked here.
Whatever the body, the answer is one of those statuses, never a server error.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from jsonschema import Draft202012Validator, ValidationError, validators

from documents import keys, services
from documents.models import DocumentType
from documents.openapi import INDEX_REQUEST, MAX_BODY, SCHEMA
from documents.storage import document_storage
from scholarships.models import Student

NON_FIELD = "non_field_errors"
# A valid body nests one level deep; anything far deeper is refused before json.loads
# (which recurses, and raises RecursionError near a thousand levels) ever sees it.
MAX_DEPTH = 32
# A JSON string (to its end, or the text's) or a bracket: one linear pass finds them.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


class _Refused(Exception):
    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(status)
        self.status, self.errors = status, errors


def _refuse(status: int, message: str) -> _Refused:
    return _Refused(status, {NON_FIELD: [message]})


# --- the schema, with JSON Schema's meaning of a pattern -----------------------------------
@functools.cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    # In ECMA-262, which JSON Schema patterns follow, a final ``$`` is the end of the
    # string; Python's ``$`` also matches before a final newline ("12345\n"). Ours end so.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})
REQUEST_VALIDATOR = _Validator(INDEX_REQUEST)


def _field_messages() -> dict[str, str]:
    return {
        "student_reference": _("A status number is 1 to 12 digits, nothing else."),
        "scholar_year": _("A scholar year code looks like 2025-2026."),
        "s3_key": _(
            "Not a document key: {status_no}/{scholar_year}/{slug}.{ext}, "
            "at most 512 characters, lower case."
        ),
        "filename": _("A file name of 1 to 255 characters, without '/' or control characters."),
        "category": _("A document type code: letters, digits, '-' and '_', at most 60."),
    }


def _schema_errors(data: Any) -> dict[str, list[str]]:
    """The body's departures from INDEX_REQUEST, as one message per field."""
    errors: dict[str, list[str]] = {}
    messages = _field_messages()
    for error in REQUEST_VALIDATOR.iter_errors(data):
        if error.path:
            field = str(error.path[0])
            if error.validator == "type":
                errors[field] = [_("Must be a string.")]
            else:
                errors.setdefault(field, [messages.get(field, _("Invalid value."))])
        elif error.validator == "type":
            errors[NON_FIELD] = [_("The body must be a JSON object.")]
        elif error.validator == "required":
            for field in error.validator_value:
                if field not in data:
                    errors[field] = [_("This field is required.")]
        elif error.validator == "additionalProperties":
            unknown = ", ".join(sorted(set(data) - set(INDEX_REQUEST["properties"])))
            errors[NON_FIELD] = [_("Unknown field(s): %(fields)s.") % {"fields": unknown}]
        else:  # pragma: no cover - every root keyword of INDEX_REQUEST is handled above
            errors[NON_FIELD] = [_("The body does not match the schema.")]
    return errors


# --- reading the body ----------------------------------------------------------------------
def _nesting(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings aside)."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        if token[0] in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token[0] in ("]", "}"):
            depth -= 1
    return deepest


def _json_body(request: HttpRequest) -> Any:
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            # Django reads a body only up to its Content-Length: a chunked one looks empty.
            raise _refuse(411, _("Send the body with a Content-Length header, not chunked."))
        length = "0"  # neither header: HTTP says there is no body
    if not (length.isascii() and length.isdigit()):
        raise _refuse(400, _("The Content-Length header is not a number of bytes."))
    if int(length) > MAX_BODY:
        raise _refuse(413, _("The body exceeds %(limit)d bytes.") % {"limit": MAX_BODY})
    if request.content_type.lower() != "application/json":
        raise _refuse(415, _("Send JSON (Content-Type: application/json)."))
    not_json = _("The body is not valid JSON.")
    try:
        text = request.body.decode("utf-8-sig")  # RFC 8259 lets a parser skip a BOM
    except UnreadablePostError:
        raise _refuse(400, _("The body could not be read.")) from None
    except UnicodeDecodeError:
        raise _refuse(400, _("The body is not valid JSON: it is not UTF-8.")) from None
    if _nesting(text) > MAX_DEPTH:
        raise _refuse(400, _("The body nests deeper than %(depth)d levels.") % {"depth": MAX_DEPTH})
    try:
        data = json.loads(text)
        # JSON text is Unicode: a lone surrogate ("\ud800") cannot be stored or echoed.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        raise _refuse(400, not_json) from None
    return data


# --- the checks a schema cannot express ----------------------------------------------------
def _student_document_codes() -> set[str]:
    # A school invoice concerns several students: never filed in one student's folder.
    return set(
        DocumentType.objects.exclude(applies_to=DocumentType.AppliesTo.INVOICE).values_list(
            "code", flat=True
        )
    )


def _checked(data: dict[str, str]) -> dict[str, Any]:
    """The service's arguments from a body that matches INDEX_REQUEST, or 400."""
    errors: dict[str, list[str]] = {}
    reference, year, key = data["student_reference"], data["scholar_year"], data["s3_key"]
    try:
        keys.validate_scholar_year(year)
    except keys.InvalidKey:
        errors["scholar_year"] = [
            _("A scholar year code is two consecutive years, e.g. 2025-2026.")
        ]
    student = Student.objects.filter(status_no=reference).first()
    if student is None:
        errors["student_reference"] = [
            _("No student has status number %(number)s.") % {"number": reference}
        ]
    prefix = f"{reference}/{year}/"
    try:
        parts = keys.parse_key(key)  # the schema vouches for its shape, not for its year
    except keys.InvalidKey:
        parts = None
        errors["s3_key"] = [_("The key's scholar year is not two consecutive years.")]
    if parts is not None and parts.prefix != prefix:
        errors["s3_key"] = [_("The key must sit under %(prefix)s.") % {"prefix": prefix}]
    codes = _student_document_codes()
    category = data.get("category") or ""
    if category and category not in codes:
        errors["category"] = [
            _("Unknown category; known: %(codes)s.") % {"codes": ", ".join(sorted(codes))}
        ]
    if errors:
        raise _Refused(400, errors)
    stored = document_storage().stat(key)
    if stored is None:
        raise _Refused(400, {"s3_key": [_("No object exists at this key.")]})
    return {
        "student": student,
        "scholar_year": year,
        "s3_key": key,
        "filename": data["filename"],
        "category": category or services.category_for_slug(parts.slug, codes),
        "size": stored.size,
    }


# --- views ---------------------------------------------------------------------------------
def _presented_key(request: HttpRequest) -> str | None:
    # Keys are printable ASCII; anything else (a NUL…) cannot match and never reaches SQL.
    presented = request.headers.get("X-API-Key")
    if presented and presented.isascii() and presented.isprintable():
        return presented
    return None


@csrf_exempt
@never_cache
@require_POST
def ingest(request: HttpRequest) -> JsonResponse:
    api_key = services.api_key_authenticate(presented=_presented_key(request))
    if api_key is None:
        response = JsonResponse({"error": _("A valid X-API-Key header is required.")}, status=401)
        response["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
        return response
    try:
        data = _json_body(request)
        errors = _schema_errors(data)
        if errors:
            raise _Refused(400, errors)
        index, created = services.document_index_ingest(**_checked(data))
    except _Refused as refused:
        return JsonResponse({"errors": refused.errors}, status=refused.status)
    except services.IndexedByTheApp as conflict:
        message = _(
            "This key is indexed by the app (%(source)s): the API may relabel only the "
            "documents it indexed."
        ) % {"source": conflict.source_model}
        return JsonResponse({"errors": {"s3_key": [message]}}, status=409)
    return JsonResponse(
        {"id": index.pk, "s3_key": index.s3_key, "category": index.category, "size": index.size},
        status=201 if created else 200,
    )


@csrf_exempt  # so another method gets a plain 405, not the CSRF failure page
@require_GET
def schema(request: HttpRequest) -> JsonResponse:
    return JsonResponse(SCHEMA)
