"""Post 15's ``tests/unit/user.service.test.js``, ported: one broker for the file, built from the service module.

Its sibling ``test_order_flow.py`` builds another broker from the same modules and registers the same e-mail
address: with one ``MemoryAdapter`` shared through the import, that second registration used to fail with
``EMAIL_EXISTS``. Each connect now opens a fresh store, as moleculer-db's memory adapter does.
"""

import pytest
import pytest_asyncio

from broker import ServiceBroker
from broker.errors import MoleculerClientError, ValidationError

from .services import user

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error")]  # "never awaited" fails


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker():
    broker = ServiceBroker(logger=False)
    broker.create_service(user.schema)
    await broker.start()
    await broker.call("user.create", {"name": "Rahul Sharma", "email": "rahul@example.com", "password": "password123"})
    yield broker
    await broker.stop()


async def test_login_returns_a_token_on_valid_credentials(broker):
    meta = {}
    result = await broker.call("user.login", {"email": "rahul@example.com", "password": "password123"}, meta=meta)
    assert result["message"] == "Login successful"
    assert result["user"]["email"] == "rahul@example.com"
    assert "password" not in result["user"]
    assert meta["token"].count(".") == 2  # a JWT, merged back into the caller's meta


async def test_login_throws_on_invalid_credentials(broker):
    with pytest.raises(MoleculerClientError, match="Invalid email or password") as info:
        await broker.call("user.login", {"email": "wrong@example.com", "password": "wrongpassword"})
    assert info.value.code == 401


async def test_login_throws_a_validation_error_when_email_is_missing(broker):
    with pytest.raises(ValidationError) as info:
        await broker.call("user.login", {"password": "password123"})
    assert [issue["field"] for issue in info.value.data] == ["email"]


async def test_registering_twice_in_one_broker_is_email_exists(broker):
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("user.create", {"name": "Rahul", "email": "rahul@example.com", "password": "password123"})
    assert info.value.type == "EMAIL_EXISTS"
