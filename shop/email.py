"""The ``email`` service (post 14): reacts to ``user.registered``, ``order.created`` and ``order.statusUpdated``.

It logs the message it would send (no SMTP here) and never lets an error reach the emitter: each handler catches
and logs its own failure, as the course's checklist asks ("event handlers catch their own errors").
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema"]


def _safe(describe: Any) -> Any:
    async def handler(self: Any, ctx: Any) -> None:
        try:
            to, subject = describe(ctx.params)
            self.sent.append({"to": to, "subject": subject})
            del self.sent[:-100]  # keep the last hundred, for tests and debugging
            self.logger.info("Email to %s: %s", to, subject)
        except Exception:
            self.logger.exception("Failed to send the email for %s", ctx.event_name)

    return handler


def _welcome(p: dict[str, Any]) -> tuple[str, str]:
    return p["email"], f"Welcome to our store, {p['name']}"


def _confirmed(p: dict[str, Any]) -> tuple[str, str]:
    return f"user:{p['userId']}", f"Order {p['orderId']} confirmed. Total: {p['totalPrice']}"


def _status(p: dict[str, Any]) -> tuple[str, str]:
    return f"user:{p.get('userId')}", f"Order {p['orderId']} status updated to {p['status']}"


def _created(self: Any) -> None:
    self.sent = []


def schema() -> dict[str, Any]:
    """The service schema (no storage)."""
    return {
        "name": "email",
        "created": _created,
        "events": {
            "user.registered": _safe(_welcome),
            "order.created": _safe(_confirmed),
            "order.statusUpdated": _safe(_status),
        },
    }
