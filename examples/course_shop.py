"""Moleculer habits that just work: fire-and-forget events, custom actions on self.adapter, populates."""

import asyncio

from adapters import MemoryAdapter
from broker import ServiceBroker
from dbmixin import DbMixin


async def reduce_stock(self, ctx):
    return await self.adapter.update_by_id(ctx.params["id"], {"$inc": {"stock": -ctx.params["quantity"]}})


async def on_order_created(self, ctx):
    await ctx.call("product.reduce_stock", {"id": ctx.params["productId"], "quantity": ctx.params["quantity"]})


async def place(self, ctx):
    order = await self.adapter.insert({"productId": ctx.params["productId"], "quantity": ctx.params["quantity"]})
    ctx.emit("order.created", order)  # fire and forget, as in JavaScript: delivery starts now
    return order


async def main():
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "product", "mixins": [DbMixin], "adapter": MemoryAdapter(),
                           "actions": {"reduce_stock": reduce_stock},
                           "events": {"order.created": on_order_created}})
    broker.create_service({"name": "order", "mixins": [DbMixin], "adapter": MemoryAdapter(),
                           "settings": {"populates": {"productId": "product.get"}},
                           "actions": {"place": {"params": {"productId": "string", "quantity": "number"},
                                                 "handler": place}}})
    async with broker:
        keyboard = await broker.call("product.create", {"name": "Keyboard", "stock": 10})
        await broker.call("order.place", {"productId": keyboard["_id"], "quantity": 2})
        await broker.call("order.place", {"productId": keyboard["_id"], "quantity": 3})
        orders = await broker.call("order.find", {"populate": ["productId"], "fields": ["quantity", "productId"]})
        print([(o["quantity"], o["productId"]["name"], o["productId"]["stock"]) for o in orders])


asyncio.run(main())
