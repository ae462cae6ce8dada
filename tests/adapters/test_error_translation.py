"""One place turns engine exceptions into typed errors: every public data method, with a fake failing engine."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters import AdapterConnectionError, AdapterError, EntityAlreadyExistsError, UnsupportedQueryError
from broker.errors import (
    MoleculerClientError,
    MoleculerRetryableError,
    MoleculerServerError,
    ValidationError,
    error_from_dict,
)

from .fakes import DuplicateKey, FailingEngine

CALLS: list[tuple[str, Callable[[FailingEngine], Awaitable[Any]]]] = [
    ("find", lambda a: a.find({"query": {"x": 1}})),
    ("find_one", lambda a: a.find_one({"x": 1})),
    ("find_by_id", lambda a: a.find_by_id(1)),
    ("find_by_ids", lambda a: a.find_by_ids([1, 2])),
    ("count", lambda a: a.count()),
    ("insert", lambda a: a.insert({"x": 1})),
    ("insert_many", lambda a: a.insert_many([{"x": 1}])),
    ("update_many", lambda a: a.update_many({}, {"$set": {"x": 1}})),
    ("update_by_id", lambda a: a.update_by_id(1, {"$set": {"x": 1}})),
    ("find_one_and_update", lambda a: a.find_one_and_update({}, {"$set": {"x": 1}})),
    ("find_one_and_delete", lambda a: a.find_one_and_delete({})),
    ("remove_many", lambda a: a.remove_many({})),
    ("remove_by_id", lambda a: a.remove_by_id(1)),
    ("clear", lambda a: a.clear()),
]
CALL_IDS = [name for name, _ in CALLS]


def engine(failure: BaseException) -> FailingEngine:
    adapter = FailingEngine()
    adapter.init("users", {}, {})
    adapter.failure = failure
    return adapter


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=CALL_IDS)
async def test_an_unknown_engine_error_is_a_500_that_leaks_nothing(call: Any) -> None:
    secret = RuntimeError("password=hunter2 at db.internal:5432")
    with pytest.raises(AdapterError) as info:
        await call(engine(secret))
    err = info.value
    assert isinstance(err, MoleculerServerError) and (err.code, err.type) == (500, "ADAPTER_ERROR")
    assert err.message == "Internal storage error in FailingEngine" and err.data == {"adapter": "FailingEngine"}
    wire = err.to_dict()
    assert "hunter2" not in repr(wire)  # neither message, data nor stack carry the engine's text
    assert err.original is secret  # kept for local logs


@pytest.mark.parametrize(
    "failure", [ConnectionRefusedError("refused"), TimeoutError(), socket.gaierror("no host"), ConnectionResetError()]
)
@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=CALL_IDS)
async def test_a_lost_connection_is_a_retryable_503(call: Any, failure: Exception) -> None:
    with pytest.raises(AdapterConnectionError) as info:
        await call(engine(failure))
    err = info.value
    assert isinstance(err, MoleculerRetryableError) and err.retryable
    assert (err.code, err.type, err.data) == (503, "ADAPTER_CONNECTION_ERROR", {"adapter": "FailingEngine"})


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=CALL_IDS)
async def test_an_engine_duplicate_key_becomes_the_409(call: Any) -> None:
    with pytest.raises(EntityAlreadyExistsError) as info:
        await call(engine(DuplicateKey(("email",), ("a@x",))))
    assert info.value.code == 409 and info.value.data == {"fields": ["email"], "values": ["a@x"]}
    assert "E11000" not in repr(info.value.to_dict())


@pytest.mark.parametrize(
    "typed",
    [
        UnsupportedQueryError("$regex", "FailingEngine", "name"),
        EntityAlreadyExistsError(5),
        ValidationError("bad", data=[{"type": "query", "field": "x", "message": "m", "actual": 1}]),
        MoleculerClientError("teapot", 418, "TEAPOT"),
    ],
)
@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=CALL_IDS)
async def test_typed_errors_pass_through_untouched(call: Any, typed: Exception) -> None:
    with pytest.raises(type(typed)) as info:
        await call(engine(typed))
    assert info.value is typed


async def test_validation_happens_before_the_engine_is_called() -> None:
    with pytest.raises(ValidationError):
        await engine(RuntimeError()).find({"query": {"x": {"$bad": 1}}})


async def test_cancellation_is_not_translated() -> None:
    import asyncio

    with pytest.raises(asyncio.CancelledError):
        await engine(asyncio.CancelledError()).find()


async def test_transaction_on_an_engine_without_them_is_refused() -> None:
    with pytest.raises(UnsupportedQueryError) as info:
        async with engine(RuntimeError()).transaction():
            pass  # pragma: no cover
    assert info.value.data["operator"] == "transaction"


def test_the_new_errors_survive_the_wire() -> None:
    for err in (AdapterConnectionError("SQLAdapter (postgresql)"), AdapterError("SQLAdapter (postgresql)")):
        back = error_from_dict(err.to_dict())
        assert type(back) is type(err) and back.retryable
        assert (back.message, back.code, back.type, back.data) == (err.message, err.code, err.type, err.data)
