"""Load-balancing strategies: which endpoint of an action (or event group) gets the next call.

Names as Moleculer's (``src/strategies``): ``RoundRobin`` (default) and ``Random``. ``CpuUsage`` and ``Latency``
are accepted and, in this release, choose like ``RoundRobin`` and ``Random`` respectively (documented difference).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, TypeVar

from .errors import BrokerOptionsError

__all__ = ["RandomStrategy", "RoundRobinStrategy", "Strategy", "resolve_strategy"]

T = TypeVar("T")


class Strategy:
    """``select(items)`` picks one of a non-empty sequence. One instance per endpoint list."""

    def select(self, items: Sequence[T]) -> T:  # pragma: no cover - abstract
        raise NotImplementedError


class RoundRobinStrategy(Strategy):
    """Each endpoint in turn."""

    __slots__ = ("counter",)

    def __init__(self) -> None:
        self.counter = 0

    def select(self, items: Sequence[T]) -> T:
        if self.counter >= len(items):
            self.counter = 0
        item = items[self.counter]
        self.counter += 1
        return item


class RandomStrategy(Strategy):
    """A uniformly random endpoint."""

    __slots__ = ()

    def select(self, items: Sequence[T]) -> T:
        return items[random.randrange(len(items))]


_STRATEGIES: dict[str, type[Strategy]] = {
    "roundrobin": RoundRobinStrategy,
    "random": RandomStrategy,
    "cpuusage": RoundRobinStrategy,
    "latency": RandomStrategy,
}


def resolve_strategy(option: Any) -> type[Strategy]:
    """A strategy class from a name (``"RoundRobin"``, ``"Random"``, ``"CpuUsage"``, ``"Latency"``) or a class."""
    if option is None:
        return RoundRobinStrategy
    if isinstance(option, type) and issubclass(option, Strategy):
        return option
    if isinstance(option, str) and option.lower() in _STRATEGIES:
        return _STRATEGIES[option.lower()]
    raise BrokerOptionsError(f"Invalid strategy: {option!r}", {"strategy": repr(option)})
