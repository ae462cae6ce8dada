"""A mixed cluster with data services: Node.js calls a Python ``DbMixin`` service (create, get with a populate
from a Node.js ``moleculer-db`` service, list, a validation error, a 404), and Python calls the Node.js
``moleculer-db`` service. Both Moleculer versions, over NATS and Redis; installed like ``test_interop``."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from broker import ServiceBroker
from dbmixin import DbMixin
from tests.servers import NATS_URL, require

from .test_interop import REDIS_URL, moleculer_dir

PEER = Path(__file__).resolve().parent / "interop" / "peer_db.js"


@pytest.mark.parametrize("protocol", ["4", "5"])
@pytest.mark.parametrize("url", [NATS_URL, REDIS_URL])
async def test_nodejs_and_python_data_services_use_each_other(protocol: str, url: str) -> None:
    require(url, "NATS" if url == NATS_URL else "Redis")
    folder = moleculer_dir(protocol)
    if not (folder / "node_modules" / "moleculer-db" / "package.json").exists():
        proc = await asyncio.create_subprocess_exec(
            "npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--no-package-lock", "--silent",
            "--legacy-peer-deps", "moleculer-db@0.8",
        )  # fmt: skip
        if await proc.wait() != 0:
            pytest.fail("npm install moleculer-db failed")
    namespace = f"d{uuid.uuid4().hex[:8]}"
    broker = ServiceBroker(
        node_id="py-db", namespace=namespace, transporter=url, protocol_version=protocol, logger=False
    )
    broker.create_service(
        {
            "name": "posts",
            "mixins": [DbMixin],
            "settings": {"entityValidator": {"title": "string"}, "populates": {"author": "authors.get"}},
        }
    )
    await broker.start()
    node = await asyncio.create_subprocess_exec(
        "node", str(PEER), str(folder), url, namespace, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        await broker.wait_for_services("authors", timeout=20000)
        authors: Any = await broker.call("authors.list", {"sort": "name"})
        assert [a["name"] for a in authors["rows"]] == ["Ada", "Grace"] and authors["total"] == 2
        assert (await broker.call("authors.get", {"id": "a2"}))["name"] == "Grace"
        assert node.stdout is not None and node.stdin is not None
        node.stdin.write(b"go\n")
        await node.stdin.drain()
        seen = json.loads(await asyncio.wait_for(node.stdout.readline(), 30))
        assert "fatal" not in seen, seen
        assert seen["created"]["title"] == "From Node" and seen["created"]["author"] == "a1"
        assert seen["got"]["author"] == {"_id": "a1", "name": "Ada"}  # populated by Python from Node.js
        assert seen["list"]["total"] == 1 and seen["list"]["rows"][0]["_id"] == seen["created"]["_id"]
        invalid = seen["invalid"]
        assert (invalid["cls"], invalid["code"]) == ("ValidationError", 422)
        assert invalid["data"][0]["field"] == "title"
        missing = seen["missing"]
        assert (missing["name"], missing["code"], missing["data"]) == (
            "EntityNotFoundError", 404, {"id": "does-not-exist"}
        )  # fmt: skip
        node.stdin.write(b"stop\n")
        await node.stdin.drain()
        async with asyncio.timeout(10):
            while broker.registry.has_service("authors"):
                await asyncio.sleep(0.02)
        assert await asyncio.wait_for(node.wait(), 10) == 0
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()
        await broker.stop()
