"""Outsider testing: errors of an ``update`` must not echo stored values of fields the caller cannot see. The
update semantics quote only what the caller gave; validator errors about hidden fields withhold ``actual``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from broker.errors import ValidationError

from .conftest import posts_schema

SECRET = "hunter2-secret"
HIDDEN = {"excludeFields": ["password", "balance"]}
VALIDATED = {**HIDDEN, "entityValidator": {"name": "string", "balance": "number|max:1000000000000",
                                           "password": "string|min:3"}}  # fmt: skip


async def account(make_broker: Any, settings: dict[str, Any]) -> tuple[Any, str]:
    broker = await make_broker(posts_schema(name="users", settings=settings))
    created = await broker.call("users.create", {"name": "ann", "password": SECRET, "balance": 987654321})
    return broker, created["_id"]


@pytest.mark.parametrize("settings", [HIDDEN, VALIDATED], ids=["no_validator", "validator"])
@pytest.mark.parametrize(
    "change",
    [{"$inc": {"password": 1}}, {"$set": {"password.x": 1}}, {"$inc": {"password.x": 1}},
     {"$inc": {"balance": 2**63 - 100}}, {"$set": {"balance.cents": 1}}],
)  # fmt: skip
async def test_update_errors_do_not_echo_hidden_stored_values(make_broker, settings, change):
    broker, entity_id = await account(make_broker, settings)
    with pytest.raises(ValidationError) as info:
        await broker.call("users.update", {"id": entity_id, **change})
    text = json.dumps([info.value.message, info.value.data], default=str)
    assert SECRET not in text and "987654321" not in text and "987654322" not in text, text
    assert info.value.data[0]["field"]  # still names the field


async def test_validator_errors_on_hidden_fields_withhold_the_value(make_broker):
    broker, entity_id = await account(make_broker, VALIDATED)
    with pytest.raises(ValidationError) as info:
        await broker.call("users.update", {"id": entity_id, "$inc": {"balance": 10**12}})
    entry = info.value.data[0]
    assert (entry["type"], entry["field"], entry["actual"]) == ("numberMax", "balance", None)
    assert "987654321" not in json.dumps(info.value.data, default=str)


async def test_validator_errors_on_visible_fields_keep_their_actual(make_broker):
    broker, entity_id = await account(make_broker, VALIDATED)
    with pytest.raises(ValidationError) as info:
        await broker.call("users.update", {"id": entity_id, "name": 5})
    assert (info.value.data[0]["field"], info.value.data[0]["actual"]) == ("name", 5)


@pytest.mark.parametrize("validator", [None, {"pin": "number"}])
async def test_a_unique_clash_reached_by_inc_does_not_reveal_the_hidden_value(make_broker, validator):
    from adapters import EntityAlreadyExistsError

    settings = {"excludeFields": ["pin"], "indexes": [{"fields": ["pin"], "unique": True}, {"fields": ["name"],
                "unique": True}], "entityValidator": validator}  # fmt: skip
    broker = await make_broker(posts_schema(name="users", settings=settings))
    await broker.call("users.insert", {"entities": [{"name": "a", "pin": 4821}, {"name": "b", "pin": 4822}]})
    first = (await broker.call("users.find", {"query": {"name": "a"}}))[0]
    with pytest.raises(EntityAlreadyExistsError) as info:
        await broker.call("users.update", {"id": first["_id"], "$inc": {"pin": 1}})
    assert info.value.data == {"fields": ["pin"], "values": [None]}
    with pytest.raises(EntityAlreadyExistsError) as info:  # a visible field's value is the caller's own
        await broker.call("users.update", {"id": first["_id"], "name": "b"})
    assert info.value.data == {"fields": ["name"], "values": ["b"]}
