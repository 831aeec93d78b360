"""The OpenAPI description as the protocol has it: bearer tokens, RFC 9457 problems.

FastAPI's generated document is amended once: each operation lists the errors it can
answer (as a `Problem` in `application/problem+json`), 201s their `Location`, 429s and 503s
their `Retry-After`, every /v1 route but /v1/keys asks for a bearer token, and `webhooks`
(OpenAPI 3.1) describes the events the hub pushes to a hotline's `webhook_url`.
"""

import re
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
    "503": "The database is unavailable; see Retry-After",
}
PUBLIC = {"/healthz", "/readyz", "/v1/keys", "/openapi.json"}
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
    ("post", "/v1/lists"): {"409"},
    ("post", "/v1/lists/{list_id}/versions"): {"409"},
    ("post", "/v1/lists/{list_id}/versions/{version}/entries"): {"409"},
    ("post", "/v1/lists/{list_id}/versions/{version}:publish"): {"409"},
    ("post", "/v1/lists/{list_id}/versions/{version}:retract"): {"409"},
    ("get", "/healthz"): {"503"},
    ("get", "/readyz"): {"503"},
}
# Rules across query parameters, which OpenAPI can state only of one exploded object
# parameter (`style: form`): the wire is the same `?start=0&end=10`.
QUERY_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/v1/log/entries"): {
        "description": "Either `digest`, or `start` with an optional `end`",
        "properties": {"digest": {"pattern": "^sha256:[0-9a-f]{64}$"}},
        "oneOf": [
            {
                "required": ["digest"],
                "not": {"anyOf": [{"required": ["start"]}, {"required": ["end"]}]},
            },
            {"required": ["start"], "not": {"required": ["digest"]}},
        ],
    },
    ("get", "/v1/log/proof/inclusion"): {
        "description": "`tree_size` and exactly one of `index` and `leaf_hash`",
        "properties": {"leaf_hash": {"pattern": "^[A-Za-z0-9+/]{43}=$"}},
        "required": ["tree_size"],
        "oneOf": [
            {"required": ["index"], "not": {"required": ["leaf_hash"]}},
            {"required": ["leaf_hash"], "not": {"required": ["index"]}},
        ],
    },
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
                # The document's path: `{country:country}` (hub.paths) is `{country}` there.
                documented = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)
                found |= {(method.lower(), documented) for method in route.methods}
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
            if (method, path) in QUERY_RULES:
                _combine_query(operation, QUERY_RULES[(method, path)])
    document["webhooks"] = _webhooks(schemas)
    return document


def _combine_query(operation: dict[str, Any], rule: dict[str, Any]) -> None:
    """Folds an operation's query parameters into one object parameter bearing `rule`."""
    query = [p for p in operation["parameters"] if p["in"] == "query"]
    extra = rule.get("properties", {})
    properties = {p["name"]: {**_not_null(p["schema"]), **extra.get(p["name"], {})} for p in query}
    schema = {"type": "object", "properties": properties}
    schema.update({k: v for k, v in rule.items() if k not in ("properties", "description")})
    operation["parameters"] = [p for p in operation["parameters"] if p["in"] != "query"]
    operation["parameters"].append(
        {
            "name": "query",
            "in": "query",
            "required": True,
            "style": "form",
            "explode": True,
            "description": rule["description"],
            "schema": schema,
        }
    )


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without its `null` branch (absent is not null)."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) != 1:
        return schema
    return {**branches[0], **{k: v for k, v in schema.items() if k != "anyOf"}}


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
