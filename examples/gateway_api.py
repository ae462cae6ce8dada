"""The README's gateway example: DbMixin posts served over HTTP, called with httpx."""

import asyncio

import httpx

from adapters import MemoryAdapter
from broker import ServiceBroker
from dbmixin import DbMixin
from gateway import ApiGateway


async def main():
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "posts", "mixins": [DbMixin], "adapter": MemoryAdapter()})
    api = broker.create_service({"name": "api", "mixins": [ApiGateway], "settings": {
        "port": 0, "host": "127.0.0.1",  # 0: any free port
        "routes": [{"path": "/api", "whitelist": ["posts.*"], "auto_aliases": True}]}})
    async with broker, httpx.AsyncClient(base_url=api.server.url) as http:
        post = (await http.post("/api/posts", json={"title": "Hello"})).json()
        print((await http.get(f"/api/posts/{post['_id']}")).json()["title"])
        missing = await http.get("/api/posts/nope")
        print(missing.status_code, missing.json()["type"])
        print(sorted((await http.get("/openapi.json")).json()["paths"]))


asyncio.run(main())
