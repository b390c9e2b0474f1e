"""The ingest API's OpenAPI 3.1 document, served at /api/schema/.

``INDEX_REQUEST`` is both what the document publishes for ``POST /api/index/`` and what
:mod:`documents.api` validates every body against, so the two cannot drift apart. Only
what a schema cannot say (the student exists, the object exists, the key sits under the
student's year, the category is a known type, the two years are consecutive) is checked
in code, and those checks are described here in words.

Patterns are ECMA-262 regular expressions, as JSON Schema specifies: ``$`` is the end of
the string (``documents.api`` validates them with that meaning in Python too).
"""

MAX_BODY = 16 * 1024

# What the code accepts, one pattern per field: keys.STATUS_NO, keys.SCHOLAR_YEAR, keys.KEY
# (a student's document; the API never indexes a school's), DocumentType.code (a slug).
STATUS_NO_PATTERN = "^[0-9]{1,12}$"
SCHOLAR_YEAR_PATTERN = "^[0-9]{4}-[0-9]{4}$"
KEY_PATTERN = "^[0-9]{1,12}/[0-9]{4}-[0-9]{4}/[a-z0-9]+(?:-[a-z0-9]+)*\\.[a-z0-9]{1,8}$"
CATEGORY_PATTERN = "^[-a-zA-Z0-9_]*$"
# A display name (and a download's Content-Disposition): no folder separator, no control
# character, NUL and the C1 range included.
FILENAME_PATTERN = "^[^/\\x00-\\x1f\\x7f-\\x9f]+$"

INDEX_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["student_reference", "scholar_year", "s3_key", "filename"],
    "properties": {
        "student_reference": {
            "type": "string",
            "pattern": STATUS_NO_PATTERN,
            "description": "The student's status number (1 to 12 digits); the student must exist.",
            "examples": ["12345"],
        },
        "scholar_year": {
            "type": "string",
            "pattern": SCHOLAR_YEAR_PATTERN,
            "description": "Two consecutive years.",
            "examples": ["2025-2026"],
        },
        "s3_key": {
            "type": "string",
            "maxLength": 512,
            "pattern": KEY_PATTERN,
            "description": "{student_reference}/{scholar_year}/{slug}.{ext}: it must sit under "
            "the student's year, hold an object in the bucket, and not be indexed by the app.",
            "examples": ["12345/2025-2026/transcript-fall.pdf"],
        },
        "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": FILENAME_PATTERN,
            "description": "The name a download is saved under.",
            "examples": ["Transcript Fall.pdf"],
        },
        "category": {
            "type": "string",
            "maxLength": 60,
            "pattern": CATEGORY_PATTERN,
            "description": "The code of a student document type; derived from the key's "
            "slug when absent or empty (``other`` when no type matches).",
            "examples": ["transcript"],
        },
    },
}

_MESSAGES = {"type": "array", "minItems": 1, "items": {"type": "string"}}
ERRORS = {
    "type": "object",
    "required": ["errors"],
    "additionalProperties": False,
    "properties": {
        "errors": {
            "type": "object",
            "minProperties": 1,
            "description": "Messages by field; ``non_field_errors`` for the body as a whole.",
            "additionalProperties": _MESSAGES,
        }
    },
}
_INDEXED = {
    "type": "object",
    "required": ["id", "s3_key", "category", "size"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "s3_key": {"type": "string"},
        "category": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
    },
}
_UNAUTHORIZED = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {"type": "string"}},
}


def _json(description: str, schema: dict, **extra: dict) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


SCHEMA = {
    "openapi": "3.1.0",
    "info": {
        "title": "Avataq document ingest API",
        "version": "1",
        "description": "Index an object already stored in the documents bucket.",
    },
    "components": {
        "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
    },
    "security": [{"ApiKey": []}],
    "paths": {
        "/api/index/": {
            "post": {
                "summary": "Create or update the index row of a stored object (upsert by s3_key)",
                "description": "The API creates rows and relabels the rows it created; a key "
                "indexed by the app (an upload) is refused with 409. The body is at most "
                f"{MAX_BODY} bytes of UTF-8 JSON, sent with a Content-Length.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": INDEX_REQUEST}},
                },
                "responses": {
                    "201": _json("Created", _INDEXED),
                    "200": _json("Updated (a row the API created)", _INDEXED),
                    "400": _json("Invalid body, or a check on the student, key or object", ERRORS),
                    "401": _json(
                        "Missing, unknown or revoked API key",
                        _UNAUTHORIZED,
                        headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
                    ),
                    "409": _json(
                        "The key is indexed by the app: the API may not relabel it", ERRORS
                    ),
                    "411": _json("A chunked body, without Content-Length (not read)", ERRORS),
                    "413": _json(f"The body exceeds {MAX_BODY} bytes", ERRORS),
                    "415": _json("The body is not sent as application/json", ERRORS),
                },
            }
        },
        "/api/schema/": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": _json("The OpenAPI document", {"type": "object"})},
            }
        },
    },
}
