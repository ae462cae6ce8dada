"""Remote request/response throughput over the NATS server on 127.0.0.1:4222 (``docs/transit.md``).

``python bench/transit_bench.py [--quick]`` measures, in one run, calls of ``bench.echo`` (returns its params,
``{"a": 1, "b": "two"}``) from one broker to another over NATS: Python → Python (two brokers in this process),
Node.js → Node.js (two brokers in one Node.js process, Moleculer 0.14 from ``~/.cache/dbmixin-interop/v14``),
Node.js → Python, and MoleculerPy → MoleculerPy (the other Python port: two of its brokers in one Python 3.12
process, run by ``transit_bench_moleculerpy.py`` in a venv this script makes once in ``~/.cache/dbmixin-moleculerpy``
with ``pip install moleculerpy nats-py``); each sequentially (one call awaited after the other) and with 100 in
flight (batches of 100 concurrent calls). Then the issue's targets as ratios: Python → Python at least 0.5x
Node.js sequentially and 0.25x with 100 in flight, and ahead of MoleculerPy in both modes.

Python 3.12 is ``--python312``, else ``python3.12`` on the PATH, else pyenv's newest 3.12; without one the
MoleculerPy row is left out (and the output says so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from echo_timing import measure  # this folder (sys.path[0] when run as a script)

from broker import ServiceBroker

NATS_URL = "nats://127.0.0.1:4222"
HERE = Path(__file__).resolve().parent
MOLECULER = Path.home() / ".cache" / "dbmixin-interop" / "v14"
MOLECULERPY_VENV = Path.home() / ".cache" / "dbmixin-moleculerpy"
PARAMS = {"a": 1, "b": "two"}


async def echo(self: Any, ctx: Any) -> Any:
    return ctx.params


def server_broker(namespace: str) -> ServiceBroker:
    broker = ServiceBroker(node_id="bench-py-server", namespace=namespace, transporter=NATS_URL, logger=False)
    broker.create_service({"name": "bench", "actions": {"echo": echo}})
    return broker


async def python_to_python(seq_n: int, par_n: int) -> dict[str, float]:
    namespace = f"b{uuid.uuid4().hex[:6]}"
    server = server_broker(namespace)
    caller = ServiceBroker(node_id="bench-py-caller", namespace=namespace, transporter=NATS_URL, logger=False)
    async with server, caller:
        await caller.wait_for_services("bench", timeout=10000)
        return await measure(lambda: caller.call("bench.echo", PARAMS), seq_n, par_n)


async def json_line(*args: str) -> dict[str, float]:
    """Run a bench process; its last output line is the JSON of its figures."""
    proc = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({proc.returncode})")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def node_caller(mode: str, seq_n: int, par_n: int) -> dict[str, float]:
    namespace = f"b{uuid.uuid4().hex[:6]}"
    server = server_broker(namespace) if mode == "js-py" else None
    if server is not None:
        await server.start()
    try:
        script = str(HERE / "transit_bench.js")
        return await json_line("node", script, str(MOLECULER), NATS_URL, namespace, mode, str(seq_n), str(par_n))
    finally:
        if server is not None:
            await server.stop()


def find_python312(option: str | None) -> str | None:
    """The Python 3.12 interpreter MoleculerPy needs, or ``None``."""
    if option:
        return option
    found = shutil.which("python3.12")
    if found:
        return found
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob("3.12*/bin/python3.12"))
    return str(candidates[-1]) if candidates else None


def moleculerpy_python(python312: str) -> Path:
    """The venv's interpreter, with ``moleculerpy`` and ``nats-py`` installed (done once, then reused)."""
    python = MOLECULERPY_VENV / "bin" / "python"
    probe = [str(python), "-c", "import moleculerpy, nats"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([python312, "-m", "venv", str(MOLECULERPY_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "moleculerpy", "nats-py"], check=True)
    return python


async def moleculerpy_pair(python: Path, seq_n: int, par_n: int) -> dict[str, float]:
    namespace = f"b{uuid.uuid4().hex[:6]}"
    script = str(HERE / "transit_bench_moleculerpy.py")
    return await json_line(str(python), script, NATS_URL, namespace, str(seq_n), str(par_n))


def verdict(results: dict[str, dict[str, float]]) -> list[str]:
    """The issue's targets, as measured ratios."""
    py, js = results["Python -> Python"], results["Node.js -> Node.js"]
    mpy = results.get("MoleculerPy -> MoleculerPy")
    lines = []
    for mode, target in (("sequential", 0.5), ("inflight", 0.25)):
        ratio = py[mode] / js[mode]
        met = "met" if ratio >= target else "MISSED"
        lines.append(f"{mode}: Python/Node.js {ratio:.2f}x (target {target}x): {met}")
        if mpy is not None:
            ahead = py[mode] / mpy[mode]
            lines.append(f"{mode}: Python/MoleculerPy {ahead:.2f}x (target > 1x): {'met' if ahead > 1 else 'MISSED'}")
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--python312", help="the Python 3.12 interpreter for MoleculerPy")
    parser.add_argument("--no-moleculerpy", action="store_true", help="leave MoleculerPy out")
    args = parser.parse_args()
    seq_n, par_n = (200, 1000) if args.quick else (5000, 50000)
    results = {
        "Python -> Python": await python_to_python(seq_n, par_n),
        "Node.js -> Node.js": await node_caller("js-js", seq_n, par_n),
        "Node.js -> Python": await node_caller("js-py", seq_n, par_n),
    }
    python312 = None if args.no_moleculerpy else find_python312(args.python312)
    if python312 is not None:
        results["MoleculerPy -> MoleculerPy"] = await moleculerpy_pair(moleculerpy_python(python312), seq_n, par_n)
    elif not args.no_moleculerpy:
        print("MoleculerPy left out: no Python 3.12 found (--python312)")
    print(f"| pair | sequential calls/s | 100 in flight calls/s |  ({seq_n} and {par_n} calls)")
    print("|---|---:|---:|")
    for name, figures in results.items():
        print(f"| {name} | {figures['sequential']:,.0f} | {figures['inflight']:,.0f} |")
    for line in verdict(results):
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
