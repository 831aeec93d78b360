"""The OpenAPI description as the protocol has it: bearer tokens, RFC 9457 problems.

FastAPI's generated document is amended once: every error answer is a `Problem` in
`application/problem+json`, and every /v1 route but /v1/keys asks for a bearer token.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from schemas.common import Problem

ERRORS = {
    "400": "Malformed JSON",
    "401": "Missing, invalid, expired or revoked token",
    "403": "This principal may not call this endpoint",
    "404": "Not found, or another hotline's object",
    "409": "Conflicts with the current state",
    "413": "Body or batch too large",
    "415": "Body is not JSON",
    "422": "A field is not valid; `errors` names each",
    "429": "Rate limited; see Retry-After",
}
PUBLIC = {"/healthz", "/v1/keys", "/openapi.json"}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "A hub token (`hub_…`)"}
    }
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status in ("401", "403", "429") and path in PUBLIC:
                    continue
                responses[status] = {"description": description, "content": problem}
            if path not in PUBLIC:
                operation["security"] = [{"bearer": []}]
    return document
