"""End to end: the real command, ``python -m shop``, in a subprocess on a free loopback port and a temporary
database, driven over HTTP through the course's whole flow and every error path.

With ``SQLAdapter`` available the module runs on a temporary SQLite file, then on a fresh PostgreSQL and a fresh
MariaDB database (``tests/shop/databases.py``: skipped when the server is unreachable, failed under ``CI=true``);
without it, on ``memory://``. Then on MongoDB: ``MONGO_URI=mongomock://`` always (mongomock-motor inside the shop's
process) and a fresh database on a real server when ``MONGO_URI`` is set in the test environment. Restart
persistence runs on the persistent kinds only. Every error answer is checked for status and JSON body, and for
nothing written.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from .databases import PERSISTENT, fresh_storage, storage_kinds
from .server import ADMIN, ShopProcess, sql_available

SECRET = "test-secret-of-at-least-thirty-two-bytes!"


ENGINES = storage_kinds(sql_available())


@pytest.fixture(scope="module", params=ENGINES)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopProcess]:
    tmp = tmp_path_factory.mktemp("shop")
    env, drop = fresh_storage(request.param, tmp)
    try:
        server = ShopProcess(env, tmp).start()
        yield server
        assert server.stop() == 0, server.output()
    finally:
        drop()


@pytest.fixture(scope="module")
def http(shop: ShopProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shop.url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(http: httpx.Client, email: str, password: str) -> str:
    response = http.post("/api/public/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture(scope="module")
def admin(http: httpx.Client) -> dict[str, str]:
    return bearer(login(http, ADMIN["email"], ADMIN["password"]))


_counter = iter(range(1_000_000))


def new_user(http: httpx.Client) -> tuple[dict[str, Any], dict[str, str]]:
    email = f"user{next(_counter)}@example.com"
    response = http.post("/api/public/register", json={"name": "Rahul Sharma", "email": email,
                                                       "password": "password123"})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json(), bearer(login(http, email, "password123"))


def new_product(http: httpx.Client, admin: dict[str, str], stock: int = 50, price: float = 2999) -> dict[str, Any]:
    response = http.post("/api/admin/product", headers=admin,
                         json={"name": "Mechanical Keyboard", "price": price, "stock": stock})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"name", "message", "code", "type", "data"}
    assert (body["code"], body["type"]) == (status, type_)
    return body


def fields_named(body: dict[str, Any]) -> list[str]:
    return [issue["field"] or issue["actual"] for issue in body["data"]]


# -- the course's flow -------------------------------------------------------------------------------------------


def test_the_first_run_seeded_the_admin_and_the_catalogue(shop: ShopProcess, http: httpx.Client) -> None:
    assert f"Admin created: {ADMIN['email']}" in shop.output()
    assert "API docs: " in shop.output()
    catalogue = http.get("/api/product").json()
    assert catalogue["total"] >= 3
    assert http.get("/docs").status_code == 200
    assert "/api/order/my" in http.get("/openapi.json").json()["paths"]


def test_the_whole_flow(http: httpx.Client, admin: dict[str, str]) -> None:
    registered = http.post("/api/public/register", json={"name": "Rahul Sharma", "email": "Rahul@Example.com",
                                                         "password": "password123"})  # fmt: skip
    assert registered.status_code == 200
    user = registered.json()
    assert user["email"] == "rahul@example.com" and user["role"] == "user" and "password" not in user

    logged = http.post("/api/public/login", json={"email": "rahul@example.com", "password": "password123"})
    body = logged.json()
    assert body["message"] == "Login successful" and body["user"]["_id"] == user["_id"]
    assert "password" not in body["user"]
    assert logged.headers["authorization"] == f"Bearer {body['token']}"
    me = bearer(body["token"])
    assert http.get("/api/user/me", headers=me).json()["_id"] == user["_id"]

    product = new_product(http, admin, stock=50)
    order = http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": 2})
    assert order.status_code == 200, order.text
    placed = order.json()
    assert (placed["status"], placed["totalPrice"], placed["userId"]) == ("confirmed", 5998, user["_id"])
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 48

    mine = http.get("/api/order/my", headers=me, params={"populate": "product"}).json()
    assert mine["total"] == 1 and mine["page"] == 1
    assert mine["rows"][0]["product"]["_id"] == product["_id"]
    assert mine["rows"][0]["product"]["stock"] == 48
    assert http.get(f"/api/order/{placed['_id']}", headers=me).json()["_id"] == placed["_id"]

    shipped = http.put(f"/api/admin/order/{placed['_id']}/status", headers=admin, json={"status": "shipped"})
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    listed = http.get("/api/admin/order", headers=admin).json()
    assert placed["_id"] in [row["_id"] for row in listed["rows"]]
    users = http.get("/api/admin/user", headers=admin, params={"pageSize": 100}).json()
    assert all("password" not in row for row in users["rows"])

    renamed = http.put(f"/api/user/{user['_id']}", headers=me, json={"name": "Rahul S"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Rahul S"


def test_admin_product_management(http: httpx.Client, admin: dict[str, str]) -> None:
    product = new_product(http, admin)
    updated = http.put(f"/api/admin/product/{product['_id']}", headers=admin, json={"price": 10, "stock": 7})
    assert updated.status_code == 200 and (updated.json()["price"], updated.json()["stock"]) == (10, 7)
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 7  # the cache was cleaned
    removed = http.delete(f"/api/admin/product/{product['_id']}", headers=admin)
    assert removed.status_code == 200
    assert_error(http.get(f"/api/product/{product['_id']}"), 404, "ENTITY_NOT_FOUND")


def test_cancelling_an_order_gives_the_stock_back(http: httpx.Client, admin: dict[str, str]) -> None:
    _, me = new_user(http)
    product = new_product(http, admin, stock=5)
    order = http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": 3}).json()
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 2
    cancelled = http.put(f"/api/admin/order/{order['_id']}/status", headers=admin, json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 5


# -- error paths: status, JSON body, nothing written ---------------------------------------------------------------


def count_users(http: httpx.Client, admin: dict[str, str]) -> int:
    return http.get("/api/admin/user", headers=admin).json()["total"]


def count_orders(http: httpx.Client, admin: dict[str, str]) -> int:
    return http.get("/api/admin/order", headers=admin).json()["total"]


def test_malformed_json_is_a_400(http: httpx.Client, admin: dict[str, str]) -> None:
    before = count_users(http, admin)
    response = http.post("/api/public/register", content=b'{"name": "x",', headers={"content-type": "application/json"})
    assert_error(response, 400, "INVALID_REQUEST_BODY")
    assert count_users(http, admin) == before


def test_missing_and_wrongly_typed_fields_are_422s_naming_them(http: httpx.Client, admin: dict[str, str]) -> None:
    before = count_users(http, admin)
    body = assert_error(http.post("/api/public/register", json={"name": "Rahul", "password": "password123"}),
                        422, "VALIDATION_ERROR")  # fmt: skip
    assert fields_named(body) == ["email"]
    body = assert_error(http.post("/api/public/register", json={"name": "Rahul", "email": "not-an-email",
                                                                "password": "password123"}), 422, "VALIDATION_ERROR")
    assert fields_named(body) == ["email"]
    body = assert_error(http.post("/api/public/register", json={"name": "Rahul", "email": "a@b.io", "password": "12"}),
                        422, "VALIDATION_ERROR")  # fmt: skip
    assert fields_named(body) == ["password"]
    body = assert_error(http.post("/api/public/register", json={"name": "Rahul", "email": "a@b.io",
                                                                "password": "é" * 72}), 422, "VALIDATION_ERROR")
    assert fields_named(body) == ["password"]
    assert count_users(http, admin) == before

    _, me = new_user(http)
    product = new_product(http, admin)
    orders = count_orders(http, admin)
    for quantity in ("2", 0, 1.5, None, True):
        response = http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": quantity})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert fields_named(body) == ["quantity"]
    body = assert_error(http.post("/api/admin/product", headers=admin, json={"name": "X", "price": -1}),
                        422, "VALIDATION_ERROR")  # fmt: skip
    assert fields_named(body) == ["price"]
    assert count_orders(http, admin) == orders
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == product["stock"]


def test_unknown_routes_and_unpublished_actions_are_404s(http: httpx.Client, admin: dict[str, str]) -> None:
    assert_error(http.get("/api/nothing/here"), 404, "NOT_FOUND")
    assert_error(http.get("/nothing"), 404, "NOT_FOUND")
    assert_error(http.post("/api/product/reduce_stock", json={}), 404, "NOT_FOUND")
    assert_error(http.post("/api/admin/product/x/reduce_stock", headers=admin, json={}), 404, "NOT_FOUND")
    assert_error(http.post("/api/user/insert", headers=admin, json={}), 404, "NOT_FOUND")


def test_tokens_missing_forged_or_expired_are_401s(http: httpx.Client) -> None:
    user, _ = new_user(http)
    assert_error(http.get("/api/user/me"), 401, "NO_TOKEN")
    assert_error(http.get("/api/order/my"), 401, "NO_TOKEN")
    assert_error(http.get("/api/admin/user"), 401, "NO_TOKEN")
    assert_error(http.get("/api/user/me", headers={"Authorization": "Basic abc"}), 401, "INVALID_TOKEN")
    now = int(time.time())
    claims = {"id": user["_id"], "email": user["email"], "role": "admin", "iat": now, "exp": now + 60}
    forged = jwt.encode(claims, "another-secret-of-at-least-thirty-two-bytes", algorithm="HS256")
    assert_error(http.get("/api/admin/user", headers=bearer(forged)), 401, "INVALID_TOKEN")
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_error(http.get("/api/admin/user", headers=bearer(unsigned)), 401, "INVALID_TOKEN")
    expired = jwt.encode({**claims, "role": "user", "iat": now - 120, "exp": now - 60}, SECRET, algorithm="HS256")
    body = assert_error(http.get("/api/user/me", headers=bearer(expired)), 401, "INVALID_TOKEN")
    assert body["message"] == "Token expired"
    assert_error(http.get("/api/user/me", headers=bearer("not.a.jwt")), 401, "INVALID_TOKEN")


def test_a_removed_users_token_places_no_order(http: httpx.Client, admin: dict[str, str]) -> None:
    user, token = new_user(http)
    product = new_product(http, admin, stock=5)
    assert http.get("/api/user/me", headers=token).status_code == 200  # cached as a live user
    assert http.delete(f"/api/admin/user/{user['_id']}", headers=admin).status_code == 200
    order = http.post("/api/order", headers=token, json={"productId": product["_id"], "quantity": 1})
    assert assert_error(order, 401, "INVALID_TOKEN")["data"] == {"reason": "user"}
    assert_error(http.get("/api/order/my", headers=token), 401, "INVALID_TOKEN")
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 5
    assert http.get("/api/admin/order", headers=admin,
                    params={"query": f'{{"userId": "{user["_id"]}"}}'}).json()["total"] == 0  # fmt: skip


def test_wrong_credentials_are_401s(http: httpx.Client) -> None:
    user, _ = new_user(http)
    assert_error(http.post("/api/public/login", json={"email": user["email"], "password": "wrong-password"}),
                 401, "INVALID_CREDENTIALS")  # fmt: skip
    assert_error(http.post("/api/public/login", json={"email": "nobody@example.com", "password": "password123"}),
                 401, "INVALID_CREDENTIALS")  # fmt: skip


def test_admin_routes_refuse_users(http: httpx.Client, admin: dict[str, str]) -> None:
    _, me = new_user(http)
    before = http.get("/api/product").json()["total"]
    assert_error(http.post("/api/admin/product", headers=me, json={"name": "Free", "price": 0, "stock": 1}),
                 403, "FORBIDDEN")  # fmt: skip
    assert_error(http.get("/api/admin/user", headers=me), 403, "FORBIDDEN")
    assert http.get("/api/product").json()["total"] == before


def test_someone_elses_order_and_unknown_ids_are_404s(http: httpx.Client, admin: dict[str, str]) -> None:
    _, alice = new_user(http)
    _, bob = new_user(http)
    product = new_product(http, admin)
    order = http.post("/api/order", headers=alice, json={"productId": product["_id"], "quantity": 1}).json()
    assert_error(http.get(f"/api/order/{order['_id']}", headers=bob), 404, "ENTITY_NOT_FOUND")
    assert http.get("/api/order/my", headers=bob).json()["total"] == 0
    assert http.get(f"/api/order/{order['_id']}", headers=admin).status_code == 200
    orders = count_orders(http, admin)
    for unknown in UNKNOWN_IDS:
        assert_error(http.get(f"/api/order/{unknown}", headers=alice), 404, "ENTITY_NOT_FOUND")
        assert_error(http.get(f"/api/product/{unknown}"), 404, "ENTITY_NOT_FOUND")
        assert_error(http.post("/api/order", headers=alice, json={"productId": unknown, "quantity": 1}),
                     404, "ENTITY_NOT_FOUND")  # fmt: skip
        assert_error(http.put(f"/api/admin/order/{unknown}/status", headers=admin, json={"status": "shipped"}),
                     404, "ENTITY_NOT_FOUND")  # fmt: skip
        assert_error(http.delete(f"/api/admin/product/{unknown}", headers=admin), 404, "ENTITY_NOT_FOUND")
    assert count_orders(http, admin) == orders


UNKNOWN_IDS = ["unknown-id", "0" * 24, "ABCDEF" * 4, "f" * 32]
"""Ids no entity has: malformed for every storage, a well-formed absent ObjectId, upper-case hex (stored as given on
MongoDB, never an ObjectId), a well-formed absent ``uuid4().hex``."""


def test_ids_are_the_storages_own(shop: ShopProcess, http: httpx.Client, admin: dict[str, str]) -> None:
    user, me = new_user(http)
    product = new_product(http, admin)
    order = http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": 1}).json()
    pattern = r"[0-9a-f]{24}" if "MONGO_URI" in shop.env else r"[0-9a-f]{32}"
    for entity in (user, product, order):
        assert re.fullmatch(pattern, entity["_id"]), entity
    populated = http.get(f"/api/order/{order['_id']}", headers=me, params=[("populate", "product"),
                                                                          ("populate", "user")]).json()  # fmt: skip
    assert (populated["product"]["_id"], populated["user"]["_id"]) == (product["_id"], user["_id"])
    assert "password" not in populated["user"]


def test_insufficient_stock_is_a_422_and_takes_nothing(http: httpx.Client, admin: dict[str, str]) -> None:
    _, me = new_user(http)
    product = new_product(http, admin, stock=3)
    orders = count_orders(http, admin)
    body = assert_error(http.post("/api/order", headers=me, json={"productId": product["_id"], "quantity": 4}),
                        422, "INSUFFICIENT_STOCK")  # fmt: skip
    assert body["data"] == {"available": 3, "requested": 4}
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 3
    assert count_orders(http, admin) == orders


def test_duplicate_email_is_a_422(http: httpx.Client, admin: dict[str, str]) -> None:
    user, _ = new_user(http)
    before = count_users(http, admin)
    body = assert_error(http.post("/api/public/register", json={"name": "Again", "email": user["email"].upper(),
                                                                "password": "password123"}), 422, "EMAIL_EXISTS")
    assert body["data"] == {"email": user["email"]}
    assert count_users(http, admin) == before
    other, token = new_user(http)
    taken = http.put(f"/api/user/{other['_id']}", headers=token, json={"email": user["email"]})
    assert assert_error(taken, 422, "EMAIL_EXISTS")["data"] == {"email": user["email"]}
    assert http.get("/api/user/me", headers=token).json()["email"] == other["email"]


def test_mass_assignment_is_refused(http: httpx.Client, admin: dict[str, str]) -> None:
    before = count_users(http, admin)
    body = assert_error(http.post("/api/public/register", json={"name": "Mallory", "email": "mallory@example.com",
                                                                "password": "password123", "role": "admin"}),
                        422, "VALIDATION_ERROR")  # fmt: skip
    assert fields_named(body) == ["role"]
    assert count_users(http, admin) == before
    user, me = new_user(http)
    for change in ({"role": "admin"}, {"password": "plain-text"}, {"_id": "mine"}, {"isActive": False},
                   {"$set": {"role": "admin"}}):  # fmt: skip
        response = http.put(f"/api/user/{user['_id']}", headers=me, json=change)
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert fields_named(body) == [next(iter(change))]
    other, _ = new_user(http)
    assert_error(http.put(f"/api/user/{other['_id']}", headers=me, json={"name": "Hacked"}), 403, "FORBIDDEN")
    assert http.get("/api/user/me", headers=me).json() == user
    order = http.post("/api/order", headers=me, json={"productId": new_product(http, admin)["_id"], "quantity": 1,
                                                      "totalPrice": 0})  # fmt: skip
    assert fields_named(assert_error(order, 422, "VALIDATION_ERROR")) == ["totalPrice"]


def test_an_illegal_status_transition_is_a_422(http: httpx.Client, admin: dict[str, str]) -> None:
    _, me = new_user(http)
    order = http.post("/api/order", headers=me, json={"productId": new_product(http, admin)["_id"],
                                                      "quantity": 1}).json()  # fmt: skip
    response = http.put(f"/api/admin/order/{order['_id']}/status", headers=admin, json={"status": "delivered"})
    body = assert_error(response, 422, "INVALID_STATUS_TRANSITION")
    assert body["data"] == {"from": "confirmed", "to": "delivered", "allowed": ["shipped", "cancelled"]}
    body = assert_error(http.put(f"/api/admin/order/{order['_id']}/status", headers=admin, json={"status": "lost"}),
                        422, "VALIDATION_ERROR")  # fmt: skip
    assert fields_named(body) == ["status"]
    assert http.get(f"/api/order/{order['_id']}", headers=me).json()["status"] == "confirmed"


# -- concurrency ---------------------------------------------------------------------------------------------------


def test_200_concurrent_orders_of_a_stock_of_50(shop: ShopProcess, http: httpx.Client, admin: dict[str, str]) -> None:
    _, me = new_user(http)
    product = new_product(http, admin, stock=50)

    async def storm() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=shop.url, timeout=60, limits=limits) as client:
            return await asyncio.gather(*(client.post("/api/order", headers=me, json={"productId": product["_id"],
                                                                                       "quantity": 1})
                                          for _ in range(200)))  # fmt: skip

    responses = asyncio.run(storm())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 50 + [422] * 150
    assert {r.json()["type"] for r in responses if r.status_code == 422} == {"INSUFFICIENT_STOCK"}
    assert http.get(f"/api/product/{product['_id']}").json()["stock"] == 0
    mine = http.get("/api/order/my", headers=me, params={"pageSize": 100}).json()
    assert mine["total"] == 50 and {row["status"] for row in mine["rows"]} == {"confirmed"}


def test_20_concurrent_registrations_of_one_email(shop: ShopProcess, http: httpx.Client, admin: dict[str, str]) -> None:
    before = count_users(http, admin)

    async def storm() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=shop.url, timeout=60) as client:
            return await asyncio.gather(*(client.post("/api/public/register", json={
                "name": "Twin", "email": "twin@example.com", "password": "password123"}) for _ in range(20)))

    responses = asyncio.run(storm())
    assert sorted(r.status_code for r in responses) == [200] + [422] * 19
    assert {r.json()["type"] for r in responses if r.status_code == 422} == {"EMAIL_EXISTS"}
    assert count_users(http, admin) == before + 1


# -- the command itself ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ENGINES)
def test_the_data_survives_a_restart(kind: str, tmp_path: Path) -> None:
    if kind not in PERSISTENT:
        pytest.skip(f"{kind} keeps the data in the shop's process: nothing outlives a restart")
    env, drop = fresh_storage(kind, tmp_path)
    try:
        survives_a_restart(env, tmp_path)
    finally:
        drop()


def survives_a_restart(env: dict[str, str], tmp_path: Path) -> None:
    first = ShopProcess(env, tmp_path).start()
    with httpx.Client(base_url=first.url) as http:
        registered = {"name": "Rahul", "email": "keep@example.com", "password": "password123"}
        assert http.post("/api/public/register", json=registered).status_code == 200
    assert first.stop(signal.SIGINT) == 0
    assert "Stopped." in first.output()
    second = ShopProcess(env, tmp_path).start()
    try:
        assert "Admin created" not in second.output()  # seeded once
        with httpx.Client(base_url=second.url) as http:
            login(http, "keep@example.com", "password123")
            assert http.get("/api/product").json()["total"] == 3
    finally:
        assert second.stop() == 0


def test_production_without_a_jwt_secret_does_not_start(tmp_path: Path) -> None:
    server = ShopProcess({"SHOP_ENV": "production", "JWT_SECRET": "", "DATABASE_URL": "memory://"}, tmp_path)
    with pytest.raises(RuntimeError, match="JWT_SECRET environment variable is required"):
        server.start()
    assert server.proc is not None and server.proc.wait(10) == 2


def test_a_stop_signal_while_joining_an_unreachable_cluster_stops(tmp_path: Path) -> None:
    server = ShopProcess({"TRANSPORTER": "nats://127.0.0.1:1", "DATABASE_URL": "memory://"}, tmp_path)
    server.start(until="Joining namespace 'shop' over nats://127.0.0.1:1...")
    assert server.stop() == 0, server.output()
    assert "Stopped before the start completed." in server.output()


@pytest.mark.parametrize(("env", "code", "message"), [
    ({"MONGO_URI": "mongodb://127.0.0.1:1/shop?serverSelectionTimeoutMS=300"}, 1,
     "shop: could not start: Unable to connect the "),
    ({"MONGO_URI": "mongomock://", "DATABASE_URL": "memory://"}, 2,
     "shop: configuration error: DATABASE_URL and MONGO_URI are both set"),
    ({"CACHER": "memcached://127.0.0.1"}, 2, "shop: configuration error: CACHER must be"),
    ({"DATABASE_URL": "postgresql+asyncpg://bob:s3cret@127.0.0.1:abc/shop"}, 2,
     "shop: configuration error: DATABASE_URL is not a usable SQLAlchemy async URL"),
])  # fmt: skip
def test_a_start_that_cannot_succeed_says_why_in_one_line(env: dict[str, str], code: int, message: str,
                                                         tmp_path: Path) -> None:
    server = ShopProcess(env, tmp_path)
    with pytest.raises(RuntimeError, match="python -m shop exited"):
        server.start()
    assert server.proc is not None and server.proc.wait(10) == code
    last = server.output().strip().splitlines()[-1]
    assert last.startswith(message), server.output()


def test_services_starts_only_some_services(tmp_path: Path) -> None:
    server = ShopProcess({"SERVICES": "product,api", "DATABASE_URL": "memory://"}, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url) as http:
            assert http.get("/api/product").json()["total"] == 0  # no admin, no seeding
            assert_error(http.post("/api/public/login", json={"email": "a@b.io", "password": "x"}), 404,
                         "SERVICE_NOT_FOUND")  # fmt: skip
        assert "Services: product, api" in server.output()
    finally:
        assert server.stop() == 0
