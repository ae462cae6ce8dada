"""Post 15's ``user.service.test.js`` for the shop's user service: one broker for the file, ``logger=False``."""

import asyncio

import bcrypt
import jwt
import pytest
import pytest_asyncio

from broker.errors import MoleculerClientError, ServiceNotFoundError, ValidationError

from .helpers import SECRET, make_broker, until

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error")]

RAHUL = {"name": "Rahul Sharma", "email": "rahul@example.com", "password": "password123"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker():
    broker = make_broker("user", "email")
    await broker.start()
    await broker.call("user.create", RAHUL)
    yield broker
    await broker.stop()


async def test_register_stores_a_bcrypt_hash_and_answers_without_it(broker):
    user = await broker.call("user.create", {**RAHUL, "email": "hash@example.com"})
    assert "password" not in user and user["role"] == "user"
    stored = await broker.get_local_service("user").adapter.find_by_id(user["_id"])
    assert stored["password"] != RAHUL["password"]
    assert bcrypt.checkpw(RAHUL["password"].encode(), stored["password"].encode())


async def test_register_emits_user_registered_without_the_hash(broker):
    await broker.call("user.create", {**RAHUL, "email": "welcome@example.com"})
    mailer = broker.get_local_service("email")

    async def welcomed():
        return any(m["to"] == "welcome@example.com" for m in mailer.sent)

    assert await until(welcomed)


async def test_login_returns_the_course_answer_and_a_jwt(broker):
    meta = {}
    result = await broker.call("user.login", {"email": "RAHUL@example.com", "password": "password123"}, meta=meta)
    assert set(result) == {"message", "token", "user"} and result["message"] == "Login successful"
    assert "password" not in result["user"]
    claims = jwt.decode(result["token"], SECRET, algorithms=["HS256"])
    assert (claims["id"], claims["role"]) == (result["user"]["_id"], "user")
    assert meta["token"] == result["token"]


async def test_login_throws_on_invalid_credentials(broker):
    for params in ({"email": "rahul@example.com", "password": "wrong"}, {"email": "x@y.io", "password": "password123"}):
        with pytest.raises(MoleculerClientError, match="Invalid email or password") as info:
            await broker.call("user.login", params)
        assert info.value.code == 401


async def test_login_throws_a_validation_error_when_email_is_missing(broker):
    with pytest.raises(ValidationError) as info:
        await broker.call("user.login", {"password": "password123"})
    assert [issue["field"] for issue in info.value.data] == ["email"]


async def test_registering_twice_is_email_exists(broker):
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("user.create", {**RAHUL, "email": " Rahul@Example.com"})
    assert (info.value.code, info.value.type) == (422, "EMAIL_EXISTS")


async def test_twenty_concurrent_registrations_make_one_user(broker):
    results = await asyncio.gather(*(broker.call("user.create", {**RAHUL, "email": "race@example.com"})
                                     for _ in range(20)), return_exceptions=True)  # fmt: skip
    assert sum(isinstance(r, dict) for r in results) == 1
    assert {r.type for r in results if isinstance(r, Exception)} == {"EMAIL_EXISTS"}
    assert await broker.call("user.count", {"query": {"email": "race@example.com"}}) == 1


async def test_no_action_lets_the_hash_out(broker):
    rows = await broker.call("user.find", {})
    assert rows and all("password" not in row for row in rows)
    page = await broker.call("user.list", {"fields": ["password", "email"]})
    assert all("password" not in row for row in page["rows"])
    one = await broker.call("user.get", {"id": rows[0]["_id"]})
    assert "password" not in one
    with pytest.raises(ServiceNotFoundError):  # removed: it would store a clear-text password
        await broker.call("user.insert", {"entity": {"email": "plain@example.com", "password": "plain"}})


async def test_update_changes_only_ones_own_profile(broker):
    me = await broker.call("user.create", {**RAHUL, "email": "me@example.com"})
    other = await broker.call("user.create", {**RAHUL, "email": "other@example.com"})
    meta = {"user": {"id": me["_id"], "role": "user"}}
    updated = await broker.call("user.update", {"id": me["_id"], "name": "New Name"}, meta=meta)
    assert updated["name"] == "New Name" and updated["updatedAt"] is not None and "password" not in updated
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("user.update", {"id": other["_id"], "name": "Hacked"}, meta=meta)
    assert (info.value.code, info.value.type) == (403, "FORBIDDEN")
    for change in ({"role": "admin"}, {"password": "x" * 10}, {"_id": "new"}, {"$inc": {"x": 1}}):
        with pytest.raises(ValidationError):
            await broker.call("user.update", {"id": me["_id"], **change}, meta=meta)
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("user.update", {"id": me["_id"], "email": "other@example.com"}, meta=meta)
    assert info.value.type == "EMAIL_EXISTS"
    stored = await broker.get_local_service("user").adapter.find_by_id(me["_id"])
    assert (stored["role"], stored["email"]) == ("user", "me@example.com")


async def test_me_answers_the_token_s_user(broker):
    user = await broker.call("user.create", {**RAHUL, "email": "whoami@example.com"})
    me = await broker.call("user.me", {}, meta={"user": {"id": user["_id"]}})
    assert me == user
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("user.me", {}, meta={"user": {"id": "gone"}})
    assert info.value.code == 404


async def test_ensure_admin_seeds_once(broker):
    service = broker.get_local_service("user")
    assert await service.ensure_admin("root@example.com", "root-password") is True
    assert await service.ensure_admin("root@example.com", "another-password") is False
    result = await broker.call("user.login", {"email": "root@example.com", "password": "root-password"})
    assert result["user"]["role"] == "admin"
