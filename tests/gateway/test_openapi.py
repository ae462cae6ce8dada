"""The OpenAPI 3.1 document: operations from aliases and rest annotations, params schemas (fastest-validator and
pydantic), error answers; a schemathesis run against the served document; the FV → JSON Schema translation."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.errors import ValidationError
from broker.fv_rules import root_rule
from broker.validation import Validator
from gateway.jsonschema import rule_schema

from .conftest import serve
from .fuzz_services import fuzz_schemas


async def _document(s: Any) -> dict[str, Any]:
    r = await s.client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


async def test_document_lists_rest_annotations_and_aliases(served):
    doc = await _document(served)
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    assert set(paths["/api/posts"]) == {"get", "post"}
    assert set(paths["/api/posts/{id}"]) == {"get", "put", "delete"}
    assert "put" in paths["/api/orders/{id}/status"]
    assert "get" in paths["/api/my"]
    assert "get" in paths["/admin/stats"]


async def test_document_leaves_out_hidden_and_unwhitelisted_actions(served):
    paths = (await _document(served))["paths"]
    assert "/api/greeter/hidden" not in paths
    assert not any(path.startswith("/raw") for path in paths)  # no aliases there: mapping_policy "all" only


async def test_fastest_validator_params_become_query_parameters_and_bodies(served):
    paths = (await _document(served))["paths"]
    listing = {p["name"]: p for p in paths["/api/posts"]["get"]["parameters"]}
    assert listing["page"]["in"] == "query"
    assert listing["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert "query" in listing and listing["query"]["schema"] == {"type": "string"}  # the object form is left out
    status = paths["/api/orders/{id}/status"]["put"]
    assert status["parameters"] == [{"name": "id", "in": "path", "required": True,
                                     "schema": {"type": "string", "minLength": 1}}]
    body = status["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"] == {"status": {"enum": ["paid", "shipped"]}} and body["required"] == ["status"]


async def test_pydantic_params_and_error_answers():
    async with serve(*fuzz_schemas()) as s:
        doc = await _document(s)
    quote = doc["paths"]["/api/shipping/quote"]["post"]
    body = quote["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"weight", "to"}
    assert body["properties"]["to"] == {"$ref": "#/components/schemas/Address"}
    assert doc["components"]["schemas"]["Address"]["properties"]["zip"]["pattern"] == "^[0-9]{5}$"
    assert {"200", "404", "413", "415", "422", "500", "503"} <= set(quote["responses"])
    assert "401" not in quote["responses"]


async def test_auth_and_rate_limited_routes_document_their_errors(served):
    paths = (await _document(served))["paths"]
    assert {"401", "403"} <= set(paths["/admin/stats"]["get"]["responses"])
    assert "429" in paths["/limited/ping"]["get"]["responses"]


async def test_openapi_and_docs_paths_are_configurable():
    schemas = fuzz_schemas(openapi={"path": "/spec.json", "docs_path": "/help", "title": "Shop"})
    async with serve(*schemas) as s:
        assert (await s.client.get("/openapi.json")).status_code == 404
        assert (await s.client.get("/spec.json")).json()["info"]["title"] == "Shop"
        page = await s.client.get("/help")
        assert page.status_code == 200 and '"/spec.json"' in page.text
        assert (await s.client.get("/help/static/swagger-ui-bundle.js")).status_code == 200


async def test_docs_page_is_self_contained(served):
    page = await served.client.get("/docs")
    assert page.headers["content-type"].startswith("text/html")
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN: every asset comes from the gateway
    css = await served.client.get("/docs/static/swagger-ui.css")
    assert css.status_code == 200 and len(css.content) > 10_000


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path: Path):
    st_bin = Path(sys.executable).with_name("st")
    async with serve(*fuzz_schemas()) as s:
        proc = await asyncio.create_subprocess_exec(
            str(st_bin), "run", f"{s.api.server.url}/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,"
            "content_type_conformance",
            "--max-examples", "15", "--seed", "1", "--phases", "examples,coverage,fuzzing", "--workers", "1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )
        out, _ = await proc.communicate()
    text = out.decode()
    assert proc.returncode == 0, text[-4000:]
    assert " passed" in text


# -- fastest-validator → JSON Schema: whatever the validator accepts, the document accepts ---------------------

SCHEMAS: list[dict[str, Any]] = [
    {
        "name": "string|min:2|max:5",
        "age": "number|integer|min:0|optional",
        "tags": {"type": "array", "items": "string", "optional": True, "max": 3},
        "kind": {"type": "enum", "values": ["a", "b"]},
        "ok": "boolean|optional",
        "nested": {"type": "object", "optional": True, "props": {"x": "number|positive"}},
        "either": [{"type": "string"}, {"type": "number"}],
        "maybe": {"type": "string", "nullable": True, "optional": True},
    },
    {"$$strict": True, "a": "number|optional", "b": {"type": "equal", "value": 3, "optional": True}},
    {"id": {"type": "any"}, "list": {"type": "array", "optional": True, "items": {"type": "object", "props": {
        "n": "number|max:10"}}}},
]
KEYS = st.sampled_from(["name", "age", "tags", "kind", "ok", "nested", "either", "maybe", "a", "b", "id", "list",
                        "x", "n"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-20, 20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["a", "b", "ab", "abcdef", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=12,
)


COMPILED = [
    (Validator().compile(schema), jsonschema_rs.Draft202012Validator(rule_schema(root_rule(schema))))
    for schema in SCHEMAS
]


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(SCHEMAS) - 1), value=st.dictionaries(KEYS, JSON, max_size=6))
def test_json_schema_accepts_every_value_the_validator_accepts(index: int, value: dict[str, Any]) -> None:
    schema = SCHEMAS[index]
    check, document = COMPILED[index]
    try:
        check(value)
    except ValidationError:
        return
    assert document.is_valid(value), (schema, value)


def test_required_fields_and_types_are_translated() -> None:
    schema = rule_schema(root_rule({"a": "string", "b": "number|optional", "c": {"type": "string", "default": "x"}}))
    assert schema["required"] == ["a"]
    assert schema["properties"]["b"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}  # FV: optional lets null in
    assert schema["properties"]["c"] == {"type": "string", "default": "x"}


async def test_openapi_false_serves_neither_document_nor_page():
    import httpx

    from broker import ServiceBroker
    from gateway import ApiGateway

    broker = ServiceBroker(logger=False)
    api = broker.create_service({"name": "api", "mixins": [ApiGateway], "settings": {"server": False,
                                                                                       "openapi": False}})
    async with broker:
        assert api.server is None  # server: False builds the ASGI app only
        transport = httpx.ASGITransport(app=api.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/openapi.json")).status_code == 404
            assert (await client.get("/docs")).status_code == 404
