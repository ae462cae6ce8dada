"""The gateway over a real uvicorn server: aliases, rest annotations, whitelists, policies, parameters, meta."""

from __future__ import annotations

import pytest

from broker.errors import ServiceSchemaError
from gateway import ApiGateway

from .conftest import serve
from .services import GREETER, gateway_service


async def test_rest_annotation_routes_are_prefixed_by_the_service_name(served):
    r = await served.client.get("/api/greeter/hello", params={"name": "ada"})
    assert r.status_code == 200
    assert r.json() == {"hello": "ada"}
    assert r.headers["content-type"].startswith("application/json")


async def test_dbmixin_rest_annotations_serve_crud(served):
    created = await served.client.post("/api/posts", json={"title": "Hi", "votes": 2})
    assert created.status_code == 200
    post_id = created.json()["_id"]
    got = await served.client.get(f"/api/posts/{post_id}")
    assert got.json() == {"_id": post_id, "title": "Hi", "votes": 2}
    updated = await served.client.put(f"/api/posts/{post_id}", json={"votes": 5})
    assert updated.json()["votes"] == 5
    listed = await served.client.get("/api/posts", params={"page": "1", "pageSize": "5"})
    assert listed.json()["total"] == 1 and listed.json()["pageSize"] == 5
    removed = await served.client.delete(f"/api/posts/{post_id}")
    assert removed.status_code == 200
    assert (await served.client.get(f"/api/posts/{post_id}")).status_code == 404


async def test_settings_rest_replaces_the_service_name_prefix(served):
    served.broker.create_service(
        {"name": "late", "settings": {"rest": "/v2/later"},
         "actions": {"ping": {"rest": "GET /ping", "handler": lambda self, ctx: "pong"}}}
    )
    await served.broker.wait_for_services("late")
    r = await served.client.get("/api/v2/later/ping")
    assert r.status_code == 200 and r.json() == "pong"
    assert (await served.client.get("/api/late/ping")).status_code == 404


async def test_explicit_aliases_with_path_parameters(served):
    r = await served.client.get("/api/my")
    assert r.json() == [{"id": 1, "user": None}]
    r = await served.client.put("/api/orders/17/status", json={"status": "paid"})
    assert r.status_code == 200
    assert r.json() == {"id": "17", "status": "paid"}


async def test_parameters_merge_body_then_query_then_path(served):
    r = await served.client.post(
        "/api/greeter/echo/from-path?q=from-query&id=query-id&b=query-b",
        json={"b": "from-body", "c": "only-body", "id": "body-id"},
    )
    assert r.json() == {"b": "query-b", "c": "only-body", "id": "from-path", "q": "from-query"}


async def test_repeated_query_keys_become_a_list(served):
    r = await served.client.post("/api/greeter/echo/1?tag=a&tag=b")
    assert r.json() == {"tag": ["a", "b"], "id": "1"}


async def test_query_strings_are_converted_by_the_params_schema(served):
    r = await served.client.get("/raw/greeter/add", params={"a": "2", "b": "3.5"})
    assert r.json() == {"sum": 5.5}


async def test_non_whitelisted_action_is_a_404_even_if_it_exists(served):
    r = await served.client.get("/raw/greeter/whoami")
    assert r.status_code == 404
    assert r.json()["type"] == "SERVICE_NOT_FOUND"
    assert (await served.broker.call("greeter.whoami"))["user"] is None  # it exists


async def test_mapping_policy_all_maps_paths_to_action_names(served):
    r = await served.client.get("/raw/greeter/hello")
    assert r.json() == {"hello": "world"}


async def test_mapping_policy_restrict_serves_aliases_only(served):
    r = await served.client.get("/api/greeter/whoami/extra")
    assert r.status_code == 404 and r.json()["type"] == "NOT_FOUND"
    r = await served.client.get("/limited/greeter/hello")
    assert r.status_code == 404 and r.json()["type"] == "NOT_FOUND"


async def test_unknown_route_and_unknown_entity_differ_by_type(served):
    route = await served.client.get("/nowhere")
    entity = await served.client.get("/api/posts/does-not-exist")
    assert route.status_code == entity.status_code == 404
    assert route.json()["type"] == "NOT_FOUND"
    assert entity.json() == {
        "name": "EntityNotFoundError", "message": "Entity not found", "code": 404,
        "type": "ENTITY_NOT_FOUND", "data": {"id": "does-not-exist"},
    }


async def test_wrong_method_on_a_known_path_is_a_404(served):
    assert (await served.client.delete("/api/greeter/hello")).status_code == 404


async def test_head_is_answered_by_the_get_alias_without_a_body(served):
    got = await served.client.get("/api/greeter/hello", params={"name": "ada"})
    head = await served.client.head("/api/greeter/hello", params={"name": "ada"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]
    assert (await served.client.head("/api/greeter/nothing")).status_code == 404
    assert (await served.client.head("/api/posts/unknown-id")).status_code == 404


async def test_non_published_actions_are_never_served(served):
    r = await served.client.get("/api/greeter/hidden")
    assert r.status_code == 404


async def test_status_code_and_headers_from_meta(served):
    r = await served.client.post("/api/greeter/status")
    assert r.status_code == 201
    assert r.headers["x-custom"] == "yes"
    assert r.json() == {"created": True}


async def test_response_type_from_meta(served):
    r = await served.client.get("/api/greeter/text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "plain words"


async def test_request_id_is_taken_from_the_request_and_echoed(served):
    r = await served.client.get("/api/greeter/whoami", headers={"X-Request-ID": "req-42"})
    assert r.headers["x-request-id"] == "req-42"
    assert r.json()["requestID"] == "req-42"


async def test_request_id_is_generated_when_missing(served):
    first = await served.client.get("/api/greeter/whoami")
    second = await served.client.get("/api/greeter/whoami")
    assert first.headers["x-request-id"] == first.json()["requestID"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_hooks_run_around_the_call(served):
    seen: list[str] = []

    def before(svc, ctx, route, request):
        seen.append(f"before {request.url.path}")
        ctx.meta["user"] = {"name": "hooked"}

    async def after(svc, ctx, route, request, data):
        seen.append("after")
        return {**data, "wrapped": True}

    schema = gateway_service(routes=[{"path": "/h", "aliases": {"GET /who": "greeter.whoami"},
                                      "on_before_call": before, "on_after_call": after}])
    async with serve(GREETER, schema) as s:
        r = await s.client.get("/h/who")
    assert r.json()["user"] == {"name": "hooked"} and r.json()["wrapped"] is True
    assert seen == ["before /h/who", "after"]


async def test_in_process_asgi_client(served):
    import httpx

    transport = httpx.ASGITransport(app=served.api.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.get("/api/greeter/hello", params={"name": "asgi"})
    assert r.json() == {"hello": "asgi"}


async def test_auth_route_without_authenticate_method_is_refused():
    from broker import ServiceBroker

    broker = ServiceBroker(logger=False)
    with pytest.raises(ServiceSchemaError, match="authenticate"):
        broker.create_service({"name": "api", "mixins": [ApiGateway],
                               "settings": {"server": False, "routes": [{"path": "/x", "authentication": True}]}})


async def test_logging_setting_logs_each_request_with_its_id(caplog):
    import logging

    logger = logging.getLogger("gateway-test-log")
    async with serve(GREETER, gateway_service(logging=True), logger=logger) as s:
        with caplog.at_level(logging.INFO, logger="gateway-test-log"):
            await s.client.get("/api/greeter/hello", headers={"X-Request-ID": "log-1"})
    lines = [rec.getMessage() for rec in caplog.records]
    assert any(line.startswith("<= 200 GET /api/greeter/hello") and "log-1" in line for line in lines), lines


async def test_logging_off_logs_no_request(caplog):
    import logging

    logger = logging.getLogger("gateway-test-nolog")
    async with serve(GREETER, gateway_service(logging=False), logger=logger) as s:
        with caplog.at_level(logging.INFO, logger="gateway-test-nolog"):
            await s.client.get("/api/greeter/hello")
    assert not [rec for rec in caplog.records if "GET /api/greeter/hello" in rec.getMessage()]
