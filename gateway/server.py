"""Serving a ``GatewayApp`` with uvicorn inside the broker's event loop, and stopping it gracefully.

``start`` binds (``port: 0`` picks a free port; ``GatewayServer.port`` tells which) and returns once uvicorn
listens. ``stop`` stops accepting connections, lets in-flight requests finish for at most ``shutdown_timeout``
seconds, then closes. uvicorn's signal handlers are not installed: the application that runs the broker owns
SIGINT/SIGTERM (and stops the broker, which stops this server).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import Generator
from typing import Any

import uvicorn

from broker.errors import MoleculerServerError

__all__ = ["GatewayServer"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class GatewayServer:
    """A uvicorn server for one ASGI app: ``await start()``, ``port``, ``url``, ``await stop()``."""

    def __init__(self, app: Any, host: str, port: int, shutdown_timeout: float = 10.0, **uvicorn_options: Any):
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
        self.config = uvicorn.Config(
            app, host=host, port=port, http=http, lifespan="off", log_level="warning", access_log=False,
            timeout_graceful_shutdown=max(1, round(shutdown_timeout)), **uvicorn_options,
        )
        self.shutdown_timeout = shutdown_timeout
        self.server = _Server(self.config)
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host = self.config.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Start serving; raise ``MoleculerServerError`` when the socket cannot be bound."""
        self._task = asyncio.get_running_loop().create_task(self._serve())
        while not self.server.started:
            if self._task.done():
                exc = self._task.exception() if not self._task.cancelled() else None
                raise MoleculerServerError(
                    f"The API gateway could not listen on {self.config.host}:{self.config.port}.", 500,
                    "GATEWAY_LISTEN_FAILED", {"host": self.config.host, "port": self.config.port, "error": repr(exc)},
                )
            await asyncio.sleep(0.005)
        sockets = [sock for server in self.server.servers for sock in (server.sockets or [])]
        self.port = sockets[0].getsockname()[1] if sockets else self.config.port

    async def _serve(self) -> None:
        try:
            await self.server.serve()
        except SystemExit as exit:  # uvicorn exits the process when it cannot bind: a task must not
            raise OSError(f"uvicorn startup failed (exit code {exit.code})") from None

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish (bounded by ``shutdown_timeout``), close."""
        task = self._task
        if task is None:
            return
        self._task = None
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), self.shutdown_timeout + 5)
        except (TimeoutError, OSError):
            task.cancel()
