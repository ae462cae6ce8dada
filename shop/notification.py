"""The ``notification`` service (post 14): push notifications for order events, logged here.

Like ``email``, it catches and logs its own errors: a failing listener never breaks the emitter.
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema"]


async def _notify(self: Any, ctx: Any) -> None:
    try:
        p = ctx.params
        text = (f"Order {p['orderId']} is {p['status']}" if ctx.event_name == "order.statusUpdated"
                else f"Order {p['orderId']} placed: {p['quantity']} x {p['productName']}")  # fmt: skip
        self.sent.append({"userId": p["userId"], "text": text})
        del self.sent[:-100]
        self.logger.info("Push to user %s: %s", p["userId"], text)
    except Exception:
        self.logger.exception("Failed to send the notification for %s", ctx.event_name)


def _created(self: Any) -> None:
    self.sent = []


def schema() -> dict[str, Any]:
    """The service schema (no storage)."""
    return {"name": "notification", "created": _created,
            "events": {"order.created": _notify, "order.statusUpdated": _notify}}  # fmt: skip
