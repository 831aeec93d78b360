"""The OpenAPI description as the protocol has it: bearer tokens, RFC 9457 problems.

FastAPI's generated document is amended once: each operation lists the errors it can
answer (as a `Problem` in `application/problem+json`), 201s their `Location`, 429s and 503s
their `Retry-After`, every /v1 route but /v1/keys asks for a bearer token, and `webhooks`
(OpenAPI 3.1) describes the events the hub pushes to a hotline's `webhook_url`.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from schemas.common import Problem
from schemas.referrals import CaseStatusChanged, ReferralOut, ReferralRerouted

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
    "503": "The database is unreachable; see Retry-After",
}
PUBLIC = {"/healthz", "/v1/keys", "/openapi.json"}
PRINCIPALS = {"admin", "auditor", "hotline"}
# Errors the shape of an operation does not show: refusals decided in its service code.
EXTRA_ERRORS: dict[tuple[str, str], set[str]] = {
    ("post", "/v1/hotlines"): {"409"},
    ("post", "/v1/reports"): {"409"},
    ("post", "/v1/cases/{case_id}/route"): {"409"},
    ("post", "/v1/referrals/{referral_id}/status"): {"409"},
    ("post", "/v1/cases/{case_id}/status"): {"409"},
    ("post", "/v1/deliveries/{event_id}/retry"): {"409"},
    ("get", "/v1/cases/{case_id}"): {"403"},
    ("get", "/v1/log/entries"): {"403"},
    ("get", "/v1/log/proof/inclusion"): {"404"},
}
# What the hub pushes, and the model of each event's `data`.
EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    "referral.created": (ReferralOut, "A case was referred to the receiving hotline."),
    "case.status_changed": (CaseStatusChanged, "A case a hotline reported changed status."),
    "referral.rerouted": (ReferralRerouted, "A referral moved to another hotline."),
}
WEBHOOK_HEADERS = {
    "webhook-id": "The event id (`evt_…`), the same on every attempt: deduplicate by it",
    "webhook-timestamp": "Unix seconds when this attempt was signed",
    "webhook-signature": "`v1a,<base64 Ed25519>` over `{id}.{timestamp}.{body}` (/v1/keys)",
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every API route, through included routers."""
    contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI >= 0.130
    if contexts is None:
        yield from ((r.path, r) for r in app.routes if isinstance(r, APIRoute))
        return
    for context in contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.path, context.original_route


def _restricted(app: FastAPI) -> set[tuple[str, str]]:
    """Operations some principals may not call: their `_require` names fewer than all."""
    found = set()
    for path, route in _api_routes(app):
        for dependency in _dependencies(route.dependant):
            kinds = getattr(dependency.call, "kinds", None)
            if kinds is not None and set(kinds) != PRINCIPALS:
                found |= {(method.lower(), path) for method in route.methods}
    return found


def errors_of(path: str, method: str, operation: dict[str, Any], restricted: bool) -> set[str]:
    """The error statuses one operation can answer."""
    # Every operation reads the database (a token at least): an outage answers 503.
    statuses = {"503", *EXTRA_ERRORS.get((method, path), set())}
    if path not in PUBLIC:
        statuses |= {"401", "429"}
    if restricted:
        statuses.add("403")
    if "{" in path:
        statuses.add("404")
    if "requestBody" in operation:
        statuses |= {"400", "413", "415", "422"}
    if operation.get("parameters"):
        statuses.add("422")
    return statuses


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
    restricted = _restricted(app)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own, replaced by the hub's problem
            allowed = errors_of(path, method, operation, (method, path) in restricted)
            for status in sorted(allowed):
                responses[status] = {"description": ERRORS[status], "content": problem}
            for waited in ("429", "503"):
                if waited in responses:
                    responses[waited]["headers"] = {
                        "Retry-After": {
                            "description": "Seconds to wait before trying again",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    }
            if "201" in responses:
                responses["201"]["headers"] = {
                    "Location": {
                        "description": "The path of the object created",
                        "schema": {"type": "string"},
                    }
                }
            if path not in PUBLIC:
                operation["security"] = [{"bearer": []}]
    document["webhooks"] = _webhooks(schemas)
    return document


def _webhooks(schemas: dict[str, Any]) -> dict[str, Any]:
    """The pushes a hotline's `webhook_url` receives (docs/delivery.md), one per event type."""
    webhooks = {}
    for event_type, (model, summary) in EVENTS.items():
        data = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        for name, schema in {**data.pop("$defs", {}), model.__name__: data}.items():
            schemas.setdefault(name, schema)  # FastAPI's own, when it made one, stays
        body = {
            "type": "object",
            "required": ["id", "type", "created_at", "data"],
            "properties": {
                "id": {"type": "string", "description": "the event id, also `webhook-id`"},
                "type": {"const": event_type},
                "created_at": {"type": "string", "format": "date-time"},
                "data": {"$ref": f"#/components/schemas/{model.__name__}"},
            },
        }
        webhooks[event_type] = {
            "post": {
                "summary": summary,
                "description": "RFC 8785 (JCS) JSON, signed per attempt (Standard Webhooks "
                "v1a); answer 2xx once stored. Retried for 26 h, then pullable at /v1/events.",
                "parameters": [
                    {
                        "name": name,
                        "in": "header",
                        "required": True,
                        "description": text,
                        "schema": {"type": "string"},
                    }
                    for name, text in WEBHOOK_HEADERS.items()
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {"2XX": {"description": "Delivered: the hub stops pushing it"}},
            }
        }
    return webhooks
