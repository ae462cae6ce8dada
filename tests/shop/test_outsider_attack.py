"""A hostile client against the whole shop, in process: the broker with every service and the gateway's ASGI app,
driven over HTTP by httpx (``ASGITransport``), on memory storage. Each test is a fault an outsider found (issue 11)
and asserts the answer (status, JSON body) and the state behind it (nothing written by a refused request).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.errors import MoleculerClientError
from shop.app import Shop, build
from shop.config import ShopConfig
from shop.storage import Storage

from .databases import fresh_database
from .helpers import make_broker, until
from .server import sql_available

ADMIN = {"email": "boss@shop.test", "password": "admin-password"}
ENV = {"DATABASE_URL": "memory://", "JWT_SECRET": "attack-test-secret-of-at-least-32-bytes", "SHOP_BCRYPT_ROUNDS": "4",
       "SHOP_ADMIN_EMAIL": ADMIN["email"], "SHOP_ADMIN_PASSWORD": ADMIN["password"],
       "SHOP_LOGIN_LIMIT": "0"}  # fmt: skip


class Client:
    """The shop's broker and an HTTP client on its gateway."""

    def __init__(self, shop: Shop, http: httpx.AsyncClient) -> None:
        self.shop, self.http = shop, http
        self.counter = 0

    async def login(self, email: str, password: str) -> dict[str, str]:
        response = await self.http.post("/api/public/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def admin(self) -> dict[str, str]:
        return await self.login(ADMIN["email"], ADMIN["password"])

    async def user(self) -> tuple[dict[str, Any], dict[str, str]]:
        self.counter += 1
        email = f"user{self.counter}@example.com"
        response = await self.http.post("/api/public/register", json={"name": "Rahul Sharma", "email": email,
                                                                       "password": "password123"})  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json(), await self.login(email, "password123")

    async def product(self, stock: int = 10, price: float = 100) -> dict[str, Any]:
        response = await self.http.post("/api/admin/product", headers=await self.admin(),
                                        json={"name": "Keyboard", "price": price, "stock": stock})  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    async def stored(self, service: str, entity_id: str) -> dict[str, Any] | None:
        local: Any = self.shop.broker.get_local_service(service)
        return await local.adapter.find_by_id(entity_id)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    shop = build(ShopConfig.from_env(ENV), logger=False, server=False)
    await shop.start()
    api: Any = shop.broker.get_local_service("api")
    transport = httpx.ASGITransport(app=api.gateway)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
            yield Client(shop, http)
    finally:
        await shop.stop()


def assert_error(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert (body["code"], body["type"]) == (status, type_), body
    return body


# -- a token outlives neither its user nor its role --------------------------------------------------------------


async def test_a_removed_users_token_is_a_401_and_orders_nothing(client: Client) -> None:
    user, token = await client.user()
    product = await client.product(stock=5)
    removed = await client.http.delete(f"/api/admin/user/{user['_id']}", headers=await client.admin())
    assert removed.status_code == 200, removed.text
    for response in (
        await client.http.post("/api/order", headers=token, json={"productId": product["_id"], "quantity": 1}),
        await client.http.get("/api/order/my", headers=token),
        await client.http.get("/api/user/me", headers=token),
        await client.http.put(f"/api/user/{user['_id']}", headers=token, json={"name": "Back Again"}),
    ):
        body = assert_error(response, 401, "INVALID_TOKEN")
        assert body["data"] == {"reason": "user"}
    assert (await client.stored("product", product["_id"]))["stock"] == 5
    orders: Any = client.shop.broker.get_local_service("order")
    assert await orders.adapter.count({"query": {"userId": user["_id"]}}) == 0


async def test_a_removed_admins_token_opens_no_admin_route(client: Client) -> None:
    admin = await client.admin()
    me = (await client.http.get("/api/user/me", headers=admin)).json()
    second = await client.user()  # someone to administer
    users: Any = client.shop.broker.get_local_service("user")
    await users.adapter.remove_by_id(me["_id"])
    await users.clear_cache()
    response = await client.http.delete(f"/api/admin/user/{second[0]['_id']}", headers=admin)
    assert_error(response, 401, "INVALID_TOKEN")
    assert await client.stored("user", second[0]["_id"]) is not None


async def test_the_stored_role_decides_not_the_signed_one(client: Client) -> None:
    admin = await client.admin()
    me = (await client.http.get("/api/user/me", headers=admin)).json()
    users: Any = client.shop.broker.get_local_service("user")
    await users.adapter.update_by_id(me["_id"], {"$set": {"role": "user"}})  # demoted by an operator
    await users.clear_cache()
    assert_error(await client.http.get("/api/admin/user", headers=admin), 403, "FORBIDDEN")
    assert (await client.http.get("/api/user/me", headers=admin)).json()["role"] == "user"


async def test_a_deactivated_users_token_is_a_401(client: Client) -> None:
    user, token = await client.user()
    users: Any = client.shop.broker.get_local_service("user")
    await users.adapter.update_by_id(user["_id"], {"$set": {"isActive": False}})
    await users.clear_cache()
    assert_error(await client.http.get("/api/user/me", headers=token), 401, "INVALID_TOKEN")


async def test_resolve_is_not_reachable_over_http(client: Client) -> None:
    _, token = await client.user()
    for path in ("/api/user/resolve", "/api/public/resolve", "/api/user.resolve"):
        assert (await client.http.get(path, headers=token)).status_code == 404


# -- cancelling an order whose product is gone -------------------------------------------------------------------


async def _confirmed_order(client: Client, stock: int = 5, quantity: int = 2) -> tuple[dict[str, Any], dict[str, Any]]:
    product = await client.product(stock=stock)
    _, token = await client.user()
    response = await client.http.post("/api/order", headers=token,
                                      json={"productId": product["_id"], "quantity": quantity})  # fmt: skip
    assert response.status_code == 200, response.text
    return product, response.json()


async def test_cancelling_an_order_whose_product_was_removed_succeeds(client: Client) -> None:
    product, order = await _confirmed_order(client)
    admin = await client.admin()
    assert (await client.http.delete(f"/api/admin/product/{product['_id']}", headers=admin)).status_code == 200
    notification: Any = client.shop.broker.get_local_service("notification")
    response = await client.http.put(f"/api/admin/order/{order['_id']}/status", headers=admin,
                                     json={"status": "cancelled"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert (await client.stored("order", order["_id"]))["status"] == "cancelled"

    async def notified() -> bool:
        return any(sent["text"].endswith("is cancelled") for sent in notification.sent)

    assert await until(notified), notification.sent


async def test_a_cancel_whose_stock_cannot_be_given_back_writes_nothing(client: Client) -> None:
    product, order = await _confirmed_order(client, stock=5, quantity=2)
    products: Any = client.shop.broker.get_local_service("product")

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the product database is down")

    products.adapter.update_many = unreachable  # restore_stock fails for another reason than a missing product
    response = await client.http.put(f"/api/admin/order/{order['_id']}/status", headers=await client.admin(),
                                     json={"status": "cancelled"})  # fmt: skip
    assert response.status_code == 500, response.text
    assert (await client.stored("order", order["_id"]))["status"] == "confirmed"
    assert (await client.stored("product", product["_id"]))["stock"] == 3


# -- control characters in text ------------------------------------------------------------------------------------

CONTROL = ["\x00", "\x1b[31m", "\n", "\r", "\x7f", "\x85x", "\u009b"]
"""NUL (PostgreSQL refused it, the other storages stored it), an ESC sequence, new lines (forged log lines), DEL
and C1 controls."""


@pytest.mark.parametrize("char", CONTROL)
async def test_control_characters_in_a_registration_are_422s_naming_the_field(client: Client, char: str) -> None:
    for field, body in (("name", {"name": f"Ra{char}hul", "email": "ra@example.com"}),
                        ("email", {"name": "Rahul", "email": f"ra{char}x@example.com"})):  # fmt: skip
        response = await client.http.post("/api/public/register", json={**body, "password": "password123"})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert [issue["field"] for issue in body["data"]] == [field]
    users: Any = client.shop.broker.get_local_service("user")
    assert await users.adapter.count({}) == 1  # the admin only


@pytest.mark.parametrize("char", CONTROL)
async def test_control_characters_in_profiles_and_products_are_422s(client: Client, char: str) -> None:
    user, token = await client.user()
    product = await client.product()
    admin = await client.admin()
    own, item = f"/api/user/{user['_id']}", f"/api/admin/product/{product['_id']}"
    attempts = [
        ("PUT", own, token, {"name": f"Ra{char}hul"}, "name"),
        ("POST", "/api/admin/product", admin, {"name": f"K{char}x", "price": 1}, "name"),
        ("POST", "/api/admin/product", admin, {"name": "K", "price": 1, "category": f"a{char}b"}, "category"),
        ("PUT", item, admin, {"name": f"K{char}x"}, "name"),
    ]
    if char not in ("\n", "\r"):
        attempts.append(("PUT", item, admin, {"description": f"a{char}b"}, "description"))
    for method, path, headers, json, field in attempts:
        response = await client.http.request(method, path, headers=headers, json=json)
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert [issue["field"] for issue in body["data"]] == [field]
    assert (await client.stored("user", user["_id"]))["name"] == "Rahul Sharma"
    stored = await client.stored("product", product["_id"])
    assert (stored["name"], stored["description"], stored["updatedAt"]) == ("Keyboard", "", None)
    products: Any = client.shop.broker.get_local_service("product")
    assert await products.adapter.count({}) == 4  # the three seeded and ours


async def test_a_description_keeps_its_lines(client: Client) -> None:
    product = await client.product()
    response = await client.http.put(f"/api/admin/product/{product['_id']}", headers=await client.admin(),
                                     json={"description": "RGB\n\tCherry MX\r\n"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "RGB\n\tCherry MX\r\n"


# -- look-alike e-mails on every storage ---------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param != "memory" and not sql_available():
        pytest.skip("SQLAdapter is not available")
    url, drop = fresh_database(request.param, tmp_path)
    try:
        yield url
    finally:
        drop()


async def test_look_alike_emails_are_distinct_users_on_every_storage(database_url: str) -> None:
    storage = Storage(database_url)
    broker = make_broker("user", storage=storage)
    await broker.start()
    try:
        emails = ["üser@exämple.com", "user@example.com", "usér@example.com", "user@example.org"]
        for email in emails:
            await broker.call("user.create", {"name": "Look Alike", "email": email, "password": "password123"})
        with pytest.raises(MoleculerClientError) as taken:
            await broker.call("user.create", {"name": "Again", "email": "User@Example.com", "password": "password123"})
        assert (taken.value.code, taken.value.type) == (422, "EMAIL_EXISTS")
        for email in ("üser@exämple.com", "user@example.com"):
            login = await broker.call("user.login", {"email": email, "password": "password123"})
            assert login["user"]["email"] == email
    finally:
        await broker.stop()
        await storage.close()


# -- an explicit null in a partial update ----------------------------------------------------------------------------


async def test_an_explicit_null_in_an_update_is_a_422_naming_the_field(client: Client) -> None:
    user, token = await client.user()
    product = await client.product(stock=7, price=25)
    admin = await client.admin()
    attempts = [("PUT", f"/api/user/{user['_id']}", token, field) for field in ("name", "email")]
    attempts += [("PUT", f"/api/admin/product/{product['_id']}", admin, field)
                 for field in ("name", "description", "price", "stock", "category", "isActive")]  # fmt: skip
    for method, path, headers, field in attempts:
        response = await client.http.request(method, path, headers=headers, json={field: None})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert [issue["field"] for issue in body["data"]] == [field]
    stored = await client.stored("product", product["_id"])
    assert (stored["price"], stored["stock"], stored["updatedAt"]) == (25, 7, None)
    assert (await client.stored("user", user["_id"]))["updatedAt"] is None


# -- timestamps read back as answered, on every storage -------------------------------------------------------------


async def test_timestamps_keep_their_instant_milliseconds_and_offset_on_every_storage(database_url: str) -> None:
    storage = Storage(database_url)
    broker = make_broker("product", storage=storage)
    await broker.start()
    try:
        created = await broker.call("product.create", {"name": "Clock", "price": 1})
        assert created["createdAt"].tzinfo is not None and created["createdAt"].microsecond % 1000 == 0
        products: Any = broker.get_local_service("product")
        instant = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2)))
        stored = await products.adapter.insert({"name": "Offset", "price": 1, "createdAt": instant})
        for entity in (stored, await products.adapter.find_by_id(stored["_id"])):
            assert entity["createdAt"] == instant and entity["createdAt"].utcoffset() is not None
        found = await products.adapter.find({"query": {"createdAt": {"$lte": instant}}})
        assert [entity["name"] for entity in found] == ["Offset"]
        again = await broker.call("product.get", {"id": created["_id"]})
        assert again["createdAt"] == created["createdAt"]
    finally:
        await broker.stop()
        await storage.close()
