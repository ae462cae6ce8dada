"""``engine_call``: the wrapper around every public data method of an adapter.

It is the one place where engine exceptions become typed errors (``translate_error``), where calls from outside
an *exclusive* transaction wait for it to end (engines that isolate transactions by serialising them, like the memory
adapter, set ``_exclusive`` to ``(transaction, lock)`` while one is open), and where a call the database aborted in a
conflict with concurrent ones (``AdapterConflictError``: a deadlock victim, a serialization failure) is run again,
up to ``CONFLICT_RETRIES`` times with a short random pause, when it ran outside a ``transaction()`` (then the call
was its own transaction, rolled back whole). Inside a transaction the error propagates: only the block's owner can
run the whole block again.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from broker.errors import MoleculerError

from .errors import AdapterConflictError
from .transactions import Transaction, TransactionState

__all__ = ["CONFLICT_RETRIES", "engine_call"]

CONFLICT_RETRIES = 8  # re-runs of a call the database aborted in a conflict (outside a transaction)
CONFLICT_PAUSE = 0.005  # seconds: the pause before re-run n is up to CONFLICT_PAUSE * 2**n (random)


class _Engine(Protocol):
    _exclusive: tuple[Transaction, asyncio.Lock] | None
    _tx: TransactionState

    def _translated(self, exc: Exception) -> MoleculerError: ...


P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=_Engine)


def engine_call(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[A, P], Coroutine[Any, Any, R]]:
    """Run a public data method with the error translation: ``MoleculerError`` passes through, any other exception
    becomes ``self.translate_error(exc)`` (raised ``from None`` so no engine internals travel in the stack; the
    original is kept on the new error's ``original`` attribute for local logs).

    It also serialises calls around an *exclusive* transaction: while ``self._exclusive`` is ``(tx, lock)`` (an
    engine that isolates transactions by serialising them sets it from begin to end, holding ``lock``), a call from
    a context outside ``tx`` waits for ``lock`` first.

    An ``AdapterConflictError`` raised outside a ``transaction()`` runs the whole call again (wait, translation
    and all), at most ``CONFLICT_RETRIES`` times; inside one it propagates."""

    @functools.wraps(method)
    async def call(self: A, *args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 0
        while True:
            try:
                return await once(self, *args, **kwargs)
            except AdapterConflictError:
                if attempt >= CONFLICT_RETRIES or self._tx.var.get() is not None:
                    raise
            await asyncio.sleep(random.uniform(0, CONFLICT_PAUSE * 2**attempt))
            attempt += 1

    async def once(self: A, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            exclusive = self._exclusive
            if exclusive is None or self._tx.var.get() is exclusive[0]:
                return await method(self, *args, **kwargs)
            async with exclusive[1]:  # another context's serialising transaction is open: wait for its end
                return await method(self, *args, **kwargs)
        except MoleculerError:
            raise
        except Exception as exc:
            raise self._translated(exc) from None

    return call
