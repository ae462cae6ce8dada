"""A Moleculer-compatible service broker for Python."""

from .broker import ServiceBroker
from .context import Context
from .decorators import action, event
from .service import Service

__all__ = ["Context", "Service", "ServiceBroker", "action", "event"]
