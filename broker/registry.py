"""Where calls and events find their handlers: endpoints grouped per action name and per event (pattern, group).

Local endpoints come from started services; remote ones (``local=False``, with the ``node_id`` of their node) are
added by ``broker.transit`` from INFO packets and removed when their node leaves. Balancing follows Moleculer: with
``prefer_local`` a local endpoint is always chosen when one exists, else the strategy (``broker.strategies``) picks
among the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .errors import BrokerOptionsError, ServiceNotAvailableError, ServiceNotFoundError
from .nodes import NodeCatalog
from .strategies import RoundRobinStrategy, Strategy, remote_strategy_options, resolve_strategy
from .wildcard import match

if TYPE_CHECKING:  # pragma: no cover
    from .context import Context
    from .service import Service

__all__ = ["Action", "Endpoint", "EndpointList", "EventSubscription", "Registry"]

Handler = Callable[["Context"], Awaitable[Any]]

EVENT_CACHE_SIZE = 1000  # event names whose matching subscriptions are remembered (emptied when full)


class _Definition:
    """Attribute access to an action or event definition, plus dict-style access to its raw keys."""

    __slots__ = ("definition", "handler", "name", "service")

    definition: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.definition[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.definition.get(key, default)


class ActionDefinition(_Definition):
    """What local and remote actions share: ``raw_name``, ``visibility`` and the definition's options."""

    __slots__ = ("raw_name", "visibility")

    @property
    def params(self) -> Any:
        return self.definition.get("params")

    @property
    def cache(self) -> Any:
        return self.definition.get("cache")

    @property
    def timeout(self) -> Any:
        return self.definition.get("timeout")


class Action(ActionDefinition):
    """A registered action: its full ``name``, ``raw_name``, definition keys and the wrapped ``handler``."""

    __slots__ = ()

    def __init__(self, name: str, raw_name: str, service: Service, definition: dict[str, Any]) -> None:
        self.name = name
        self.raw_name = raw_name
        self.service = service
        self.definition = definition
        self.visibility = definition.get("visibility") or "published"
        self.handler: Handler | None = None

    def __repr__(self) -> str:
        return f"<Action {self.name}>"


class EventSubscription(_Definition):
    """One event subscription of a service: a name or wildcard pattern, a group and the wrapped ``handler``."""

    __slots__ = ("group",)

    def __init__(self, name: str, group: str, service: Service, definition: dict[str, Any]) -> None:
        self.name = name
        self.group = group
        self.service = service
        self.definition = definition
        self.handler: Handler | None = None

    @property
    def params(self) -> Any:
        return self.definition.get("params")

    def __repr__(self) -> str:
        return f"<EventSubscription {self.name} group={self.group}>"


class Endpoint:
    """A place a call or event can go: a handler on a node."""

    __slots__ = ("action", "handler", "local", "node_id", "service")

    def __init__(self, node_id: str, service: Any, action: Any, handler: Handler, local: bool = True):
        self.node_id = node_id
        self.service = service
        self.action = action
        self.handler = handler
        self.local = local


class EndpointList:
    """The endpoints of one action (or one event pattern and group), balanced round-robin, local first."""

    __slots__ = ("endpoints", "group", "name", "prefer_local", "strategy")

    def __init__(
        self, name: str, group: str | None = None, strategy: Strategy | None = None, prefer_local: bool = True
    ) -> None:
        self.name = name
        self.group = group
        self.endpoints: list[Endpoint] = []
        self.strategy = strategy or RoundRobinStrategy()
        self.prefer_local = prefer_local

    def add(self, endpoint: Endpoint) -> None:
        self.endpoints.append(endpoint)

    def remove_service(self, service: Any) -> None:
        self.endpoints = [ep for ep in self.endpoints if ep.service is not service]

    def remove_node(self, node_id: str) -> None:
        self.endpoints = [ep for ep in self.endpoints if ep.node_id != node_id]

    def next(self, ctx: Any = None) -> Endpoint:
        """Pick the endpoint for the next call (a single endpoint is returned without balancing); ``ctx`` is the
        call's context, for strategies that read it (``Shard``)."""
        endpoints = self.endpoints
        if len(endpoints) == 1:
            return endpoints[0]
        if not endpoints:
            raise ServiceNotAvailableError({"action": self.name})
        if self.prefer_local:
            local = [ep for ep in endpoints if ep.local]
            if local:
                endpoints = local
        return self.strategy.select(endpoints, ctx)

    def local_endpoints(self) -> list[Endpoint]:
        return [ep for ep in self.endpoints if ep.local]


class Registry:
    """The broker's catalog of services, action endpoints and event subscriptions."""

    def __init__(
        self,
        node_id: str,
        strategy: type[Strategy] = RoundRobinStrategy,
        prefer_local: bool = True,
        strategy_options: dict[str, Any] | None = None,
    ) -> None:
        self.node_id = node_id
        self.strategy = strategy
        self.strategy_options = strategy_options
        self.prefer_local = prefer_local
        self.nodes = NodeCatalog(node_id)  # this node and the remote ones (``broker.transit`` keeps it up to date)
        strategy(self, strategy_options)  # bad options fail when the broker is created, not at the first call
        self.services: list[Service] = []
        self.remote_services: list[Any] = []  # ``remote_services.RemoteService`` records, one per (node, service)
        self.actions: dict[str, EndpointList] = {}
        self._event_lists: dict[tuple[str, str], EndpointList] = {}
        self._event_cache: dict[str, list[EndpointList]] = {}

    def register_service(self, service: Service) -> None:
        """Make a started service's actions callable and its subscriptions reachable."""
        self.services.append(service)
        for act in service.action_definitions.values():
            if act.visibility == "private":
                continue
            self.add_action_endpoint(Endpoint(self.node_id, service, act, _built(act.handler)))
        for sub in service.event_subscriptions:
            self.add_event_endpoint(Endpoint(self.node_id, service, sub, _built(sub.handler)))
        self._event_cache.clear()

    def _new_list(self, name: str, group: str | None = None, definition: Any = None) -> EndpointList:
        """An endpoint list with its own strategy instance: the action's ``strategy`` / ``strategyOptions`` when its
        definition has them, else the registry's."""
        if definition is not None and definition.get("strategy") is not None:
            options = definition.get("strategyOptions")
            if not isinstance(definition, Action):
                options = remote_strategy_options(options)
            try:
                strategy = resolve_strategy(definition.get("strategy"))
                return EndpointList(name, group, strategy(self, options), self.prefer_local)
            except BrokerOptionsError:
                if isinstance(definition, Action):
                    raise  # a local action's bad strategy fails its service's start; a remote one's is ignored
        return EndpointList(name, group, self.strategy(self, self.strategy_options), self.prefer_local)

    def add_action_endpoint(self, endpoint: Endpoint) -> None:
        """Add one endpoint of the action ``endpoint.action.name`` (local or remote)."""
        name = endpoint.action.name
        endpoints = self.actions.get(name)
        if endpoints is None:
            endpoints = self.actions[name] = self._new_list(name, None, endpoint.action)
        endpoints.add(endpoint)

    def add_event_endpoint(self, endpoint: Endpoint) -> None:
        """Add one subscription endpoint (``endpoint.action`` has ``name`` and ``group``)."""
        sub = endpoint.action
        key = (sub.name, sub.group)
        endpoints = self._event_lists.get(key)
        if endpoints is None:
            endpoints = self._event_lists[key] = self._new_list(sub.name, sub.group)
        endpoints.add(endpoint)
        self._event_cache.clear()

    def remove_node(self, node_id: str) -> None:
        """Remove every endpoint and remote service record of a node (it left or re-announced its services)."""
        self.remote_services = [svc for svc in self.remote_services if svc.node_id != node_id]
        catalogs: tuple[dict[Any, EndpointList], ...] = (self.actions, self._event_lists)
        for catalog in catalogs:
            for key, endpoints in list(catalog.items()):
                endpoints.remove_node(node_id)
                if not endpoints.endpoints:
                    del catalog[key]
        self._event_cache.clear()

    def unregister_service(self, service: Service) -> None:
        """Remove a service's endpoints (calls to its actions fail with ``ServiceNotFoundError``)."""
        if service not in self.services:
            return
        self.services.remove(service)
        catalogs: tuple[dict[Any, EndpointList], ...] = (self.actions, self._event_lists)
        for catalog in catalogs:
            for key, endpoints in list(catalog.items()):
                endpoints.remove_service(service)
                if not endpoints.endpoints:
                    del catalog[key]
        self._event_cache.clear()

    def has_service(self, full_name: str) -> bool:
        """Whether a service of that full name runs here or on a connected node."""
        return any(svc.full_name == full_name for svc in self.services) or any(
            svc.full_name == full_name for svc in self.remote_services
        )

    def get_action_endpoint(self, action_name: str, node_id: str | None = None, ctx: Any = None) -> Endpoint:
        """The endpoint for a call (``ctx`` for the strategy); ``ServiceNotFoundError``/``ServiceNotAvailableError``."""
        endpoints = self.actions.get(action_name)
        if endpoints is None:
            data = {"action": action_name, "nodeID": node_id} if node_id else {"action": action_name}
            raise ServiceNotFoundError(data)
        if node_id is not None:
            for ep in endpoints.endpoints:
                if ep.node_id == node_id:
                    return ep
            raise ServiceNotFoundError({"action": action_name, "nodeID": node_id})
        return endpoints.next(ctx)

    def event_lists(self, event_name: str) -> list[EndpointList]:
        """Every (pattern, group) list whose pattern matches ``event_name`` (cached per name, for at most
        ``EVENT_CACHE_SIZE`` names)."""
        lists = self._event_cache.get(event_name)
        if lists is None:
            lists = [lst for (pattern, _), lst in self._event_lists.items() if match(event_name, pattern)]
            if len(self._event_cache) >= EVENT_CACHE_SIZE:  # names come from other nodes' EVENT packets too
                self._event_cache.clear()
            self._event_cache[event_name] = lists
        return lists


def _built(handler: Handler | None) -> Handler:
    """The wrapped handler of a definition, which ``Service`` builds before it registers (never ``None`` here)."""
    if handler is None:
        raise RuntimeError("a service registered a definition whose handler was not built")
    return handler
