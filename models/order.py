"""The order entity (post 11's ``models/order.model.js``), what a client may send, and the status rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .fields import EntityId, OrderStatus, Price, Quantity, now

__all__ = ["TRANSITIONS", "Order", "OrderCreate", "OrderStatusUpdate"]

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("confirmed", "cancelled"),
    "confirmed": ("shipped", "cancelled"),
    "shipped": ("delivered",),
    "delivered": (),
    "cancelled": (),
}
"""The allowed status changes (the course lets any status follow any other; a delivered order cannot be pending)."""


class Order(BaseModel):
    """A stored order: ``totalPrice`` is computed by the order service from the product's price, never sent."""

    userId: Annotated[EntityId, Field(json_schema_extra={"index": True})]  # my_orders queries it
    productId: EntityId
    quantity: Quantity
    totalPrice: Price
    status: OrderStatus = "pending"
    createdAt: datetime = Field(default_factory=now)
    updatedAt: datetime | None = None


class OrderCreate(BaseModel):
    """``POST /api/order``: which product and how many; the user comes from the token, the price from the catalogue."""

    model_config = ConfigDict(extra="forbid")
    productId: EntityId
    quantity: Quantity


class OrderStatusUpdate(BaseModel):
    """``PUT /api/admin/order/:id/status``."""

    model_config = ConfigDict(extra="forbid")
    id: EntityId
    status: OrderStatus
