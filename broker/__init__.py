"""A Moleculer-compatible service broker for Python."""

from .broker import ServiceBroker
from .context import Context
from .decorators import action, event
from .jsvalues import js_string
from .service import Service, full_service_name
from .utils import call_maybe_async
from .validation import Validator

__all__ = [
    "Context",
    "Service",
    "ServiceBroker",
    "Validator",
    "action",
    "call_maybe_async",
    "event",
    "full_service_name",
    "js_string",
]
