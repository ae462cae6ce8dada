"""The ``product`` service (post 11): the catalogue's CRUD for the admin routes, cached reads for everyone, and
the stock operations the order service calls.

* ``reduce_stock`` is ONE conditional, atomic write: ``update_many({"_id": id, "stock": {"$gte": q}, "isActive":
  {"$ne": False}}, {"$inc": {"stock": -q}})`` matches 1 (stock taken) or 0 (not enough, deactivated, or no such
  product; a deactivated one is a 422 ``PRODUCT_UNAVAILABLE``): never read-then-write,
  so 200 concurrent orders of a stock of 50 leave exactly 50 winners and a stock of 0. Insufficient stock is a 422
  ``INSUFFICIENT_STOCK`` with ``{"available", "requested"}``. The course read the stock, then decremented: two
  concurrent orders could both pass the check and drive the stock negative.
* ``restore_stock`` gives stock back (an order that could not be saved, a cancelled order).
* Both are ``visibility: "public"``: callable by services, never published over HTTP whatever the gateway's routes.
* ``list`` and ``get`` are cached (the broker's cacher); every write cleans the cache (``entity_changed``).
"""

from __future__ import annotations

from typing import Any

from broker.errors import MoleculerClientError
from dbmixin import DbMixin, EntityNotFoundError
from models import Product, ProductCreate, ProductUpdate
from models.fields import now

from .storage import Storage

__all__ = ["PUBLIC_FIELDS", "product_unavailable", "schema"]

PUBLIC_FIELDS = ["_id", "name", "description", "price", "stock", "category", "isActive", "createdAt", "updatedAt"]
_STOCK_PARAMS = {"id": {"type": "string", "min": 1, "max": 64},
                 "quantity": {"type": "number", "integer": True, "min": 1, "max": 10_000}}  # fmt: skip


def product_unavailable(product_id: str) -> MoleculerClientError:
    """The 422 ``PRODUCT_UNAVAILABLE`` (``data: {"productId"}``) of a deactivated product: ``order.create``'s check
    and ``reduce_stock``'s refused write answer the same."""
    return MoleculerClientError("Product is not available", 422, "PRODUCT_UNAVAILABLE", {"productId": product_id})


async def _create(self: Any, ctx: Any) -> dict[str, Any]:
    return await self.create_entity(ctx, dict(ctx.params))


async def _update(self: Any, ctx: Any) -> dict[str, Any]:
    changes = {key: value for key, value in ctx.params.items() if key != "id" and value is not None}
    changes["updatedAt"] = now()
    return await self.update_entity(ctx, {"id": ctx.params["id"], "$set": changes})


async def _changed(self: Any, ctx: Any, product_id: str) -> dict[str, Any]:
    stored = await self.adapter.find_by_id(product_id)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("updated", json, ctx, stored)
    return json


async def _reduce_stock(self: Any, ctx: Any) -> dict[str, Any]:
    product_id, quantity = ctx.params["id"], ctx.params["quantity"]
    won = await self.adapter.update_many({"_id": product_id, "stock": {"$gte": quantity}, "isActive": {"$ne": False}},
                                         {"$inc": {"stock": -quantity}})  # fmt: skip
    if not won:
        current = await self.adapter.find_by_id(product_id)
        if current is None:
            raise EntityNotFoundError(product_id)
        if current.get("isActive") is False:  # deactivated since the order's check: the same answer as that check
            raise product_unavailable(product_id)
        raise MoleculerClientError("Insufficient stock", 422, "INSUFFICIENT_STOCK",
                                   {"available": current.get("stock"), "requested": quantity})  # fmt: skip
    return await _changed(self, ctx, product_id)


async def _restore_stock(self: Any, ctx: Any) -> dict[str, Any]:
    product_id, quantity = ctx.params["id"], ctx.params["quantity"]
    if not await self.adapter.update_many({"_id": product_id}, {"$inc": {"stock": quantity}}):
        raise EntityNotFoundError(product_id)
    return await _changed(self, ctx, product_id)


def schema(storage: Storage) -> dict[str, Any]:
    """The service schema on ``storage``."""
    adapter = storage.adapter("products", Product)
    return {
        "name": "product",
        "mixins": [DbMixin],
        "adapter": adapter,
        "settings": {"fields": PUBLIC_FIELDS, "entityValidator": Product, "pageSize": 20},
        "actions": {
            "create": {"params": ProductCreate, "handler": _create},
            "update": {"params": ProductUpdate, "handler": _update},
            "reduce_stock": {"params": _STOCK_PARAMS, "visibility": "public", "handler": _reduce_stock},
            "restore_stock": {"params": _STOCK_PARAMS, "visibility": "public", "handler": _restore_stock},
        },
    }
