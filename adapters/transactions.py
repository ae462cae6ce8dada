"""Transactions over adapter calls: ``async with adapter.transaction(): ...``.

The base adapter keeps the current transaction in a ``ContextVar`` of its own, so:

* calls inside the block (in this task) run in the transaction; an exception leaving the block rolls them all back,
  a normal exit commits;
* a nested ``transaction()`` joins the outer one (no savepoints: its exception rolls back the whole outer
  transaction when it propagates out of the outer block too);
* another task's calls are never part of it (each task has its own context). A task *created inside* the block
  inherits the context, as ``asyncio`` copies it, and so runs in the transaction while it is open; once the block
  has ended, the inherited transaction is inactive and such a task's calls run on their own.

An engine implements three hooks on its adapter: ``_begin_transaction() -> Transaction`` (return a ``Transaction``
subclass carrying the engine's session/connection), ``_commit_transaction(tx)`` and ``_rollback_transaction(tx)``; and
looks up the transaction of the current call with ``adapter.current_transaction()`` (``None`` outside one).
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["Transaction", "TransactionState"]


class Transaction:
    """One open transaction of one adapter. Engines subclass it to carry their session; ``active`` is false once
    committed or rolled back."""

    __slots__ = ("__weakref__", "active")

    def __init__(self) -> None:
        self.active = True


class TransactionState:
    """The per-adapter ``ContextVar`` holding the transaction of the current context."""

    __slots__ = ("var",)

    def __init__(self, name: str) -> None:
        self.var: ContextVar[Transaction | None] = ContextVar(f"adapter_tx_{name}", default=None)

    def current(self) -> Transaction | None:
        """The open transaction this context runs in, or ``None``."""
        tx = self.var.get()
        return tx if tx is not None and tx.active else None
