"""The published request schema of the ingest API (OpenAPI 3.1), served at /api/schema/."""

_ERRORS = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
}
_INDEXED = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "s3_key": {"type": "string"},
        "category": {"type": "string"},
        "size": {"type": "integer"},
    },
}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


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
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["student_reference", "scholar_year", "s3_key",
                                             "filename"],
                                "properties": {
                                    "student_reference": {
                                        "type": "string", "pattern": "^[0-9]{1,12}$",
                                        "description": "The student's status number.",
                                    },
                                    "scholar_year": {
                                        "type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$",
                                        "examples": ["2025-2026"],
                                    },
                                    "s3_key": {
                                        "type": "string",
                                        "description": "Must sit under "
                                        "{student_reference}/{scholar_year}/ and exist.",
                                        "examples": ["12345/2025-2026/transcript-fall.pdf"],
                                    },
                                    "filename": {"type": "string", "maxLength": 255},
                                    "category": {
                                        "type": "string",
                                        "description": "A document type code; derived "
                                        "from the key when absent.",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json("Created", _INDEXED),
                    "200": _json("Updated", _INDEXED),
                    "400": _json("Invalid request", _ERRORS),
                    "401": {"description": "Missing, unknown or revoked API key"},
                },
            }
        }
    },
}  # fmt: skip
