"""The OpenAPI 3.1 document of a gateway (from its routes' aliases and the actions' params), and the docs page.

Every alias whose action is registered and whitelisted becomes an operation: path parameters from the alias,
query parameters (GET, DELETE) or a JSON request body (POST, PUT, PATCH) from the action's ``params``, a
``200`` answer and the error answers the gateway can give (``Error`` schema: ``{name, message, code, type,
data}``). An action may add an ``openapi`` dict (``summary``, ``description``, ``responses``, ``tags``...) merged into
its operation. The docs page is Swagger UI, served by the gateway itself:
no CDN is needed (Swagger UI 5 from the ``swagger-ui-py`` package: 4.x cannot read OpenAPI 3.1).
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse, HTMLResponse, Response

from broker.errors import ServiceSchemaError

from .jsonschema import params_schema

if TYPE_CHECKING:  # pragma: no cover
    from starlette.requests import Request

    from .aliases import Alias
    from .app import GatewayApp
    from .routes import Route

__all__ = ["build_document", "install_openapi"]

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "message", "code"],
    "properties": {
        "name": {"type": "string"},
        "message": {"type": "string"},
        "code": {"type": "integer"},
        "type": {"type": ["string", "null"]},
        "data": {},
    },
}
_ERRORS = {
    "400": "The body is not valid JSON",
    "404": "No such route, action (type SERVICE_NOT_FOUND) or entity",
    "413": "The body is over the size limit",
    "415": "The body is not JSON",
    "422": "Invalid parameters: data lists the fields",
    "500": "Unexpected failure (data.requestID names it in the log)",
    "503": "Temporarily unavailable: retry",
}
_BODY = {"post", "put", "patch"}


def _methods(alias: Alias) -> list[str]:
    return ["get", "post"] if alias.method == "*" else [alias.method.lower()]


def _query_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """What a query string can carry: objects and nulls are left out (an object-only parameter is not offered)."""
    if schema.get("type") in ("object", "null"):
        return None
    if "anyOf" in schema:
        kept = [alt for alt in (_query_schema(a) for a in schema["anyOf"]) if alt is not None]
        if not kept:
            return None
        if len(kept) == 1:
            rest = {key: value for key, value in schema.items() if key != "anyOf"}
            return {**kept[0], **rest}
        return {**schema, "anyOf": kept}
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        items = _query_schema(schema["items"])
        return None if items is None else {**schema, "items": items}
    return schema


def _operation(app: GatewayApp, route: Route, alias: Alias, method: str, components: dict[str, Any]) -> dict[str, Any]:
    endpoints = app.broker.registry.actions[alias.action]
    act = endpoints.endpoints[0].action
    try:
        schema = params_schema(act.params, components) or {"type": "object"}
    except ServiceSchemaError:  # another node's params (a Node.js custom rule): its node validates them
        schema = {"type": "object"}
    props: dict[str, Any] = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in alias.param_names
    ]
    for name in alias.param_names:
        props.pop(name, None)
        required.discard(name)
    op: dict[str, Any] = {
        "operationId": f"{method}_{alias.action}_{route.name}{alias.path}",
        "summary": act.get("summary") or f"Calls '{alias.action}'",
        "tags": [act.service.full_name],
        "parameters": parameters,
    }
    if method in _BODY:
        body = {**schema, "type": "object", "properties": props}
        body.pop("required", None)
        if required:
            body["required"] = sorted(required)
        op["requestBody"] = {"required": bool(required), "content": {"application/json": {"schema": body}}}
    else:
        for name, prop in props.items():
            query = _query_schema(prop)
            if query is not None:
                parameters.append({"name": name, "in": "query", "required": name in required, "schema": query})
    responses: dict[str, Any] = {"200": {"description": "The action's result", "content": {"application/json": {}}}}
    codes = dict(_ERRORS)
    if route.authentication:
        codes["401"] = "Not authenticated"
    if route.authorization or route.cors is not None:
        codes["403"] = "Not allowed"
    if route.rate_limiter is not None:
        codes["429"] = "Rate limit exceeded"
    for code in sorted(codes):
        responses[code] = {"$ref": "#/components/responses/Error", "description": codes[code]}
    op["responses"] = responses
    extra = act.get("openapi")
    if isinstance(extra, dict):
        for key, value in copy.deepcopy(extra).items():
            if isinstance(value, dict) and isinstance(op.get(key), dict):
                op[key].update(value)
            else:
                op[key] = value
    return op


def build_document(app: GatewayApp) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the aliases the gateway serves now."""
    app.refresh()
    opts = app.settings.get("openapi") or {}
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    actions = app.broker.registry.actions
    for route in app.routes:
        for alias in route.aliases:
            endpoints = actions.get(alias.action)
            if endpoints is None or not endpoints.endpoints or not route.whitelisted(alias.action):
                continue
            if endpoints.endpoints[0].action.visibility != "published":
                continue
            item = paths.setdefault(route.path + alias.openapi_path if alias.path != "/" else route.path or "/", {})
            for method in _methods(alias):
                item.setdefault(method, _operation(app, route, alias, method, components))
    return {
        "openapi": "3.1.0",
        "info": {"title": opts.get("title", "API gateway"), "version": str(opts.get("version", "1.0.0"))},
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        },
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{static}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: {spec}, dom_id: "#swagger-ui", deepLinking: true}});</script>
</body></html>
"""
_STATIC_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "LICENSE")


def _swagger_ui_folder() -> Path | None:
    """The static files of Swagger UI 5 (OpenAPI 3.1) shipped by the ``swagger-ui-py`` package, found without
    importing it (its Python side, for other frameworks, is not used)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").exists() else None


def install_openapi(service: Any) -> None:
    """Register ``/openapi.json`` and ``/docs`` (paths from ``settings.openapi``) on the service's gateway app."""
    opts = service.settings.get("openapi")
    if not opts:
        return
    app: GatewayApp = service.gateway
    spec_path = opts.get("path", "/openapi.json")

    async def spec(request: Request) -> Response:
        return Response(json.dumps(build_document(app)), media_type="application/json")

    app.extra[spec_path] = spec
    docs_path = opts.get("docs_path", "/docs")
    if not docs_path:
        return
    folder = _swagger_ui_folder()
    if folder is None:  # pragma: no cover - the web extra installs it
        service.logger.warning("swagger-ui-py is not installed: no docs page at %s", docs_path)
        return
    static = docs_path.rstrip("/") + "/static"
    page = _PAGE.format(title=opts.get("title", "API gateway"), static=static, spec=json.dumps(spec_path))

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    app.extra[docs_path] = docs
    for name in _STATIC_FILES:
        file = folder / name

        async def serve(request: Request, file: Path = file) -> Response:
            return FileResponse(file)

        app.extra[f"{static}/{name}"] = serve
