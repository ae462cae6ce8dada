"""HTTP throughput of the API gateway against Node.js moleculer-web and a bare Starlette route, in one run.

Three servers answer the same two requests on loopback, each in its own process:

- ``python``: ``gateway.ApiGateway`` over a ``DbMixin`` posts service (``MemoryAdapter``, ``cacher="Memory"``),
  uvicorn with uvloop and httptools, request logging off;
- ``node``: moleculer-web 0.10 over moleculer-db 0.8 (its NeDB memory adapter) with Moleculer's memory cacher;
- ``starlette``: a bare Starlette app on the same uvicorn set-up returning the same JSON (serialised per request).

``GET /api/posts/:id`` (a cached ``posts.get``) and ``GET /api/posts?page=2`` (a cached ``posts.list``) are loaded
with ``wrk -t1 -c50`` from a separate process (an asyncio keep-alive client in another process when ``wrk`` is
missing); sides take turns scenario by scenario, and the median of the rounds is reported.

    python bench/http_bench.py               # 3 rounds of 5 s per scenario and side
    python bench/http_bench.py --quick       # 1 round of 1 s
    python bench/http_bench.py --no-node     # Python gateway and bare Starlette only
    python bench/http_bench.py --asgi        # also both Python apps in-process (no socket): their own cost

The Node side needs ``node`` and ``npm``: ``moleculer``, ``moleculer-db`` and ``moleculer-web`` are installed once
into ``~/.cache/dbmixin-bench/http`` (``$DBMIXIN_BENCH_CACHE`` overrides the base folder) and reused.
Targets (issue 10): the cached get above 11,000 requests/s, at least 0.5x Node.js moleculer-web, and at least 0.5x
the bare Starlette route (at most twice its cost per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIOS = {"get": "/api/posts/{id}", "list": "/api/posts?page=2"}
SIDES = ("python", "node", "starlette")
ENTITIES = 100
TARGET_RPS = 11_000.0
NODE_PACKAGES = {"moleculer": "0.14", "moleculer-db": "0.8", "moleculer-web": "0.10"}

NODE_SERVER = r"""
const { ServiceBroker } = require("moleculer");
const ApiService = require("moleculer-web");
const DbService = require("moleculer-db");
const [port, entities] = [Number(process.argv[2]), Number(process.argv[3])];
const broker = new ServiceBroker({ logger: false, cacher: "Memory" });
broker.createService({ name: "posts", mixins: [DbService], settings: { fields: ["_id", "title", "votes"] } });
broker.createService({
  name: "api", mixins: [ApiService],
  settings: { port, ip: "127.0.0.1", logRequest: null, logResponse: null,
              routes: [{ path: "/api", whitelist: ["posts.*"], autoAliases: true, mappingPolicy: "restrict" }] },
});
broker.start().then(async () => {
  let first = null;
  for (let i = 0; i < entities; i++) {
    const post = await broker.call("posts.create", { title: `Post ${i}`, votes: i });
    if (first === null) first = post._id;
  }
  process.stdout.write(JSON.stringify({ id: first, node: process.version,
    web: require("moleculer-web/package.json").version, db: require("moleculer-db/package.json").version }) + "\n");
});
"""


# -- servers (each runs in its own process: ``http_bench.py --serve SIDE --port N``) ----------------------------


async def _seeded_broker(serve_gateway: bool, port: int, listen: bool = True) -> tuple[Any, Any]:
    from adapters import MemoryAdapter
    from broker import ServiceBroker
    from dbmixin import DbMixin
    from gateway import ApiGateway

    broker = ServiceBroker(logger=False, cacher="Memory")
    broker.create_service({"name": "posts", "mixins": [DbMixin], "adapter": MemoryAdapter(),
                           "settings": {"fields": ["_id", "title", "votes"]}})
    if serve_gateway:
        broker.create_service({"name": "api", "mixins": [ApiGateway], "settings": {
            "port": port, "host": "127.0.0.1", "logging": False, "openapi": False, "server": listen,
            "routes": [{"path": "/api", "whitelist": ["posts.*"], "auto_aliases": True,
                        "mapping_policy": "restrict"}],
        }})
    await broker.start()
    first = None
    for i in range(ENTITIES):
        post = await broker.call("posts.create", {"title": f"Post {i}", "votes": i})
        first = first or post["_id"]
    return broker, first


async def _serve_python(port: int) -> None:
    _broker, first = await _seeded_broker(True, port)
    print(json.dumps({"id": first}), flush=True)
    await asyncio.Event().wait()


async def _bare_app(broker: Any, first: Any) -> Any:
    """A bare Starlette app answering both requests with the JSON the services give (serialised per request)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    one = await broker.call("posts.get", {"id": first})
    page = await broker.call("posts.list", {"page": 2})

    async def get(request: Any) -> JSONResponse:
        return JSONResponse(one)

    async def listing(request: Any) -> JSONResponse:
        return JSONResponse(page)

    return Starlette(routes=[Route("/api/posts/{id}", get), Route("/api/posts", listing)])


async def _serve_starlette(port: int) -> None:
    from gateway import GatewayServer

    broker, first = await _seeded_broker(False, port)
    app = await _bare_app(broker, first)
    await GatewayServer(app, "127.0.0.1", port).start()  # the gateway's own uvicorn set-up: same server, fair
    print(json.dumps({"id": first}), flush=True)
    await asyncio.Event().wait()


async def asgi_rates(calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """In-process ASGI calls/s of the gateway app and the bare Starlette app, no socket: the apps' own cost."""
    broker, first = await _seeded_broker(True, 0, listen=False)
    apps = {"python": broker.get_local_service("api").gateway, "starlette": await _bare_app(broker, first)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    rates: dict[str, dict[str, list[float]]] = {s: {side: [] for side in apps} for s in SCENARIOS}
    for _ in range(rounds):
        for scenario, template in SCENARIOS.items():
            path, _, query = template.format(id=first).partition("?")
            for side, app in apps.items():
                started = time.perf_counter()
                for _ in range(calls):
                    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(),
                             "headers": [(b"host", b"bench")], "http_version": "1.1", "scheme": "http",
                             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": ""}
                    await app(scope, receive, send)
                rates[scenario][side].append(calls / (time.perf_counter() - started))
    await broker.stop()
    return rates


def _run_server(side: str, port: int) -> None:
    main = _serve_python(port) if side == "python" else _serve_starlette(port)
    try:
        import uvloop

        uvloop.run(main)
    except ImportError:
        asyncio.run(main)


# -- load: wrk, or an asyncio keep-alive client in another process ------------------------------------------------


async def _client_load(url: str, seconds: float, connections: int) -> float:
    found = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert found is not None
    host, port, path = found.group(1), int(found.group(2)), found.group(3)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    deadline = time.perf_counter() + seconds
    counts = [0] * connections

    async def worker(index: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head[:40].decode())
            counts[index] += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    return sum(counts) / (time.perf_counter() - started)


def load(url: str, seconds: float, connections: int = 50) -> float:
    """Requests/s that one load process gets from ``url`` over ``seconds`` with ``connections`` connections."""
    wrk = shutil.which("wrk")
    if wrk is not None:
        out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
                             capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
        if "Non-2xx" in out:
            raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if found is None:
            raise RuntimeError(f"cannot read wrk's output:\n{out}")
        return float(found.group(1))
    out = subprocess.run([sys.executable, __file__, "--load", url, "--seconds", str(seconds),
                          "--connections", str(connections)], capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    return float(out.strip())


# -- orchestration ----------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where the Node packages are installed once (``$DBMIXIN_BENCH_CACHE`` or ``~/.cache/dbmixin-bench``)."""
    env = os.environ.get("DBMIXIN_BENCH_CACHE")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dbmixin-bench"
    return base / "http"


def ensure_node_side() -> Path:
    """Install moleculer, moleculer-db and moleculer-web once; write the server script; return its path."""
    folder = cache_dir()
    modules = folder / "node_modules"
    if not all((modules / name / "package.json").exists() for name in NODE_PACKAGES):
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise RuntimeError("node and npm are needed for the Node.js side (or run with --no-node)")
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {"name": "dbmixin-http-bench", "private": True, "version": "0.0.0",
                    "dependencies": {name: f"~{version}" for name, version in NODE_PACKAGES.items()}}
        (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"installing {', '.join(NODE_PACKAGES)} into {folder} ...", file=sys.stderr)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
    script = folder / "server.js"
    script.write_text(NODE_SERVER)
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One server process; ``info`` is the JSON line it printed when ready (``id`` of the first post)."""

    def __init__(self, side: str, node_script: Path | None = None) -> None:
        self.side = side
        self.port = free_port()
        if side == "node":
            assert node_script is not None
            cmd = ["node", str(node_script), str(self.port), str(ENTITIES)]
        else:
            cmd = [sys.executable, __file__, "--serve", side, "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        try:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the {side} server did not start")
            self.info: dict[str, Any] = json.loads(line)
            self._wait_routes()
        except BaseException:
            self.close()
            raise

    def _wait_routes(self, timeout: float = 15.0) -> None:
        """moleculer-web builds its auto aliases a moment after the services changed (debounced): poll until then."""
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url("get"), timeout=5):
                    return
            except urllib.error.HTTPError as err:
                if err.code != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def url(self, scenario: str) -> str:
        return f"http://127.0.0.1:{self.port}" + SCENARIOS[scenario].format(id=self.info["id"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def check_answers(servers: dict[str, Server]) -> None:
    """Every side answers both requests with 200 and the same shape (so the figures compare like with like)."""
    import urllib.request

    shapes: dict[str, Any] = {}
    for side, server in servers.items():
        for scenario in SCENARIOS:
            try:
                with urllib.request.urlopen(server.url(scenario), timeout=10) as answer:
                    body = json.loads(answer.read())
            except OSError as err:
                raise RuntimeError(f"the {side} server fails {server.url(scenario)}: {err}") from None
            shape = sorted(body) if isinstance(body, dict) else type(body).__name__
            if scenario == "list":
                shape = (shape, len(body["rows"]), body["page"], body["total"])
            previous = shapes.setdefault(scenario, shape)
            if previous != shape:
                raise RuntimeError(f"{side} answers {scenario} with {shape}, another side with {previous}")


def run(sides: Sequence[str], rounds: int, seconds: float) -> dict[str, dict[str, list[float]]]:
    """``{scenario: {side: [requests/s per round]}}``."""
    node_script = ensure_node_side() if "node" in sides else None
    servers: dict[str, Server] = {}
    try:
        for side in sides:
            servers[side] = Server(side, node_script)
        check_answers(servers)
        rates: dict[str, dict[str, list[float]]] = {s: {side: [] for side in sides} for s in SCENARIOS}
        for url in (server.url(s) for server in servers.values() for s in SCENARIOS):
            load(url, 1.0)  # warm-up: caches filled, JIT and allocators settled
        for _ in range(rounds):
            for scenario in SCENARIOS:
                for side, server in servers.items():
                    rates[scenario][side].append(load(server.url(scenario), seconds))
        versions = {side: server.info for side, server in servers.items()}
        print(f"servers: {json.dumps(versions)}", file=sys.stderr)
        return rates
    finally:
        for server in servers.values():
            server.close()


def format_table(rates: dict[str, dict[str, list[float]]]) -> list[str]:
    """A markdown table of medians with the three ratios and whether each target is met."""
    lines = ["| request | python gateway req/s | node moleculer-web req/s | bare starlette req/s | gateway / node "
             "| gateway / starlette | targets met? |", "|---|---:|---:|---:|---:|---:|---|"]
    for scenario, per_side in rates.items():
        med = {side: statistics.median(values) for side, values in per_side.items() if values}
        py, node, bare = med.get("python"), med.get("node"), med.get("starlette")
        checks = []
        if py is not None and scenario == "get":
            checks.append(py >= TARGET_RPS)
        if py is not None and node:
            checks.append(py / node >= 0.5)
        if py is not None and bare:
            checks.append(py / bare >= 0.5)
        cells = [f"{v:,.0f}" if v is not None else "-" for v in (py, node, bare)]
        ratios = [f"{py / other:.2f}x" if py is not None and other else "-" for other in (node, bare)]
        path = SCENARIOS[scenario].replace("{id}", ":id")
        lines.append(f"| GET {path} | {' | '.join(cells)} | {' | '.join(ratios)} | "
                     f"{'yes' if all(checks) else 'NO'} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s per scenario and side")
    parser.add_argument("--no-node", action="store_true", help="Python gateway and bare Starlette only")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (median reported; default 3)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of load per measure (default 5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--asgi", action="store_true",
                        help="also time the two Python apps in-process (no socket, no uvicorn): their own cost")
    parser.add_argument("--serve", choices=["python", "starlette"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=50, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _run_server(args.serve, args.port)
        return 0
    if args.load:
        print(asyncio.run(_client_load(args.load, args.seconds or 5.0, args.connections)))
        return 0
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (1.0 if args.quick else 5.0)
    sides = [s for s in SIDES if not (args.no_node and s == "node")]
    tool = "wrk -t1 -c50" if shutil.which("wrk") else "asyncio client, 50 connections (wrk not found)"
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load: {tool}, {rounds} round(s) of "
          f"{seconds:g} s, load average {os.getloadavg()[0]:.2f}")
    table = format_table(run(sides, rounds, seconds))
    print("\n".join(table))
    if args.asgi:
        rates = asyncio.run(asgi_rates(2_000 if args.quick else 20_000, rounds))
        print("\nIn-process ASGI calls/s (no socket, no uvicorn): the apps' own cost")
        print("\n".join(format_table(rates)))
    return 1 if args.strict and any(line.endswith("| NO |") for line in table) else 0


if __name__ == "__main__":
    sys.exit(main())
