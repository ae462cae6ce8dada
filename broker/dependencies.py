"""Service dependencies: refuse circular ones before start, and wait (without polling) for named services.

Used by ``ServiceBroker.start`` and ``ServiceBroker.wait_for_services``; timeouts and intervals in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import MoleculerServerError, ServiceSchemaError
from .service import full_service_name
from .utils import ensure_list

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker
    from .service import Service

__all__ = ["check_dependency_cycles", "dependency_name", "wait_for_services"]


def dependency_name(dep: Any) -> str:
    """The full service name of one ``dependencies`` entry: ``"posts"``, ``"v2.posts"`` or ``{"name", "version"}``."""
    if isinstance(dep, dict):
        return full_service_name(dep.get("name", ""), dep.get("version"))
    return str(dep)


def check_dependency_cycles(services: Iterable[Service]) -> None:
    """Local services that depend on each other in a circle would wait forever: raise ``ServiceSchemaError``
    naming the cycle (``data["cycle"]``)."""
    graph = {s.full_name: [dependency_name(d) for d in s.dependencies] for s in services}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in graph:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise ServiceSchemaError(
                f"Circular service dependencies: {' -> '.join(cycle)}. Remove one of them from "
                "'dependencies' and wait for it with wait_for_services() in a started task instead.",
                {"cycle": cycle},
            )
        visiting.append(name)
        for dep in graph[name]:
            visit(dep)
        visiting.pop()
        done.add(name)

    for name in graph:
        visit(name)


async def wait_for_services(
    broker: ServiceBroker, services: Any, timeout: float = 0, interval: float | None = None
) -> dict[str, Any]:
    """Wait until every named service is registered on this node or a connected one; ``timeout`` ms (0 = forever),
    a log line every ``interval`` ms. Gives ``{"services", "statuses"}``; ``MoleculerServerError``
    (``WAITFOR_SERVICES``) on timeout."""
    names = [dependency_name(s) for s in ensure_list(services)]
    log_every = (interval or broker.dependency_interval) / 1000
    deadline = time.monotonic() + timeout / 1000 if timeout else None
    while True:
        statuses = [{"name": n, "available": broker.registry.has_service(n)} for n in names]
        if all(s["available"] for s in statuses):
            return {"services": names, "statuses": statuses}
        if deadline is not None and time.monotonic() >= deadline:
            raise MoleculerServerError(
                "Services waiting is timed out.",
                500,
                "WAITFOR_SERVICES",
                {"services": names, "statuses": statuses},
            )
        missing = [str(s["name"]) for s in statuses if not s["available"]]
        broker.logger.info("Waiting for service(s) '%s'...", ", ".join(missing))
        wait = log_every if deadline is None else max(0.0, min(log_every, deadline - time.monotonic()))
        try:
            await asyncio.wait_for(broker._services_changed.wait(), wait)
        except TimeoutError:
            pass
