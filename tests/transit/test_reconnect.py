"""The transporter losing its server and coming back: reconnect, re-subscribe, re-announce.

Runs a private ``nats-server`` (started and stopped by the test, on a free loopback port), so the shared server is
never touched. Skipped without the ``nats-server`` binary.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from typing import Any

import pytest

from broker import ServiceBroker
from broker.cache_keys import MISSING
from broker.context import Context

from .conftest import stop_all


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.skip("nats-server is not installed")
    return subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


async def wait_port(port: int) -> None:
    async with asyncio.timeout(10):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)


async def ok(self: Any, ctx: Context) -> str:
    return "ok"


async def test_nodes_reconnect_and_reannounce_after_a_server_restart() -> None:
    port = free_port()
    server = start_server(port)
    brokers: list[ServiceBroker] = []
    try:
        await wait_port(port)
        url = f"nats://127.0.0.1:{port}"
        reconnects: list[Any] = []

        async def on_connected(self: Any, ctx: Context) -> None:
            reconnects.append(ctx.params["wasReconnect"])

        a = ServiceBroker(node_id="a", transporter=url, logger=False)
        a.create_service({"name": "svc", "actions": {"do": ok}})
        b = ServiceBroker(node_id="b", transporter=url, logger=False, cacher="Memory")
        b.create_service({"name": "watch", "events": {"$transporter.connected": on_connected}})
        brokers = [a, b]
        await a.start()
        await b.start()
        await b.wait_for_services("svc", timeout=5000)
        await b.cacher.set("svc.do:before", "ok")
        server.terminate()
        server.wait(10)
        server = start_server(port)
        await wait_port(port)
        async with asyncio.timeout(15):
            while True not in reconnects:
                await asyncio.sleep(0.05)
        assert await b.cacher.get("svc.do:before") is MISSING  # it may have missed cache.clean events meanwhile
        async with asyncio.timeout(15):
            while True:  # the subscriptions are back once a call gets through
                try:
                    assert await b.call("svc.do", timeout=500) == "ok"
                    break
                except Exception:
                    await asyncio.sleep(0.1)
        c = ServiceBroker(node_id="c", transporter=url, logger=False)  # a newcomer learns both nodes
        brokers.append(c)
        await c.start()
        await c.wait_for_services(["svc", "watch"], timeout=5000)
        assert await c.call("svc.do") == "ok"
    finally:
        await stop_all(brokers)
        server.terminate()
        server.wait(10)


async def test_redis_nodes_reconnect_after_a_server_restart() -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    brokers: list[ServiceBroker] = []
    try:
        await wait_port(port)
        url = f"redis://127.0.0.1:{port}"
        a = ServiceBroker(node_id="a", transporter=url, logger=False)
        a.create_service({"name": "svc", "actions": {"do": ok}})
        b = ServiceBroker(node_id="b", transporter=url, logger=False)
        brokers = [a, b]
        await a.start()
        await b.start()
        await b.wait_for_services("svc", timeout=5000)
        server.terminate()
        server.wait(10)
        server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await wait_port(port)
        async with asyncio.timeout(15):
            while True:
                try:
                    assert await b.call("svc.do", timeout=500) == "ok"
                    break
                except Exception:
                    await asyncio.sleep(0.1)
    finally:
        await stop_all(brokers)
        server.terminate()
        server.wait(10)
