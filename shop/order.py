"""The ``order`` service (post 11): place an order, list and read one's own orders, change the status (admin).

``create`` takes the user from ``ctx.meta.user`` (set by the gateway from the token) and the price from the product
service, never from the client; it reduces the stock first (``product.reduce_stock``, atomic), then saves the order
with status ``confirmed`` and emits ``order.created``. If saving fails after the stock was taken, the stock is given
back (``product.restore_stock``) before the error propagates: no stock is lost. (The course saved the order and
reduced the stock in an ``order.created`` listener, after answering: an order could be confirmed without stock.)

``my_orders`` pages the caller's orders like ``list`` (``page``, ``pageSize``, ``sort``, ``populate``); ``get``
answers the caller's own order, and 404 for anyone else's (an admin sees every order), so ids of other users'
orders cannot be probed. ``update_status`` follows ``models.TRANSITIONS`` (an illegal change is a 422
``INVALID_STATUS_TRANSITION``), writes with a compare-and-set on the status it read (a concurrent change is a 409
``CONFLICT``), gives the stock back when an order is cancelled (a product removed meanwhile has none to take back:
the cancel still succeeds; if giving back fails otherwise, the status is put back and the error answered), and
emits ``order.statusUpdated``.
Populates: ``product`` (from ``productId``) and ``user`` (from ``userId``, without the password hash).
"""

from __future__ import annotations

from typing import Any

from broker.errors import MoleculerClientError
from dbmixin import DbMixin, EntityNotFoundError
from models import ORDER_STATUSES, TRANSITIONS, Order, OrderCreate, OrderStatusUpdate
from models.fields import now

from .product import product_unavailable
from .storage import Storage

__all__ = ["POPULATES", "PUBLIC_FIELDS", "schema"]

POPULATES = ("product", "user")
PUBLIC_FIELDS = ["_id", "userId", "productId", "quantity", "totalPrice", "status", "createdAt", "updatedAt",
                 *POPULATES]  # fmt: skip
_POPULATE = [
    {"type": "enum", "values": list(POPULATES), "optional": True},
    {"type": "array", "items": {"type": "enum", "values": list(POPULATES)}, "optional": True, "max": 2},
]
_SORTS = ["createdAt", "-createdAt", "totalPrice", "-totalPrice", "status", "-status"]
_MY_ORDERS = {
    "$$strict": True,
    "page": {"type": "number", "integer": True, "min": 1, "max": 1_000_000, "optional": True, "convert": True},
    "pageSize": {"type": "number", "integer": True, "min": 1, "max": 100, "optional": True, "convert": True},
    "sort": {"type": "enum", "values": _SORTS, "optional": True},
    "populate": _POPULATE,
}
_GET = {"$$strict": True, "id": {"type": "string", "min": 1, "max": 64}, "populate": _POPULATE}


def _caller(ctx: Any) -> dict[str, Any]:
    user = ctx.meta.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        raise MoleculerClientError("Authentication required", 401, "NO_TOKEN")
    return user


async def _create(self: Any, ctx: Any) -> dict[str, Any]:
    user = _caller(ctx)
    product_id, quantity = ctx.params["productId"], ctx.params["quantity"]
    product = await ctx.call("product.get", {"id": product_id})
    if product.get("isActive") is False:
        raise product_unavailable(product_id)
    total = round(float(product["price"]) * quantity, 2)
    await ctx.call("product.reduce_stock", {"id": product_id, "quantity": quantity})
    try:
        order = await self.create_entity(ctx, {"userId": user["id"], "productId": product_id, "quantity": quantity,
                                               "totalPrice": total, "status": "confirmed"})  # fmt: skip
    except BaseException:
        try:
            await ctx.call("product.restore_stock", {"id": product_id, "quantity": quantity})
        except Exception:
            self.logger.exception("Could not give back %d of product %s after a failed order", quantity, product_id)
        raise
    ctx.emit("order.created", {"orderId": str(order["_id"]), "userId": user["id"], "productId": product_id,
                               "quantity": quantity, "totalPrice": total, "productName": product["name"]})  # fmt: skip
    return order


def _populate(params: dict[str, Any]) -> list[str]:
    value = params.get("populate")
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


async def _my_orders(self: Any, ctx: Any) -> dict[str, Any]:
    user = _caller(ctx)
    params = {"query": {"userId": user["id"]}, "sort": ctx.params.get("sort") or "-createdAt",
              "page": ctx.params.get("page") or 1, "pageSize": ctx.params.get("pageSize") or 10,
              "populate": _populate(ctx.params)}  # fmt: skip
    return await self.list_entities(ctx, params)


async def _get(self: Any, ctx: Any) -> dict[str, Any]:
    user = _caller(ctx)
    order = await self.adapter.find_by_id(ctx.params["id"])
    if order is None or (order.get("userId") != user["id"] and user.get("role") != "admin"):
        raise EntityNotFoundError(ctx.params["id"])
    return await self.transform_documents(ctx, {"populate": _populate(ctx.params)}, order)


async def _give_back(self: Any, ctx: Any, order: dict[str, Any], previous: Any) -> None:
    """Give a cancelled order's stock back. A product removed meanwhile has no stock to take it (logged); any other
    failure puts the order's status back to ``previous`` (compare-and-set) and raises: nothing half done."""
    try:
        await ctx.call("product.restore_stock", {"id": order["productId"], "quantity": order["quantity"]})
    except Exception as err:
        if not isinstance(err, EntityNotFoundError):  # a product service that cannot be reached is not one
            undo = {"$set": {"status": previous, "updatedAt": order.get("updatedAt")}}
            await self.adapter.update_many({"_id": ctx.params["id"], "status": "cancelled"}, undo)
            raise
        self.logger.warning("Order %s cancelled: its product %s no longer exists, no stock to give back",
                            ctx.params["id"], order["productId"])  # fmt: skip


async def _update_status(self: Any, ctx: Any) -> dict[str, Any]:
    order_id, status = ctx.params["id"], ctx.params["status"]
    order = await self.adapter.find_by_id(order_id)
    if order is None:
        raise EntityNotFoundError(order_id)
    previous = order.get("status")
    allowed = TRANSITIONS.get(str(previous), ())
    if status not in allowed:
        raise MoleculerClientError(f"An order cannot go from '{previous}' to '{status}'", 422,
                                   "INVALID_STATUS_TRANSITION",
                                   {"from": previous, "to": status, "allowed": list(allowed)})  # fmt: skip
    won = await self.adapter.update_many({"_id": order_id, "status": previous},
                                         {"$set": {"status": status, "updatedAt": now()}})  # fmt: skip
    if not won:
        raise MoleculerClientError("The order changed meanwhile; retry", 409, "CONFLICT", {"id": order_id})
    if status == "cancelled":
        await _give_back(self, ctx, order, previous)
    stored = await self.adapter.find_by_id(order_id)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("updated", json, ctx, stored)
    ctx.emit("order.statusUpdated", {"orderId": str(order_id), "userId": order.get("userId"), "status": status,
                                     "previous": previous})  # fmt: skip
    return json


def schema(storage: Storage) -> dict[str, Any]:
    """The service schema on ``storage``."""
    adapter = storage.adapter("orders", Order)
    return {
        "name": "order",
        "mixins": [DbMixin],
        "adapter": adapter,
        "dependencies": ["product"],
        "settings": {
            "fields": PUBLIC_FIELDS,
            "entityValidator": Order,
            "pageSize": 20,
            "populates": {
                "product": {"field": "productId", "action": "product.get"},
                "user": {"field": "userId", "action": "user.get"},
            },
        },
        "actions": {
            "create": {"params": OrderCreate, "handler": _create},
            "my_orders": {"params": _MY_ORDERS, "handler": _my_orders},
            "get": {"params": _GET, "cache": False, "handler": _get},
            "update_status": {"params": OrderStatusUpdate, "handler": _update_status},
            "update": False,
            "insert": False,
        },
    }


assert set(TRANSITIONS) == set(ORDER_STATUSES)
