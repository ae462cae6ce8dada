"""``engine_call`` re-runs a call the database aborted in a conflict (``AdapterConflictError``: a deadlock victim, a
serialization failure) when it ran outside a transaction, and lets it propagate inside one."""

from __future__ import annotations

import pytest

from adapters import AdapterConflictError, MemoryAdapter, engine_call
from adapters.calls import CONFLICT_RETRIES
from broker.errors import MoleculerRetryableError


class Flaky(MemoryAdapter):
    """A memory adapter whose ``probe`` is aborted in a conflict the first ``failures`` times."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.runs = 0

    @engine_call
    async def probe(self) -> int:
        self.runs += 1
        if self.runs <= self.failures:
            raise AdapterConflictError("flaky")
        return self.runs


async def connected(failures: int) -> Flaky:
    adapter = Flaky(failures)
    adapter.init("flaky", {}, {"name": "flaky"})
    await adapter.connect()
    return adapter


async def test_a_conflict_outside_a_transaction_is_run_again() -> None:
    adapter = await connected(3)
    assert await adapter.probe() == 4 and adapter.runs == 4


async def test_retries_are_bounded_and_the_error_is_retryable() -> None:
    adapter = await connected(CONFLICT_RETRIES + 5)
    with pytest.raises(AdapterConflictError) as info:
        await adapter.probe()
    assert adapter.runs == CONFLICT_RETRIES + 1
    assert isinstance(info.value, MoleculerRetryableError) and info.value.code == 503
    assert info.value.type == "ADAPTER_CONFLICT"


async def test_inside_a_transaction_the_conflict_propagates_at_once() -> None:
    adapter = await connected(1)
    with pytest.raises(AdapterConflictError):
        async with adapter.transaction():
            await adapter.probe()
    assert adapter.runs == 1
