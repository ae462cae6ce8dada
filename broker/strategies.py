"""Load-balancing strategies: which endpoint of an action (or event group) gets the next call.

Names and options as Moleculer's (``src/strategies``), set with ``registry={"strategy": "CpuUsage",
"strategyOptions": {...}}`` or per action (``"strategy"`` / ``"strategyOptions"`` keys of its definition):

- ``RoundRobin`` (default): each endpoint in turn. ``Random``: a uniformly random one.
- ``CpuUsage`` (``sampleCount`` 3, ``lowCpuUsage`` 10): looks at ``sampleCount`` random endpoints (all of them when
  there are fewer) and takes the first whose node's CPU usage (percent, from its HEARTBEAT) is below
  ``lowCpuUsage``, else the lowest; random when no node reported a CPU usage yet.
- ``Latency`` (``sampleCount`` 5, ``lowLatency`` 10 ms, ``collectCount`` 5, ``pingInterval`` 10 s): the same choice
  over the nodes' average PING round trip (the last ``collectCount`` pings, one every ``pingInterval`` s, sent by
  ``broker.transit``). Difference: measured per node, not per host as Moleculer's.
- ``Shard`` (``broker.shard_strategy``): consistent hashing of a key from the params or meta.

Every strategy has ``select(items, ctx=None)``; ``items`` are endpoints (anything with a ``node_id``), never empty.
Bad options (unknown, not a finite number, or out of the strategy's ``RANGES``) raise ``BrokerOptionsError`` naming
the option.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from .errors import BrokerOptionsError
from .nodes import NodeCatalog
from .utils import finite_number

__all__ = [
    "CpuUsageStrategy",
    "LatencyStrategy",
    "RandomStrategy",
    "RoundRobinStrategy",
    "Strategy",
    "remote_strategy_options",
    "resolve_strategy",
]

T = TypeVar("T")


class Strategy:
    """Base of the strategies: ``Strategy(registry=None, options=None)``, one instance per endpoint list.

    ``registry`` gives the node catalog (``registry.nodes``) to strategies that read node figures; ``options`` are
    the ``strategyOptions`` (Moleculer's names), checked against ``DEFAULTS``.
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {}
    RANGES: ClassVar[dict[str, tuple[float | None, float | None]]] = {}  # inclusive bounds of numeric options

    def __init__(self, registry: Any = None, options: Mapping[str, Any] | None = None) -> None:
        self.registry = registry
        self.options = _checked_options(type(self).__name__, self.DEFAULTS, options, self.RANGES)

    def select(self, items: Sequence[T], ctx: Any = None) -> T:  # pragma: no cover - abstract
        raise NotImplementedError


class RoundRobinStrategy(Strategy):
    """Each endpoint in turn."""

    def __init__(self, registry: Any = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(registry, options)
        self.counter = 0

    def select(self, items: Sequence[T], ctx: Any = None) -> T:
        if self.counter >= len(items):
            self.counter = 0
        item = items[self.counter]
        self.counter += 1
        return item


class RandomStrategy(Strategy):
    """A uniformly random endpoint."""

    def select(self, items: Sequence[T], ctx: Any = None) -> T:
        return items[random.randrange(len(items))]


class _LowestFigure(Strategy):
    """Moleculer's sampling choice: among ``sampleCount`` endpoints, the first below the threshold, else the
    lowest figure, else a random one. Subclasses give the figure of a node and the threshold option."""

    THRESHOLD = ""

    def __init__(self, registry: Any = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(registry, options)
        nodes = getattr(registry, "nodes", None)
        self.nodes: NodeCatalog = nodes if isinstance(nodes, NodeCatalog) else NodeCatalog()
        self.sample_count = int(self.options["sampleCount"])
        self.low = float(self.options[self.THRESHOLD])

    def figure(self, node_id: str) -> float | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def select(self, items: Sequence[T], ctx: Any = None) -> T:
        size = len(items)
        count = size if self.sample_count <= 0 or self.sample_count > size else self.sample_count
        best: T | None = None
        best_figure = 0.0
        for i in range(count):
            item = items[i] if count == size else items[random.randrange(size)]
            figure = self.figure(item.node_id)  # type: ignore[attr-defined]
            if figure is None:
                continue
            if figure < self.low:
                return item
            if best is None or figure < best_figure:
                best, best_figure = item, figure
        return best if best is not None else items[random.randrange(size)]


class CpuUsageStrategy(_LowestFigure):
    """The endpoint whose node reports the lowest CPU usage (see the module doc)."""

    DEFAULTS: ClassVar[dict[str, Any]] = {"sampleCount": 3, "lowCpuUsage": 10}
    RANGES: ClassVar[dict[str, tuple[float | None, float | None]]] = {"sampleCount": (0, None)}
    THRESHOLD = "lowCpuUsage"

    def figure(self, node_id: str) -> float | None:
        cpu = self.nodes.cpu_of(node_id)
        return float(cpu) if isinstance(cpu, int | float) else None


class LatencyStrategy(_LowestFigure):
    """The endpoint whose node answers PINGs fastest (see the module doc); this node's own latency is 0."""

    DEFAULTS: ClassVar[dict[str, Any]] = {"sampleCount": 5, "lowLatency": 10, "collectCount": 5, "pingInterval": 10}
    RANGES: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "sampleCount": (0, None), "lowLatency": (0, None), "collectCount": (1, 1000), "pingInterval": (0.01, None),
    }  # fmt: skip
    THRESHOLD = "lowLatency"

    def __init__(self, registry: Any = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(registry, options)
        self.nodes.want_pings(float(self.options["pingInterval"]), int(self.options["collectCount"]))

    def figure(self, node_id: str) -> float | None:
        return self.nodes.latency_of(node_id)


def _checked_options(
    strategy: str, defaults: dict[str, Any], options: Any, ranges: Mapping[str, tuple[float | None, float | None]]
) -> dict[str, Any]:
    """``defaults`` updated with ``options``; an unknown name, a non-number (or a non-finite one) where a number is
    due, or a number outside ``ranges`` raises ``BrokerOptionsError`` naming the option. Options also come from
    other nodes' INFO (an action's ``strategyOptions``), so a ring of 10**9 slices or a ping every microsecond is
    refused here, not attempted."""
    if options is None:
        return dict(defaults)
    if not isinstance(options, Mapping):
        raise BrokerOptionsError(
            f"Invalid strategyOptions for {strategy}: {options!r} (expected a dict)", {"strategyOptions": repr(options)}
        )
    merged = dict(defaults)
    for name, value in options.items():
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise BrokerOptionsError(
                f"Unknown {strategy} option '{name}' (known: {known})", {"strategyOptions": name}
            )
        expected = defaults[name]
        if isinstance(expected, int | float) and not finite_number(value):
            raise BrokerOptionsError(
                f"Invalid {strategy} option '{name}': {value!r} (expected a number)", {"strategyOptions": name}
            )
        low, high = ranges.get(name, (None, None))
        if finite_number(value) and ((low is not None and value < low) or (high is not None and value > high)):
            raise BrokerOptionsError(
                f"Invalid {strategy} option '{name}': {value!r} (expected a number from {low} to {high or 'any'})",
                {"strategyOptions": name},
            )
        merged[name] = value
    return merged


def remote_strategy_options(options: Any) -> Any:
    """The ``strategyOptions`` of another node's action as this node uses them: an action of another node cannot
    make this node ping every node more than once a second (``Latency``'s ``pingInterval``)."""
    if isinstance(options, Mapping) and finite_number(options.get("pingInterval")):
        return {**options, "pingInterval": max(1, options["pingInterval"])}
    return options


_STRATEGIES: dict[str, type[Strategy]] = {
    "roundrobin": RoundRobinStrategy,
    "random": RandomStrategy,
    "cpuusage": CpuUsageStrategy,
    "latency": LatencyStrategy,
}


def resolve_strategy(option: Any) -> type[Strategy]:
    """A strategy class from a name (``"RoundRobin"``, ``"Random"``, ``"CpuUsage"``, ``"Latency"``, ``"Shard"``,
    any case, with or without a ``Strategy`` suffix) or a ``Strategy`` subclass; ``None`` gives ``RoundRobin``."""
    if option is None:
        return RoundRobinStrategy
    if isinstance(option, type) and issubclass(option, Strategy):
        return option
    if isinstance(option, str):
        name = option.lower().removesuffix("strategy")
        if name == "shard":
            from .shard_strategy import ShardStrategy

            return ShardStrategy
        if name in _STRATEGIES:
            return _STRATEGIES[name]
    raise BrokerOptionsError(f"Invalid strategy: {option!r}", {"strategy": repr(option)})
