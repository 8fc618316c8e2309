"""The OpenAPI document: the JSON Schemas of schemas/sync-*.schema.json embedded as components.

The service checks bodies against those files itself, so FastAPI knows nothing of their shape; this module tells
the OpenAPI document what each operation takes and answers, so clients and fuzzers see the real contract. Each
schema's local ``$defs`` become components named after it (``SyncPush_entry``), with references rewritten.
"""

from __future__ import annotations

import copy
from typing import Any

from boxoffice.wire.schemas import load_schema

ERROR_SCHEMA = "sync-error.schema.json"
ERRORS = {"401": "no token, an unknown one, or a revoked terminal's", "403": "forbidden (another terminal's "
          "entries; an enrollment code unknown, spent, expired or for another name; a challenge unknown or spent; "
          "a signature that proves no key; a revoked terminal without a readmit code)",
          "409": "conflicts with what the service holds",
          "413": "body over its route's cap (too_large)", "422": "malformed request; every problem located",
          "429": "too many requests from this token or address (rate_limited); Retry-After says how many seconds",
          "503": "database unavailable"}


def component_name(schema_file: str) -> str:
    """'sync-push-response.schema.json' -> 'SyncPushResponse'."""
    stem = schema_file.removesuffix(".schema.json")
    return "".join(part.capitalize() for part in stem.replace("_", "-").split("-"))


def _ref(schema_file: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component_name(schema_file)}"}


def _errors(codes: tuple[str, ...]) -> dict[str, Any]:
    return {c: {"description": ERRORS[c], "content": {"application/json": {"schema": _ref(ERROR_SCHEMA)}}}
            for c in codes}


def body(request_schema: str, response_schema: str, auth: bool = False) -> dict[str, Any]:
    """openapi_extra for an operation that takes a JSON body."""
    codes = ("401", "403", "409", "413", "422", "429", "503") if auth else ("403", "409", "413", "422", "429", "503")
    ok = {"description": "done", "content": {"application/json": {"schema": _ref(response_schema)}}}
    extra: dict[str, Any] = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(request_schema)}}},
        "responses": {"200": ok, **_errors(codes)},
    }
    if auth:
        extra["security"] = [{"bearer": []}]
    return extra


def responses(response_schema: str | None, auth: bool = False) -> dict[str, Any]:
    """openapi_extra for a GET: its answer's schema (None: any JSON object) and its errors."""
    ok = _ref(response_schema) if response_schema else {"type": "object"}
    extra: dict[str, Any] = {"responses": {"200": {"description": "done", "content": {"application/json": {
        "schema": ok}}}, **_errors(("401", "409", "422", "429", "503"))}}
    if auth:
        extra["security"] = [{"bearer": []}]
    return extra


def _rewrite(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                out[k] = f"#/components/schemas/{prefix}_{v.removeprefix('#/$defs/')}"
            elif k == "$ref" and v == "#":
                out[k] = f"#/components/schemas/{prefix}"
            else:
                out[k] = _rewrite(v, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite(v, prefix) for v in node]
    return node


def components(files: list[str]) -> dict[str, Any]:
    """Each schema file and its $defs as OpenAPI components."""
    out: dict[str, Any] = {}
    for name in files:
        doc = copy.deepcopy(load_schema(name))
        prefix = component_name(name)
        for key in ("$schema", "$id"):
            doc.pop(key, None)
        for def_name, sub in doc.pop("$defs", {}).items():
            out[f"{prefix}_{def_name}"] = _rewrite(sub, prefix)
        out[prefix] = _rewrite(doc, prefix)
    return out


SCHEMA_FILES = ["sync-enroll-challenge.schema.json", "sync-enroll-challenge-response.schema.json",
                "sync-enroll.schema.json", "sync-enroll-response.schema.json", "sync-push.schema.json",
                "sync-push-response.schema.json", "sync-changes.schema.json", "sync-journal.schema.json",
                ERROR_SCHEMA]


def install(app: Any) -> None:
    """Make ``app.openapi()`` include the message schemas and the bearer security scheme."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = doc.setdefault("components", {})
        comps.setdefault("schemas", {}).update(components(SCHEMA_FILES))
        comps["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                               "description": "a terminal token (bxt_...) or an admin token (bxa_...)"}}
        for path in doc.get("paths", {}).values():
            for op in path.values():
                resp = op.get("responses", {}).get("422")
                if resp is not None:
                    resp["content"] = {"application/json": {"schema": _ref(ERROR_SCHEMA)}}
                    resp["description"] = ERRORS["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            comps["schemas"].pop(name, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi
