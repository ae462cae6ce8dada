"""Error statuses and bodies, authentication/authorization, CORS, body and rate limits, graceful stop."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from broker import ServiceBroker
from broker.errors import ServiceSchemaError

from .conftest import serve
from .services import GREETER, gateway_service

pytestmark = pytest.mark.asyncio

ERROR_KEYS = {"name", "message", "code", "type", "data"}


async def test_validation_error_is_422_with_the_field_list(served):
    r = await served.client.put("/api/orders/1/status", json={"status": "lost"})
    assert r.status_code == 422
    body = r.json()
    assert set(body) == ERROR_KEYS and body["code"] == 422 and body["name"] == "ValidationError"
    assert [e["field"] for e in body["data"]] == ["status"]
    assert body["data"][0]["actual"] == "lost"


async def test_unconvertible_query_string_is_422(served):
    r = await served.client.get("/raw/greeter/add", params={"a": "x", "b": "1"})
    assert r.status_code == 422
    assert r.json()["data"][0]["field"] == "a"


async def test_conflict_is_409(served):
    r = await served.client.post("/api/greeter/conflict")
    assert r.status_code == 409
    assert r.json() == {"name": "MoleculerClientError", "message": "Already exists", "code": 409,
                        "type": "CONFLICT", "data": {"field": "name"}}


async def test_retryable_error_is_503(served):
    r = await served.client.get("/api/greeter/busy")
    assert r.status_code == 503 and r.json()["type"] == "BUSY"


async def test_unexpected_error_is_500_without_internals_and_logged_with_request_id(caplog):
    logger = logging.getLogger("gateway-test-500")
    async with serve(GREETER, gateway_service(), logger=logger) as s:
        with caplog.at_level(logging.ERROR, logger="gateway-test-500"):
            r = await s.client.get("/api/greeter/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert r.json()["data"] == {"requestID": "boom-1"}
    logged = [rec for rec in caplog.records if "boom-1" in rec.getMessage()]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


async def test_authentication_puts_the_user_in_meta(served):
    r = await served.client.get("/auth/whoami", headers={"Authorization": "Bearer bob"})
    assert r.json()["user"] == {"id": 2, "name": "bob", "role": "user"}


async def test_missing_or_invalid_token_is_401(served):
    r = await served.client.get("/admin/stats")
    assert r.status_code == 401 and r.json()["type"] == "NO_TOKEN"
    r = await served.client.get("/admin/stats", headers={"Authorization": "Bearer mallory"})
    assert r.status_code == 401 and r.json()["type"] == "INVALID_TOKEN"


async def test_authorization_refuses_with_403_and_allows_admins(served):
    r = await served.client.get("/admin/stats", headers={"Authorization": "Bearer bob"})
    assert r.status_code == 403 and r.json()["type"] == "NOT_ADMIN"
    r = await served.client.get("/admin/stats", headers={"Authorization": "Bearer alice"})
    assert r.status_code == 200 and r.json() == {"user": "alice", "orders": 42}


async def test_regex_whitelist_refuses_other_actions(served):
    r = await served.client.get("/admin/nothing", headers={"Authorization": "Bearer alice"})
    assert r.status_code == 404


async def test_body_over_the_limit_is_413(served):
    r = await served.client.post("/api/greeter/echo/1", json={"text": "x" * 2000})
    assert r.status_code == 413
    assert r.json()["data"] == {"limit": 1024}


async def test_chunked_body_over_the_limit_is_413(served):
    async def chunks():
        for _ in range(10):
            yield b'{"a":"' + b"x" * 200 + b'"}'

    r = await served.client.post("/api/greeter/echo/1", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


async def test_non_json_body_is_415(served):
    r = await served.client.post("/api/greeter/echo/1", content=b"a=1", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["type"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_malformed_json_is_400_and_non_object_json_is_422(served):
    r = await served.client.post("/api/greeter/echo/1", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["type"] == "INVALID_REQUEST_BODY"
    r = await served.client.post("/api/greeter/echo/1", json=[1, 2])
    assert r.status_code == 422 and r.json()["data"][0]["field"] == "body"


async def test_rate_limit_is_429_past_the_limit(served):
    codes = [(await served.client.get("/limited/ping")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = await served.client.get("/limited/ping")
    assert r.json()["type"] == "RATE_LIMIT_EXCEEDED"
    assert r.headers["x-rate-limit-limit"] == "2" and r.headers["x-rate-limit-remaining"] == "0"


async def test_a_forwarded_for_header_does_not_pick_the_rate_limit_key(served):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default: a local client could then pick a fresh key (and
    address) per request. The gateway ignores forwarding headers unless ``trust_proxy`` names the proxy."""
    spoofed = [(await served.client.get("/limited/ping", headers={"X-Forwarded-For": f"10.0.0.{i}"})).status_code
               for i in range(3)]  # fmt: skip
    assert spoofed == [200, 200, 429]


@pytest.mark.parametrize(("trust", "expected"), [(True, "10.9.8.7"), (["127.0.0.1"], "10.9.8.7"), (False, "127.0.0.1"),
                                                 (["192.0.2.1"], "127.0.0.1")])  # fmt: skip
async def test_trust_proxy_believes_forwarding_headers_from_the_named_proxies_only(trust, expected):
    seen: list[str] = []

    def key(request):
        seen.append(request.client.host)
        return None

    settings = {"trust_proxy": trust, "rate_limit": {"key": key}}
    async with serve(GREETER, gateway_service(**settings)) as s:
        r = await s.client.get("/api/greeter/hello", params={"name": "x"}, headers={"X-Forwarded-For": "10.9.8.7"})
        assert r.status_code == 200
    assert seen == [expected]


@pytest.mark.parametrize("trust", [5, [""], [None], {"ip": "x"}])
async def test_a_malformed_trust_proxy_is_refused_at_creation(trust):
    broker = ServiceBroker(logger=False)
    with pytest.raises(ServiceSchemaError, match="trust_proxy"):
        broker.create_service(gateway_service(trust_proxy=trust))


async def test_cors_preflight(served):
    r = await served.client.options("/api/greeter/hello", headers={
        "Origin": "http://app.example.test", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-token",
    })
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "http://app.example.test"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["access-control-allow-headers"] == "x-token"
    assert "GET" in r.headers["access-control-allow-methods"]


async def test_cors_headers_on_simple_requests_and_refused_origins(served):
    r = await served.client.get("/api/greeter/hello", headers={"Origin": "http://allowed.test"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://allowed.test"
    r = await served.client.get("/api/greeter/hello", headers={"Origin": "http://evil.test"})
    assert r.status_code == 403 and r.json()["type"] == "ORIGIN_NOT_ALLOWED"
    r = await served.client.get("/api/greeter/hello")
    assert "access-control-allow-origin" not in r.headers


async def test_services_joining_and_leaving_change_the_routes(served):
    assert (await served.client.get("/api/late/ping")).status_code == 404
    late = served.broker.create_service(
        {"name": "late", "actions": {"ping": {"rest": "GET /ping", "handler": lambda self, ctx: {"pong": 1}}}}
    )
    await served.broker.wait_for_services("late")
    r = await served.client.get("/api/late/ping")
    assert r.status_code == 200 and r.json() == {"pong": 1}
    assert "/api/late/ping" in (await served.client.get("/openapi.json")).json()["paths"]
    await served.broker.destroy_service(late)
    r = await served.client.get("/api/late/ping")
    assert r.status_code == 404
    assert "/api/late/ping" not in (await served.client.get("/openapi.json")).json()["paths"]


async def test_graceful_stop_finishes_in_flight_requests_then_refuses():
    broker = ServiceBroker(logger=False)
    greeter = broker.create_service(GREETER)
    api = broker.create_service(gateway_service(shutdown_timeout=5))
    await broker.start()
    url = api.server.url
    async with httpx.AsyncClient(base_url=url) as client:
        in_flight = asyncio.create_task(client.get("/api/greeter/slow"))
        await greeter.entered.wait()
        stopping = asyncio.create_task(broker.stop())
        server = api.server.server
        while not server.servers or any(listener.is_serving() for listener in server.servers):
            await asyncio.sleep(0.01)  # until uvicorn has closed its listening socket: shutdown has begun
        async with httpx.AsyncClient(base_url=url) as late_client:
            with pytest.raises(httpx.ConnectError):
                await late_client.get("/api/greeter/hello")  # no new connection while the old one finishes
        greeter.release.set()
        r = await in_flight
        await stopping
    assert r.status_code == 200 and r.json() == {"slow": True}
    async with httpx.AsyncClient(base_url=url) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/api/greeter/hello")


async def test_unknown_action_while_the_broker_is_not_running_is_a_retryable_503(served):
    served.broker.started = False  # as between ServiceBroker.stop()'s first line and the gateway's own stop
    try:
        r = await served.client.get("/raw/greeter/hello")
    finally:
        served.broker.started = True
    assert r.status_code == 200  # registered actions are still served
    await served.broker.destroy_service(served.broker.get_local_service("greeter"))
    served.broker.started = False
    try:
        r = await served.client.get("/raw/greeter/hello")
    finally:
        served.broker.started = True
    assert r.status_code == 503 and r.json()["type"] == "NOT_STARTED"
    assert (await served.client.get("/raw/greeter/hello")).status_code == 404


async def test_stop_is_bounded_when_a_request_never_finishes():
    broker = ServiceBroker(logger=False)
    greeter = broker.create_service(GREETER)
    api = broker.create_service(gateway_service(shutdown_timeout=1))
    await broker.start()
    async with httpx.AsyncClient(base_url=api.server.url) as client:
        in_flight = asyncio.create_task(client.get("/api/greeter/slow"))
        await greeter.entered.wait()
        await asyncio.wait_for(broker.stop(), 30)  # the slow action is never released: uvicorn cancels it
        r = await in_flight
    assert r.status_code == 503
    assert r.json()["type"] == "SHUTTING_DOWN" and r.json()["name"] == "ServiceUnavailableError"
    assert api.server is None


async def test_port_in_use_fails_the_start():
    first = ServiceBroker(logger=False)
    api = first.create_service(gateway_service())
    await first.start()
    try:
        second = ServiceBroker(logger=False)
        second.create_service(gateway_service(port=api.server.port))
        with pytest.raises(Exception, match="could not listen"):
            await second.start()
        await second.stop()
    finally:
        await first.stop()
