"""Post 11's ``services/order.service.js`` ported line by line: ``ctx.emit`` is fire and forget."""

from adapters import MemoryAdapter
from broker.errors import MoleculerClientError
from dbmixin import DbMixin


async def create(self, ctx):
    user_id = ctx.meta["user"]["id"]
    product = await ctx.call("product.get", {"id": ctx.params["productId"]})
    if not product:
        raise MoleculerClientError("Product not found", 404, "NOT_FOUND")
    if product["stock"] < ctx.params["quantity"]:
        raise MoleculerClientError("Insufficient stock", 422, "INSUFFICIENT_STOCK")
    total_price = product["price"] * ctx.params["quantity"]
    order = await self.adapter.insert({
        "userId": user_id,
        "productId": ctx.params["productId"],
        "quantity": ctx.params["quantity"],
        "totalPrice": total_price,
        "status": "confirmed",
    })
    ctx.emit("order.created", {  # fire and forget, exactly as the course writes it
        "orderId": str(order["_id"]),
        "userId": user_id,
        "productId": ctx.params["productId"],
        "quantity": ctx.params["quantity"],
        "totalPrice": total_price,
        "productName": product["name"],
    })
    return order


async def my_orders(self, ctx):
    return await self.adapter.find({"query": {"userId": ctx.meta["user"]["id"]}})


schema = {
    "name": "order",
    "mixins": [DbMixin],
    "adapter": MemoryAdapter(),
    "dependencies": ["product"],
    "settings": {"fields": ["_id", "userId", "productId", "quantity", "totalPrice", "status", "createdAt"]},
    "actions": {
        "create": {
            "rest": {"method": "POST", "path": "/"},
            "params": {"productId": "string", "quantity": {"type": "number", "min": 1}},
            "handler": create,
        },
        "my_orders": {"rest": {"method": "GET", "path": "/my"}, "handler": my_orders},
    },
}
