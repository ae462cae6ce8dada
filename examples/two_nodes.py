"""Two nodes over NATS: one serves `greeter`, the other calls it and hears its event (README "Running on several
machines"). Run a NATS server on 127.0.0.1:4222 first; in production each broker runs in its own process."""

import asyncio

from broker import ServiceBroker


async def hello(self, ctx):
    ctx.emit("greeted", {"name": ctx.params["name"]})
    return f"Hello {ctx.params['name']} from {self.broker.node_id}"


async def main():
    heard: asyncio.Queue = asyncio.Queue()

    async def greeted(self, ctx):
        await heard.put(f"{self.broker.node_id} heard that {ctx.params['name']} was greeted")

    server = ServiceBroker(node_id="node-1", transporter="nats://127.0.0.1:4222", namespace="demo", logger=False)
    server.create_service({"name": "greeter", "actions": {"hello": hello}})
    client = ServiceBroker(node_id="node-2", transporter="nats://127.0.0.1:4222", namespace="demo", logger=False)
    client.create_service({"name": "audit", "events": {"greeted": greeted}})
    async with server, client:
        await client.wait_for_services("greeter")
        await server.wait_for_services("audit")
        print(await client.call("greeter.hello", {"name": "Ada"}))
        print(await heard.get())


asyncio.run(main())
