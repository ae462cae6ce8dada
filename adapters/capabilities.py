"""``AdapterCapabilities``: what an engine can give the portable semantics for, declared on the adapter class.

The conformance suite reads them: a case marked ``@requires("regex")`` must pass on an adapter that declares
``regex``, and must raise ``UnsupportedQueryError`` (400) on one that does not. Every unmarked case must pass on every
adapter. So a capability is a promise both ways: declared → exact portable behaviour; not declared → a clear refusal,
never a silently different result.

The list comes from what the engines we target can and cannot do (see ``docs/architecture.md``, "Adapters"):

==========================  ======  =========  ======  =======================================================
capability                  memory  MongoDB    SQL     meaning when declared
==========================  ======  =========  ======  =======================================================
``regex``                   yes     yes        yes*    ``$regex`` with ``$options`` ``imsx`` (*MariaDB refuses a
                                                       pattern its PCRE2 gives up on: UnsupportedQueryError)
``search_without_fields``   yes     no         no      ``search`` with no ``searchFields`` looks at every
                                                       top-level string value (Mongo's ``$text`` is a
                                                       different thing; SQL has no "all columns")
``mixed_type_values``       yes     yes        no      one field may hold numbers, strings, bools, ``None``,
                                                       arrays and objects across entities, with the
                                                       language's type-strict equality and type-bracketed
                                                       ranges (SQL columns have one type)
``array_values``            yes     yes        no**    arrays with any-element equality/``$in``/ranges and
                                                       whole-array equality (**JSON columns: partly)
``object_values``           yes     yes        no**    nested objects, dotted paths into them, and exact
                                                       object equality
``paths_through_arrays``    yes     yes        no      ``items.sku`` reaches into each object of an array
``sort_on_arrays``          yes     no         no      sorting by a field holding arrays orders them by the
                                                       memory adapter's total order (Mongo uses min/max element)
``transactions``            yes     replica    yes     ``async with adapter.transaction()`` groups calls and
                                    set only           rolls them all back on an exception
``unique_indexes``          yes     yes        yes     ``{"fields": [...], "unique": True}`` is enforced (409)
``unique_null_is_value``    yes     yes        no      in a unique index ``None``/missing is a value: only one
                                                       entity may lack the field (MongoDB); SQL lets NULLs repeat
==========================  ======  =========  ======  =======================================================

A new capability gets a default of ``True`` here only if every existing adapter really has it; the safe default for
a new engine is to copy ``FULL`` and switch off what it cannot do (``dataclasses.replace(FULL, regex=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["FULL", "AdapterCapabilities"]


@dataclass(frozen=True, slots=True)
class AdapterCapabilities:
    """The optional parts of the portable contract an adapter implements exactly (see the module table)."""

    regex: bool = True
    search_without_fields: bool = True
    mixed_type_values: bool = True
    array_values: bool = True
    object_values: bool = True
    paths_through_arrays: bool = True
    sort_on_arrays: bool = True
    transactions: bool = True
    unique_indexes: bool = True
    unique_null_is_value: bool = True

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every capability name (the valid arguments of the conformance suite's ``requires``)."""
        return tuple(f.name for f in fields(cls))

    def has(self, *names: str) -> bool:
        """Whether every named capability is declared; an unknown name is a ``ValueError`` (a typo in a test)."""
        known = self.names()
        for name in names:
            if name not in known:
                raise ValueError(f"unknown adapter capability {name!r} (known: {', '.join(known)})")
        return all(getattr(self, name) for name in names)

    def missing(self, *names: str) -> tuple[str, ...]:
        """The named capabilities this adapter does not declare."""
        self.has(*names)
        return tuple(name for name in names if not getattr(self, name))


FULL = AdapterCapabilities()
"""Everything: the memory adapter, the reference engine of the conformance suite."""
