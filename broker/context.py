"""The Context of one action call or event delivery, with Moleculer's fields and meta propagation.

A context is created for every call, so it is a ``__slots__`` class and its ``id`` (a uuid4 string) is generated
only when somebody reads it: most local calls never do.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from .errors import MaxCallLevelError, RequestSkippedError
from .utils import generate_uid

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker
    from .registry import Action, Endpoint, EventSubscription
    from .service import Service

__all__ = ["Context"]


class Context:
    """What a handler receives: ``ctx.params``, ``ctx.meta``, ``await ctx.call(...)``, ``ctx.emit(...)``."""

    __slots__ = (
        "_id",
        "_request_id",
        "action",
        "broker",
        "cached_result",
        "caller",
        "endpoint",
        "event",
        "event_groups",
        "event_name",
        "event_type",
        "headers",
        "level",
        "locals",
        "meta",
        "node_id",
        "options",
        "params",
        "parent_id",
        "response_headers",
        "service",
        "start_time",
        "timeout",
    )

    def __init__(self, broker: ServiceBroker, endpoint: Endpoint | None = None) -> None:
        self.broker = broker
        self.endpoint = endpoint
        self.node_id = broker.node_id
        self.action: Action | None = None
        self.service: Service | None = None
        self.event: EventSubscription | None = None
        self.event_name: str | None = None
        self.event_type: str | None = None
        self.event_groups: list[str] | None = None
        self.params: Any = {}
        self.meta: dict[str, Any] = {}
        self.headers: dict[str, Any] = {}
        self.response_headers: dict[str, Any] = {}
        self.locals: dict[str, Any] = {}
        self.options: dict[str, Any] = {}
        self.level = 1
        self.caller: str | None = None
        self.parent_id: str | None = None
        self.timeout = 0.0
        self.start_time = 0.0
        self.cached_result = False
        self._id: str | None = None
        self._request_id: str | None = None

    @classmethod
    def create(
        cls,
        broker: ServiceBroker,
        endpoint: Endpoint | None,
        params: Any,
        meta: dict[str, Any] | None,
        parent: Context | None,
        options: dict[str, Any],
    ) -> Context:
        """Build a call's context from its options, inheriting level, caller, request ID and meta from ``parent``."""
        ctx = cls(broker, endpoint)
        if endpoint is not None:
            ctx.action = endpoint.action
            ctx.service = endpoint.service
        ctx.params = {} if params is None else params
        ctx.options = options
        headers = options.get("headers")
        if headers is not None:
            ctx.headers = headers
        if parent is not None:
            ctx.meta = {**parent.meta, **meta} if meta else dict(parent.meta)
            ctx.level = parent.level + 1
            ctx.parent_id = parent.id
            ctx._request_id = parent.request_id
            service = parent.service
            ctx.caller = service.full_name if service is not None else parent.caller
        elif meta is not None:
            ctx.meta = meta  # by reference, as Moleculer: sub-call meta changes flow back to the caller's dict
        request_id = options.get("request_id")
        if request_id is not None:
            ctx._request_id = request_id
        caller = options.get("caller")
        if caller is not None:
            ctx.caller = caller
        return ctx

    @property
    def id(self) -> str:
        """The context ID (uuid4), generated on first access."""
        if self._id is None:
            self._id = generate_uid()
        return self._id

    @id.setter
    def id(self, value: str) -> None:
        self._id = value

    @property
    def request_id(self) -> str:
        """The ID shared by every context of one request chain (the root context's ``id`` by default)."""
        if self._request_id is None:
            self._request_id = self.id
        return self._request_id

    @request_id.setter
    def request_id(self, value: str) -> None:
        self._request_id = value

    def _sub_options(self, action_name: str, options: dict[str, Any]) -> dict[str, Any]:
        """Apply the distributed timeout: a sub-call gets at most what is left of this call's timeout."""
        if self.timeout > 0 and self.start_time:
            remaining = self.timeout - (time.monotonic() - self.start_time) * 1000
            if remaining <= 0:
                raise RequestSkippedError({"action": action_name, "nodeID": self.broker.node_id})
            explicit = options.get("timeout")  # Moleculer ``!opts.timeout``: an explicit 0 gets the remaining time
            options["timeout"] = remaining if not explicit else min(explicit, remaining)
        return options

    async def call(self, action_name: str, params: Any = None, **options: Any) -> Any:
        """Call an action as a child of this context; its meta changes are merged back into ``self.meta``.

        The ``max_call_level`` check lives here, as in Moleculer: it guards call chains, never events.
        """
        max_level = self.broker.max_call_level
        if max_level and self.level >= max_level:
            raise MaxCallLevelError({"nodeID": self.broker.node_id, "level": self.level})
        options = self._sub_options(action_name, options)
        return await self.broker.call(action_name, params, parent_ctx=self, **options)

    def emit(self, event_name: str, payload: Any = None, **options: Any) -> Awaitable[bool]:
        """Emit a balanced event (one handler per group) as a child of this context.

        Delivery starts now: ``ctx.emit(...)`` without ``await`` is Moleculer's fire and forget; awaiting the
        result waits for the local handlers (see ``ServiceBroker.emit``).
        """
        return self.broker.emit(event_name, payload, parent_ctx=self, **options)

    def broadcast(self, event_name: str, payload: Any = None, **options: Any) -> Awaitable[bool]:
        """Broadcast an event to every subscriber as a child of this context; starts now, ``await`` optional."""
        return self.broker.broadcast(event_name, payload, parent_ctx=self, **options)

    def copy(self) -> Context:
        """A shallow copy (used to retry a call with the same identity)."""
        clone = Context(self.broker, self.endpoint)
        for slot in self.__slots__:
            setattr(clone, slot, getattr(self, slot))
        return clone

    def to_packet(self) -> dict[str, Any]:
        """The protocol fields of a REQ/EVENT packet for this context (for transporters)."""
        return {
            "id": self.id,
            "action": self.action.name if self.action is not None else None,
            "event": self.event_name,
            "params": self.params,
            "meta": self.meta,
            "headers": self.headers,
            "timeout": self.timeout or 0,
            "level": self.level,
            "parentID": self.parent_id,
            "requestID": self.request_id,
            "caller": self.caller,
        }

    def __repr__(self) -> str:
        target = self.action.name if self.action is not None else self.event_name
        return f"<Context {target} level={self.level}>"
