"""The shop over several nodes: two ``python -m shop`` processes on the real NATS server, on a namespace of their
own, one with ``SERVICES=api`` (the only one listening on HTTP) and one with the other services, both on one
SQLite file; the course's flow driven over HTTP through the api node. Once with each node's memory cacher, once with
``CACHER=redis://127.0.0.1:6379`` (the namespace keeps the keys apart): a product update is seen by the next read.
Both nodes stop gracefully on SIGTERM (exit 0, the api node sees the other leave).

Skipped when NATS (or Redis) is unreachable, failed under ``CI=true`` (as ``tests/transit``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import NATS_URL, REDIS_URL, require

from .server import ADMIN, ShopProcess, sql_available

pytestmark = pytest.mark.skipif(not sql_available(), reason="the two nodes share one SQLite file")

OTHERS = "user,product,order,email,notification"


def wait_for(http: httpx.Client, path: str, timeout: float = 30.0) -> httpx.Response:
    """``GET path`` until the api node has discovered the service behind it (200)."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(path)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def redis_keys(pattern: str, delete: bool = False) -> list[bytes]:
    """The Redis keys matching ``pattern`` (deleted with ``delete``)."""
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=pattern))
        if delete and keys:
            client.delete(*keys)
        return keys


@pytest.fixture(params=["Memory", "redis"])
def nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ShopProcess, ShopProcess, str]]:
    """``(api node, services node, namespace)`` joined over NATS."""
    require(NATS_URL, "NATS")
    cacher = request.param
    if cacher == "redis":
        require(REDIS_URL, "Redis")
        cacher = REDIS_URL
    namespace = f"shop-test-{secrets.token_hex(4)}"
    common = {"TRANSPORTER": NATS_URL, "NAMESPACE": namespace, "CACHER": cacher,
              "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"}  # fmt: skip
    services = ShopProcess({**common, "SERVICES": OTHERS, "NODE_ID": f"{namespace}-services"}, tmp_path).start()
    try:
        api = ShopProcess({**common, "SERVICES": "api", "NODE_ID": f"{namespace}-api"}, tmp_path).start()
    except BaseException:
        services.stop()
        raise
    try:
        yield api, services, namespace
    finally:
        codes = (api.stop(), services.stop())
        if cacher == REDIS_URL:
            redis_keys(f"MOL-{namespace}-*", delete=True)
        assert codes == (0, 0), api.output() + services.output()
        assert "Stopped." in api.output() and "Stopped." in services.output()


def bearer(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = http.post("/api/public/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_the_course_flow_across_two_nodes(nodes: tuple[ShopProcess, ShopProcess, str]) -> None:
    api, services, namespace = nodes
    assert api.url and not services.url  # only the api node listens on HTTP
    assert "Shop API:" not in services.output() and "Database:" not in api.output()
    assert f"Node: {namespace}-api in namespace '{namespace}' over {NATS_URL}" in api.output()
    with httpx.Client(base_url=api.url, timeout=30) as http:
        assert wait_for(http, "/api/product").json()["total"] == 3  # seeded by the services node
        user = http.post("/api/public/register", json={"name": "Rahul Sharma", "email": "rahul@example.com",
                                                       "password": "password123"})  # fmt: skip
        assert user.status_code == 200, user.text
        me = bearer(http, "rahul@example.com", "password123")
        admin = bearer(http, ADMIN["email"], ADMIN["password"])
        created = http.post("/api/admin/product", headers=admin, json={"name": "Keyboard", "price": 30, "stock": 5})
        assert created.status_code == 200, created.text
        product = created.json()
        order = http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": 2})
        assert order.status_code == 200, order.text
        assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 3
        mine = http.get("/api/order/my", headers=me, params={"populate": "product"}).json()
        assert mine["total"] == 1 and mine["rows"][0]["product"]["_id"] == product["_id"]
        assert mine["rows"][0]["product"]["stock"] == 3
        shipped = http.put(f"/api/admin/order/{order.json()['_id']}/status", headers=admin, json={"status": "shipped"})
        assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
        # datetimes cross the wire as ISO 8601, as a local answer writes them
        assert datetime.fromisoformat(shipped.json()["updatedAt"]) >= datetime.fromisoformat(order.json()["createdAt"])
        assert "T" in user.json()["createdAt"]
        missing = http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": 9})
        assert (missing.status_code, missing.json()["type"]) == (422, "INSUFFICIENT_STOCK")  # a remote error, typed
    assert "Email to rahul@example.com: Welcome to our store, Rahul Sharma" in services.output()


def test_a_product_update_is_seen_by_the_next_read(nodes: tuple[ShopProcess, ShopProcess, str]) -> None:
    api, _, namespace = nodes
    with httpx.Client(base_url=api.url, timeout=30) as http:
        wait_for(http, "/api/product")
        admin = bearer(http, ADMIN["email"], ADMIN["password"])
        product = http.post("/api/admin/product", headers=admin, json={"name": "Mouse", "price": 10, "stock": 4}).json()
        path = f"/api/product/{product['_id']}"
        assert http.get(path).json()["price"] == 10
        assert http.get(path).json()["price"] == 10  # now from the cache
        assert http.get("/api/product").json()["total"] == 4  # the list is cached too
        if "redis" in api.env["CACHER"]:
            assert redis_keys(f"MOL-{namespace}-product.get:*")  # the cache is Redis, under the namespace
        changed = http.put(f"/api/admin/product/{product['_id']}", headers=admin, json={"price": 12})
        assert changed.status_code == 200, changed.text
        assert http.get(path).json()["price"] == 12
        listed: dict[str, Any] = {row["_id"]: row for row in http.get("/api/product").json()["rows"]}
        assert listed[product["_id"]]["price"] == 12
