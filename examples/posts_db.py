"""A full CRUD service in ten lines: the README's DbMixin example."""

import asyncio

from adapters import MemoryAdapter
from broker import ServiceBroker
from dbmixin import DbMixin


async def main():
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "posts", "mixins": [DbMixin], "adapter": MemoryAdapter(),
                           "settings": {"fields": ["_id", "title", "votes"]}})
    async with broker:
        post = await broker.call("posts.create", {"title": "Hello", "votes": 3, "secret": "x"})
        await broker.call("posts.update", {"id": post["_id"], "votes": 4})
        page = await broker.call("posts.list", {"sort": "-votes", "pageSize": 5})
        print(page["total"], page["rows"][0]["title"], page["rows"][0]["votes"], "secret" in page["rows"][0])


asyncio.run(main())
