"""Hostile HTTP input against a real gateway: every answer is a JSON error with the right 4xx (or a clean 500 for an
action's own mistake), never a dropped connection, a plain-text 500, invalid JSON or a header the client sent."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

from broker import ServiceBroker
from broker.errors import ServiceSchemaError

from .conftest import serve
from .services import ADMIN, GREETER, ORDER, gateway_service, posts_service

ERROR_KEYS = {"name", "message", "code", "type", "data"}


def _set_header(self: Any, ctx: Any) -> Any:
    ctx.meta["$responseHeaders"] = {ctx.params["name"]: ctx.params["value"]}
    return {"ok": True}


def _redirect(self: Any, ctx: Any) -> Any:
    ctx.meta["$statusCode"] = 302
    ctx.meta["$location"] = ctx.params["to"]
    return None


HOSTILE: dict[str, Any] = {
    "name": "hostile",
    "actions": {
        "header": {"rest": "POST /header", "handler": _set_header},
        "redirect": {"rest": "POST /redirect", "handler": _redirect},
        "nan": {"rest": "GET /nan", "handler": lambda self, ctx: {"x": math.nan, "y": [math.inf, -math.inf], "z": 1.5}},
        "surrogate": {"rest": "GET /surrogate", "handler": lambda self, ctx: {"s": "a\udc00b"}},
    },
}


def _gateway(**settings: Any) -> dict[str, Any]:
    gw = gateway_service(**settings)
    gw["settings"]["routes"] += [
        {"path": "/h", "whitelist": ["hostile.*"], "auto_aliases": True},
        {"path": "/big", "whitelist": ["greeter.echo"]},  # mapping_policy "all", the default 1 MB body limit
    ]
    return gw


async def _raw(port: int, request: bytes) -> bytes:
    """One HTTP/1.1 exchange over a plain socket (bounded): the bytes the server sent before closing."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


# -- $responseHeaders / $location: header injection ---------------------------------------------------------------

@pytest.mark.parametrize("name, value", [
    ("X-Evil", "a\r\nSet-Cookie: pwned=1"),
    ("X-Evil", "a\nb"),
    ("X-Evil", "nul\x00"),
    ("X-Evil", "euro €"),
    ("X-Evil\r\nSet-Cookie", "pwned=1"),
    ("Bad Name", "x"),
    ("", "x"),
])
async def test_response_header_that_cannot_be_sent_is_a_clean_500(name, value):
    async with serve(HOSTILE, _gateway()) as s:
        r = await s.client.post("/h/hostile/header", json={"name": name, "value": value},
                                headers={"X-Request-ID": "hdr-1"})
        assert r.status_code == 500
        assert r.headers["content-type"].startswith("application/json")
        assert set(r.json()) == ERROR_KEYS and r.json()["data"] == {"requestID": "hdr-1"}
        assert "set-cookie" not in r.headers and "x-evil" not in r.headers
        # the connection still serves a sound request
        assert (await s.client.post("/h/hostile/header", json={"name": "X-Ok", "value": "1"})).headers["x-ok"] == "1"


async def test_location_with_crlf_is_a_clean_500():
    async with serve(HOSTILE, _gateway()) as s:
        r = await s.client.post("/h/hostile/redirect", json={"to": "/x\r\nSet-Cookie: pwned=1"})
        assert r.status_code == 500 and "set-cookie" not in r.headers
        r = await s.client.post("/h/hostile/redirect", json={"to": "/elsewhere"})
        assert r.status_code == 302 and r.headers["location"] == "/elsewhere"


# -- X-Request-ID --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", [b"x" * 10_000, b"caf\xc3\xa9", b"a b", b"\xff\xfe", b"a\tb"])
async def test_unfit_request_id_is_replaced_by_a_generated_one(sent):
    async with serve(GREETER, _gateway()) as s:
        port = s.api.server.port
        raw = await _raw(port, b"GET /api/greeter/whoami HTTP/1.1\r\nHost: t\r\nX-Request-ID: " + sent
                         + b"\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    lines = head.split(b"\r\n")
    echoed = [line.split(b":", 1)[1].strip() for line in lines if line.lower().startswith(b"x-request-id:")]
    assert len(echoed) == 1 and echoed[0] != sent and 0 < len(echoed[0]) <= 128
    assert json.loads(body)["requestID"] == echoed[0].decode()


async def test_a_fit_request_id_is_kept():
    async with serve(GREETER, _gateway()) as s:
        rid = "abc-123_4.5:6/7+8=" + "z" * 100
        r = await s.client.get("/api/greeter/whoami", headers={"X-Request-ID": rid})
        assert r.headers["x-request-id"] == rid and r.json()["requestID"] == rid


# -- JSON bodies ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": -Infinity}',
    '{"a": 1e999}',
    '{"a": [1, -1e400]}',
])
async def test_json_body_python_would_mangle_is_a_400(body):
    async with serve(GREETER, _gateway()) as s:
        r = await s.client.post("/big/greeter/echo", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()["type"] == "INVALID_REQUEST_BODY"


async def test_lone_surrogate_in_a_body_is_echoed_as_valid_json():
    async with serve(GREETER, _gateway()) as s:
        r = await s.client.post("/big/greeter/echo", content=b'{"a": "x\\udc00y"}',
                                headers={"content-type": "application/json"})
        assert r.status_code == 200
        r.content.decode("utf-8")  # valid UTF-8
        assert json.loads(r.content) == {"a": "x\udc00y"}


async def test_results_are_always_standard_json():
    async with serve(HOSTILE, _gateway()) as s:
        r = await s.client.get("/h/hostile/nan")
        assert r.status_code == 200
        # JSON.stringify writes null for NaN and the infinities; Python's NaN/Infinity tokens are not JSON
        assert json.loads(r.content, parse_constant=lambda c: pytest.fail(f"non-JSON token {c}")) == {
            "x": None, "y": [None, None], "z": 1.5}
        r = await s.client.get("/h/hostile/surrogate")
        assert r.status_code == 200 and json.loads(r.content.decode("utf-8")) == {"s": "a\udc00b"}


# -- CORS ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", [
    "http://evil.test/.example.test",
    "http://evil.test?.example.test",
    "http://evil.test#.example.test",
    "http://user@evil.test/x.example.test",
    "http://evil.test .example.test",
])
async def test_origin_wildcard_covers_one_host_part_only(origin):
    async with serve(GREETER, _gateway()) as s:
        r = await s.client.options("/api/greeter/hello",
                                   headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert r.status_code == 403 and r.json()["type"] == "ORIGIN_NOT_ALLOWED"
        assert "access-control-allow-origin" not in r.headers
        r = await s.client.options("/api/greeter/hello", headers={
            "Origin": "http://a.b.example.test", "Access-Control-Request-Method": "GET"})
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "http://a.b.example.test"


@pytest.mark.parametrize("cors", [
    {"origin": "*", "credentials": True},
    {"credentials": True},
    {"origin": ["http://a.test", "*"], "credentials": True},
])
def test_credentials_with_any_origin_is_refused_at_creation(cors):
    broker = ServiceBroker(logger=False)
    gw = gateway_service()
    gw["settings"]["routes"] = [{"path": "/x", "cors": cors}]
    with pytest.raises(ServiceSchemaError, match="credentials"):
        broker.create_service(gw)


async def test_star_in_an_origin_list_answers_star_not_the_reflected_origin():
    gw = gateway_service()
    gw["settings"]["routes"] = [{"path": "/x", "cors": {"origin": ["http://a.test", "*"]}, "whitelist": ["greeter.*"]}]
    async with serve(GREETER, gw) as s:
        r = await s.client.options("/x/greeter/hello", headers={
            "Origin": "http://evil.test", "Access-Control-Request-Method": "GET"})
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in r.headers


# -- whitelist and parameter smuggling (holding today: guards against regressions) ---------------------------------

@pytest.mark.parametrize("path", [
    "/raw/greeter/boom", "/raw/greeter%2Fboom", "/raw/greeter%2eboom", "/raw//greeter/boom", "/raw/greeter/boom/",
    "/raw/greeter.boom", "/raw/GREETER/hello", "/raw/greeter/hidden", "/raw/$node/list", "/raw/%24node/services",
    "/raw/admin/stats", "/ADMIN/stats", "/admin//stats", "/api/greeter/hello/../boom", "/raw/greeter/hello%00",
])
async def test_path_tricks_never_reach_an_action_outside_the_whitelist(path):
    async with serve(GREETER, ORDER, ADMIN, posts_service(), _gateway()) as s:
        port = s.api.server.port
        raw = await _raw(port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404"), raw[:300]
    assert json.loads(body)["type"] in ("NOT_FOUND", "SERVICE_NOT_FOUND")


async def test_params_cannot_override_path_parameters_or_reach_meta(served):
    body = {"id": 9, "meta": {"user": "root"}, "$statusCode": 500}
    r = await served.client.post("/api/greeter/echo/7?id=8", json=body, headers={"X-Meta-User": "root"})
    assert r.status_code == 200 and r.json()["id"] == "7"
    r = await served.client.get("/auth/whoami?user=alice&meta.user=alice", headers={"Authorization": "Bearer bob"})
    assert r.json()["user"]["name"] == "bob"
