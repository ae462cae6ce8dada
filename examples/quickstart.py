"""Two services, one calling the other: the README's first example."""

import asyncio

from broker import ServiceBroker


async def hello(self, ctx):
    return f"Hello {ctx.params['name']}"


async def welcome(self, ctx):
    greeting = await ctx.call("greeter.hello", {"name": ctx.params["name"]})
    return f"{greeting}, welcome aboard!"


async def main():
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "greeter", "actions": {"hello": {"params": {"name": "string"}, "handler": hello}}})
    broker.create_service({"name": "onboarding", "dependencies": ["greeter"], "actions": {"welcome": welcome}})
    async with broker:
        print(await broker.call("onboarding.welcome", {"name": "Ada"}))


asyncio.run(main())
