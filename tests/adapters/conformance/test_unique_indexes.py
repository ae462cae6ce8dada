"""Conformance: index declarations with ``unique`` and compound keys, enforced on every write (a 409 naming the
fields and values, nothing written), and malformed declarations refused at ``init``.

``None`` and a missing field: with ``unique_null_is_value`` (MongoDB's rule, the memory adapter) they are one value,
so only one entity may lack a unique field; without it (SQL: NULLs are distinct) any number may.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters import BaseAdapter, EntityAlreadyExistsError
from broker.errors import ServiceSchemaError, error_from_dict

from ..conftest import ADAPTER_FACTORIES, SETTINGS, ids
from .conftest import requires

pytestmark = requires("unique_indexes")

UNIQUE = [
    {"fields": ["email"], "unique": True},
    {"fields": ["shop", "sku"], "unique": True, "name": "shop_sku"},
    ["shop", "price"],  # compound, not unique
    "tags",
]


@pytest.fixture(params=[factory for _, factory in ADAPTER_FACTORIES], ids=[n for n, _ in ADAPTER_FACTORIES])
async def adapter(request: pytest.FixtureRequest) -> AsyncIterator[BaseAdapter]:
    """A connected adapter of each kind with the ``UNIQUE`` indexes declared in its settings."""
    name = ADAPTER_FACTORIES[request.param_index][0]
    instance = request.param()
    indexes = [*SETTINGS.get(name, {}).get("indexes", []), *UNIQUE]
    instance.init("conformance.users", {"indexes": indexes}, {"name": "users"})
    await instance.connect()
    await instance.clear()
    yield instance
    await instance.clear()
    await instance.disconnect()


USERS: list[dict[str, Any]] = [
    {"_id": 1, "email": "a@x", "shop": "s1", "sku": "k1", "price": 1},
    {"_id": 2, "email": "b@x", "shop": "s1", "sku": "k2", "price": 1},
    {"_id": 3, "email": "c@x", "shop": "s2", "sku": "k1", "price": 2},
]


async def clash(call: Any) -> dict[str, Any]:
    with pytest.raises(EntityAlreadyExistsError) as info:
        await call
    assert (info.value.code, info.value.type) == (409, "ENTITY_ALREADY_EXISTS")
    return dict(info.value.data)


async def test_insert_clash_names_the_fields_and_values(adapter: BaseAdapter) -> None:
    await adapter.insert_many(USERS)
    assert await clash(adapter.insert({"email": "a@x", "shop": "s9", "sku": "k9"})) == {
        "fields": ["email"],
        "values": ["a@x"],
    }
    assert await clash(adapter.insert({"email": "new@x", "shop": "s2", "sku": "k1"})) == {
        "fields": ["shop", "sku"],
        "values": ["s2", "k1"],
    }
    assert await adapter.count() == 3
    await adapter.insert({"_id": 4, "email": "d@x", "shop": "s2", "sku": "k2", "price": 1})  # a new combination
    assert ids(await adapter.find({"query": {"shop": "s2", "sku": "k2"}})) == [4]
    assert ids(await adapter.find({"query": {"shop": "s1", "price": 1}})) == [1, 2]


async def test_insert_many_is_all_or_nothing_against_the_store_and_itself(adapter: BaseAdapter) -> None:
    await adapter.insert_many(USERS)
    batch = [
        {"_id": 10, "email": "n1@x", "shop": "s", "sku": "1"},
        {"_id": 11, "email": "a@x", "shop": "s", "sku": "2"},
    ]
    assert (await clash(adapter.insert_many(batch)))["fields"] == ["email"]
    inner = [{"_id": 10, "email": "z@x", "shop": "s", "sku": "1"}, {"_id": 11, "email": "z@x", "shop": "s", "sku": "2"}]
    assert (await clash(adapter.insert_many(inner)))["values"] == ["z@x"]
    assert ids(await adapter.find()) == [1, 2, 3]


async def test_update_many_clash_writes_nothing(adapter: BaseAdapter) -> None:
    await adapter.insert_many(USERS)
    assert await clash(adapter.update_many({"shop": "s1"}, {"$set": {"email": "same@x"}})) == {
        "fields": ["email"],
        "values": ["same@x"],
    }
    assert (await clash(adapter.update_many({"_id": 3}, {"$set": {"shop": "s1"}})))["fields"] == ["shop", "sku"]
    assert [u["email"] for u in await adapter.find()] == ["a@x", "b@x", "c@x"]
    assert await adapter.count({"query": {"shop": "s1"}}) == 2


async def test_an_update_may_keep_or_swap_free_values(adapter: BaseAdapter) -> None:
    await adapter.insert_many(USERS)
    assert await adapter.update_many({"shop": "s1"}, {"$set": {"price": 5}}) == 2  # unique fields untouched
    assert (await adapter.update_by_id(1, {"$set": {"email": "a@x"}}))["email"] == "a@x"  # its own value
    assert await adapter.update_many({"sku": "k1"}, {"$set": {"sku": "k7"}}) == 2  # distinct shops: no clash
    assert ids(await adapter.find({"query": {"sku": "k7"}})) == [1, 3]


async def test_by_id_and_find_one_and_update_clash(adapter: BaseAdapter) -> None:
    await adapter.insert_many(USERS)
    assert (await clash(adapter.update_by_id(2, {"$set": {"email": "a@x"}})))["values"] == ["a@x"]
    assert (await clash(adapter.find_one_and_update({"email": "c@x"}, {"$set": {"sku": "k1", "shop": "s1"}})))[
        "fields"
    ] == ["shop", "sku"]
    assert [u["email"] for u in await adapter.find()] == ["a@x", "b@x", "c@x"]


async def test_a_removed_value_can_be_reused(adapter: BaseAdapter) -> None:
    await adapter.insert_many(USERS)
    await adapter.remove_by_id(1)
    await adapter.insert({"_id": 9, "email": "a@x", "shop": "s1", "sku": "k1"})
    assert ids(await adapter.find({"query": {"email": "a@x"}})) == [9]


async def test_array_values_claim_each_element(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1, "email": ["a@x", "b@x"], "shop": "s", "sku": "1"})
    assert (await clash(adapter.insert({"email": "b@x", "shop": "s", "sku": "2"})))["fields"] == ["email"]
    await adapter.insert({"_id": 2, "email": "c@x", "shop": "s", "sku": "2"})


async def test_missing_and_none_in_a_unique_index(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1, "shop": "s", "sku": "1"})  # no email
    second = adapter.insert({"_id": 2, "email": None, "shop": "s", "sku": "2"})
    if adapter.capabilities.unique_null_is_value:  # MongoDB: None and missing are one value
        assert await clash(second) == {"fields": ["email"], "values": [None]}
        assert await adapter.count() == 1
    else:  # SQL: NULLs never clash
        await second
        assert await adapter.count() == 2


@pytest.mark.parametrize(
    "bad",
    [
        [{"fields": []}],
        [{"fields": ["a", "a"]}],
        [{"field": "a"}],
        [{"fields": "a", "unique": "yes"}],
        [{"fields": "a", "name": 5}],
        [["a", ""]],
        [["a", 5]],
        [[]],
        ["$a"],
        [5],
        5,
    ],
)
def test_malformed_index_declarations_are_refused_at_init(bad: Any) -> None:
    for _, factory in ADAPTER_FACTORIES:
        with pytest.raises(ServiceSchemaError):
            factory().init("users", {"indexes": bad}, {})


def test_index_declarations_are_parsed_into_specs() -> None:
    for _, factory in ADAPTER_FACTORIES:
        adapter = factory()
        adapter.init("users", {"indexes": ["email", {"fields": "email", "unique": True}, ["a", "b"]]}, {})
        specs = {spec.fields: spec for spec in adapter.index_specs}
        assert specs[("email",)].unique and not specs[("a", "b")].unique  # re-declaring with unique upgrades
        assert specs[("a", "b")].name == "a,b"
        other = factory()
        other.init("users", {"indexes": "c, d"}, {})  # one string: moleculer-db's list split
        assert {("c",), ("d",)} <= {spec.fields for spec in other.index_specs}


def test_the_409_survives_the_wire() -> None:
    err = EntityAlreadyExistsError(fields=["shop", "sku"], values=["s", 1])
    back = error_from_dict(err.to_dict())
    assert type(back) is EntityAlreadyExistsError and back.data == {"fields": ["shop", "sku"], "values": ["s", 1]}
