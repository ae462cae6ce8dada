"""Typed failures: refused connections and connections killed server-side (outside and inside a transaction) are
retryable errors, never raw driver exceptions, and the adapter recovers by itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from adapters import AdapterConnectionError, SQLAdapter
from broker.errors import MoleculerRetryableError

from .conftest import MYSQL_URL, PG_URL, engine_url
from .models import products_table

DEAD_URLS = {
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:1/test",
    "mariadb": "mysql+asyncmy://root@127.0.0.1:1/test",
}


@pytest.mark.parametrize("name", sorted(DEAD_URLS))
async def test_a_refused_connection_is_a_retryable_error(name: str) -> None:
    adapter = SQLAdapter(
        DEAD_URLS[name], products_table(), connect_args={"connect_timeout": 2} if name == "mariadb" else {}
    )
    adapter.init("products", {}, {})
    with pytest.raises(AdapterConnectionError) as info:
        await adapter.connect()
    assert isinstance(info.value, MoleculerRetryableError) and info.value.code == 503
    for call in (adapter.find(), adapter.count(), adapter.insert({"sku": "x"}), adapter.find_by_id(1)):
        with pytest.raises(AdapterConnectionError):
            await call
    with pytest.raises(AdapterConnectionError):
        async with adapter.transaction():
            pass
    await adapter.disconnect()


_BACKEND = {"postgresql": "SELECT pg_backend_pid()", "mariadb": "SELECT CONNECTION_ID()"}
_KILL = {"postgresql": "SELECT pg_terminate_backend({})", "mariadb": "KILL {}"}


async def _kill(name: str, pid: int) -> None:
    admin = SQLAdapter(PG_URL if name == "postgresql" else MYSQL_URL, products_table())
    async with admin.engine.connect() as conn:
        await conn.exec_driver_sql(_KILL[name].format(int(pid)))
    await admin.disconnect()


@pytest.fixture(params=["postgresql", "mariadb"])
def server(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    engine_url(request.param, tmp_path)  # skips (or fails under CI=true) when the server is down
    return str(request.param)


async def _adapter(server: str, tmp_path) -> SQLAdapter:  # type: ignore[no-untyped-def]
    adapter = SQLAdapter(engine_url(server, tmp_path), products_table(), pool_size=1, max_overflow=0)
    adapter.init("products", {}, {})
    await adapter.connect()
    await adapter.clear()
    return adapter


async def test_the_adapter_recovers_after_its_connection_is_killed(server: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    adapter = await _adapter(server, tmp_path)
    await adapter.insert({"sku": "a"})
    async with adapter.engine.connect() as conn:  # the pool's only connection
        pid = (await conn.exec_driver_sql(_BACKEND[server])).scalar_one()
    await _kill(server, pid)
    assert [r["sku"] for r in await adapter.find()] == ["a"]  # pre-ping replaced the dead connection
    await adapter.disconnect()


async def test_a_connection_killed_inside_a_transaction(server: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    adapter = await _adapter(server, tmp_path)
    await adapter.insert({"sku": "before"})
    with pytest.raises(AdapterConnectionError):
        async with adapter.transaction() as tx:
            await adapter.insert({"sku": "lost"})
            pid = (await tx.conn.exec_driver_sql(_BACKEND[server])).scalar_one()  # type: ignore[attr-defined]
            await _kill(server, pid)
            await adapter.insert({"sku": "after-kill"})
    assert sorted(r["sku"] for r in await adapter.find()) == ["before"]  # the transaction's writes are gone
    assert (await adapter.insert({"sku": "next"}))["sku"] == "next"  # and the next call works
    async with adapter.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(adapter.table))).scalar_one() == 2
    await adapter.disconnect()


async def test_unexpected_engine_errors_are_generic_500s(make_adapter: Callable[..., SQLAdapter]) -> None:
    adapter = make_adapter(create_tables=False)
    adapter.init("products", {}, {})
    table = sa.Table("dbm_missing_table", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    missing = make_adapter(table, create_tables=False)
    missing.init("missing", {}, {})
    from adapters import AdapterError

    with pytest.raises(AdapterError) as info:
        await missing.find()
    assert info.value.code == 500 and "dbm_missing_table" not in info.value.message  # no SQL travels
    await missing.disconnect()
    await adapter.disconnect()


def _nest(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


async def test_json_deeper_than_the_engine_holds_is_a_422_and_writes_nothing(products: SQLAdapter) -> None:
    """MariaDB's JSON holds at most 31 nested objects/arrays: a deeper value is a 422 naming the field on insert
    and on update there (never an internal error), and is stored as given on the other engines."""
    from adapters.sql.writes import MARIADB_JSON_DEPTH
    from broker.errors import ValidationError

    deepest = _nest(MARIADB_JSON_DEPTH)
    kept = await products.insert({"sku": "ok", "attrs": deepest})
    assert (await products.find_by_id(kept["_id"]))["attrs"] == deepest
    too_deep = _nest(MARIADB_JSON_DEPTH + 1)
    if products.dialect not in ("mysql", "mariadb"):
        assert (await products.update_by_id(kept["_id"], {"$set": {"attrs": too_deep}}))["attrs"] == too_deep
        return
    with pytest.raises(ValidationError) as info:
        await products.insert({"sku": "deep", "attrs": too_deep})
    assert info.value.code == 422 and info.value.data[0]["field"].startswith("entity.attrs.a")
    with pytest.raises(ValidationError):
        await products.update_by_id(kept["_id"], {"$set": {"attrs": too_deep}})
    with pytest.raises(ValidationError):
        await products.update_by_id(kept["_id"], {"$set": {"attrs.a": _nest(MARIADB_JSON_DEPTH)}})
    assert await products.count() == 1
    assert (await products.find_by_id(kept["_id"]))["attrs"] == deepest


class _Orig(Exception):
    def __init__(self, *args: object, sqlstate: str | None = None) -> None:
        super().__init__(*args)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "orig",
    [_Orig("deadlock detected", sqlstate="40P01"), _Orig("could not serialize access", sqlstate="40001"),
     _Orig(1213, "Deadlock found when trying to get lock"), _Orig(1205, "Lock wait timeout exceeded")],
)  # fmt: skip
def test_deadlocks_and_serialization_failures_are_retryable_conflicts(orig: Exception) -> None:
    from adapters import AdapterConflictError
    from adapters.sql.errors import translate_sql_error

    err = translate_sql_error(sa.exc.OperationalError("UPDATE t", {}, orig), "SQLAdapter (test)")
    assert isinstance(err, AdapterConflictError) and isinstance(err, MoleculerRetryableError)
    assert err.code == 503 and "UPDATE" not in err.message
