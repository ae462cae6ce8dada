"""A Python node and a real Node.js Moleculer node (0.14 and 0.15) on one NATS or Redis server call each other's
actions, exchange events, and the Node.js node sees the Python node leave (``test_interop_db`` checks the other
way).

Moleculer and the ``nats`` and ``ioredis`` clients are installed from npm into ``~/.cache/dbmixin-interop/v14``
and ``v15`` on first use. Skipped without the server, node or npm (a failure under ``CI=true``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from broker import ServiceBroker
from broker.context import Context
from broker.errors import MoleculerClientError
from tests.servers import NATS_URL, REDIS_URL, require

PEER = Path(__file__).resolve().parent / "interop" / "peer.js"
CACHE = Path.home() / ".cache" / "dbmixin-interop"
VERSIONS = {"4": ("v14", "moleculer@0.14"), "5": ("v15", "moleculer@0.15")}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def moleculer_dir(protocol: str) -> Path:
    """The folder with ``node_modules/moleculer`` for a protocol version, installed on first use."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm are needed for the interop tests")
    folder, package = VERSIONS[protocol]
    target = CACHE / folder
    installed = ("moleculer", "nats", "ioredis")
    if not all((target / "node_modules" / name / "package.json").exists() for name in installed):
        target.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--no-package-lock", "--silent",
             package, "nats@2", "ioredis@5"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if result.returncode != 0:
            _unavailable(f"npm install {package} failed: {result.stderr[-500:]}")
    return target


async def add(self: Any, ctx: Context) -> Any:
    ctx.meta["py"] = True
    return ctx.params["a"] + ctx.params["b"]


@pytest.mark.parametrize("protocol", ["4", "5"])
@pytest.mark.parametrize("url", [NATS_URL, REDIS_URL])
async def test_python_and_nodejs_nodes_call_each_other_and_exchange_events(protocol: str, url: str) -> None:
    if url == NATS_URL:
        require(NATS_URL, "NATS")
    else:
        require(REDIS_URL, "Redis")
    folder = moleculer_dir(protocol)
    namespace = f"i{uuid.uuid4().hex[:8]}"
    js_events: list[Any] = []

    async def on_js(self: Any, ctx: Context) -> None:
        js_events.append((ctx.params, ctx.event_type))

    broker = ServiceBroker(
        node_id="py-node", namespace=namespace, transporter=url, protocol_version=protocol, logger=False
    )
    broker.create_service(
        {
            "name": "py",
            "actions": {"add": {"params": {"a": "number", "b": "number"}, "handler": add}},
            "events": {"js.happened": on_js},
        }
    )
    await broker.start()
    proc = await asyncio.create_subprocess_exec(
        "node", str(PEER), str(folder), url, namespace,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await broker.wait_for_services("greeter", timeout=20000)
        meta: dict[str, Any] = {"from": "py"}
        assert await broker.call("greeter.hello", {"name": "Python"}, meta=meta) == "Hello Python"
        assert meta == {"from": "py", "answeredBy": "js"}
        with pytest.raises(MoleculerClientError) as info:
            await broker.call("greeter.fail")
        assert (info.value.code, info.value.type, info.value.data, info.value.node_id) == (
            400, "BAD_THING", {"x": 1}, "js-node"
        )  # fmt: skip
        await broker.emit("py.happened", {"from": "py"})
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        seen = json.loads(line)
        assert "fatal" not in seen, seen
        assert seen["add"] == 5
        assert seen["meta"] == {"m": 1, "py": True}
        assert seen["invalid"]["cls"] == "ValidationError" and seen["invalid"]["code"] == 422
        assert seen["invalid"]["field"] == "a"
        assert seen["notFound"] == {"cls": "ServiceNotFoundError", "code": 404}
        assert seen["pyEvents"] == [{"data": {"from": "py"}, "type": "emit"}]
        async with asyncio.timeout(10):
            while not js_events:
                await asyncio.sleep(0.02)
        assert js_events == [({"from": "js"}, "emit")]
        await broker.stop()  # the Node.js node sees the Python node leave gracefully
        assert proc.stdin is not None
        proc.stdin.write(b"stop\n")
        await proc.stdin.drain()
        left = json.loads(await asyncio.wait_for(proc.stdout.readline(), 10))
        assert left == [{"id": "py-node", "unexpected": False}]
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await broker.stop()
