"""Post 11's ``services/product.service.js`` ported line by line, fire-and-forget cache cleaning included."""

from adapters import MemoryAdapter
from broker.errors import MoleculerClientError
from dbmixin import DbMixin


async def reduce_stock(self, ctx):
    product = await self.adapter.find_by_id(ctx.params["id"])
    if not product:
        raise MoleculerClientError("Product not found", 404, "NOT_FOUND")
    if product["stock"] < ctx.params["quantity"]:
        raise MoleculerClientError(
            "Insufficient stock", 422, "INSUFFICIENT_STOCK",
            {"available": product["stock"], "requested": ctx.params["quantity"]},
        )
    updated = await self.adapter.update_by_id(ctx.params["id"], {"$inc": {"stock": -ctx.params["quantity"]}})
    await self.broker.broadcast("cache.clean.product")
    return updated


async def on_order_created(self, ctx):
    order = ctx.params
    self.logger.info("Reducing stock for product %s", order["productId"])
    await ctx.call("product.reduce_stock", {"id": order["productId"], "quantity": order["quantity"]})


def on_cache_clean(self, ctx):
    if self.broker.cacher:
        self.broker.cacher.clean("product.**")  # not awaited, as in the course: it starts anyway


schema = {
    "name": "product",
    "mixins": [DbMixin],
    "adapter": MemoryAdapter(),
    "settings": {"fields": ["_id", "name", "price", "stock"]},
    "actions": {
        "list": {"rest": {"method": "GET", "path": "/"}},
        "get": {"rest": {"method": "GET", "path": "/:id"}},
        "create": {"rest": {"method": "POST", "path": "/"}},
        "reduce_stock": {"params": {"id": "string", "quantity": "number"}, "handler": reduce_stock},
    },
    "events": {"order.created": on_order_created, "cache.clean.product": on_cache_clean},
}
