"""The real fastest-validator 1.19 in one long-lived Node.js process, for the differential tests.

``oracle()`` installs ``fastest-validator`` (the version pinned in ``tests/fv_node/package.json``) with npm into
``~/.cache/dbmixin-fv`` when it is missing, starts ``tests/fv_node/runner.js`` once and returns an ``Oracle``
whose ``run(cases)`` sends ``{"schema", "params"}`` JSON lines and reads one answer per case. Where Node or npm
is missing the caller skips, except under ``CI=true`` where it must fail (``Unavailable`` says why).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent.parent / "fv_node"
CACHE = Path.home() / ".cache" / "dbmixin-fv"
CHUNK = 200


class Unavailable(RuntimeError):
    """Node.js, npm or the fastest-validator package could not be made to work."""


def _wanted_version() -> str:
    return json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["fastest-validator"]


def ensure_installed() -> Path:
    """The cache folder with the pinned fastest-validator installed in it (installs on first use)."""
    installed = CACHE / "node_modules" / "fastest-validator" / "package.json"
    wanted = _wanted_version()
    if installed.exists() and json.loads(installed.read_text()).get("version") == wanted:
        return CACHE
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise Unavailable("node and npm are needed to run fastest-validator")
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copy(NODE_DIR / "package.json", CACHE / "package.json")
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"],
            cwd=CACHE, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise Unavailable(f"npm install fastest-validator@{wanted} failed: {exc} {detail.decode()[-500:]}") from None
    if not installed.exists():
        raise Unavailable("npm install did not produce node_modules/fastest-validator")
    return CACHE


class Oracle:
    """One ``node runner.js`` process; ``run`` is not thread-safe (one test at a time)."""

    def __init__(self) -> None:
        folder = ensure_installed()
        try:
            self.process = subprocess.Popen(
                ["node", str(NODE_DIR / "runner.js"), str(folder)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
            )  # fmt: skip
        except OSError as exc:
            raise Unavailable(f"cannot start node: {exc}") from None

    def run(self, cases: list[tuple[Any, Any]], messages: bool = False) -> list[dict[str, Any]]:
        """FV's answer for each ``(schema, params)``: ``{"compile"}``, ``{"ok", "value"}``, ``{"ok", "errors"}``
        (with ``messages``, each error is ``[type, field, message]``)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        answers: list[dict[str, Any]] = []
        for start in range(0, len(cases), CHUNK):
            chunk = cases[start : start + CHUNK]
            for schema, params in chunk:
                line = {"schema": schema, "params": params, "messages": messages}
                self.process.stdin.write(json.dumps(line) + "\n")
            self.process.stdin.flush()
            for _ in chunk:
                line = self.process.stdout.readline()
                if not line:
                    raise Unavailable("the node runner died")
                answers.append(json.loads(line))
        return answers

    def close(self) -> None:
        """Stop the node process."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
