"""Run ``python -m shop`` in a subprocess, as a user would, and talk to it over HTTP."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"email": "boss@shop.test", "password": "admin-password"}


def sql_available() -> bool:
    try:
        from adapters import SQLAdapter  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


READY = "Press Ctrl-C to stop."


class ShopProcess:
    """``python -m shop`` on a free loopback port (``PORT=0``), with ``env`` added to a clean environment.

    ``start()`` returns once the shop says it is ready; ``url`` is the API's base URL (empty on a node without
    ``api``, which does not listen on HTTP)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "HOST": "127.0.0.1",
            "PORT": "0",
            "SHOP_BCRYPT_ROUNDS": "4",
            "SHOP_LOGIN_LIMIT": "0",  # the suites log in often from one address; test_login_limit sets its own
            "JWT_SECRET": "test-secret-of-at-least-thirty-two-bytes!",
            "SHOP_ADMIN_EMAIL": ADMIN["email"],
            "SHOP_ADMIN_PASSWORD": ADMIN["password"],
            **env,
        }
        self.cwd = cwd
        self.lines: list[str] = []
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 30.0, until: str = READY) -> ShopProcess:
        """Run the command; return once a line starts with ``until`` (``RuntimeError`` if it exits first)."""
        self.proc = subprocess.Popen([sys.executable, "-m", "shop"], cwd=self.cwd, env=self.env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        self._thread = threading.Thread(target=pump, daemon=True)
        self._thread.start()
        self._queue = lines
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError("python -m shop exited:\n" + "".join(self.lines))
            self.lines.append(line)
            if line.startswith("Shop API: "):
                self.url = line.split("Shop API: ", 1)[1].strip().removesuffix("/api")
            if line.startswith(until):
                return self
        self.stop()
        raise RuntimeError("python -m shop did not start:\n" + "".join(self.lines))

    def output(self) -> str:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "".join(self.lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._thread.join(10)  # the pump reads the last lines, then the end of the pipe
        self.output()
        return code
