"""A fixed-window rate limiter with moleculer-web's options and headers.

Options: ``window`` (ms, default 60 000), ``limit`` (requests per window and key, default 30), ``headers`` (send
``X-Rate-Limit-Limit``/``-Remaining``/``-Reset``, default true) and ``key`` (a function of the Starlette request
returning the key, default the client address; ``None`` skips the limit). moleculer-web resets a ``MemoryStore``
with a timer; here the window is derived from the monotonic clock, so no timer runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import RateLimitExceededError

__all__ = ["RateLimiter"]


def _client_key(request: Any) -> str | None:
    client = request.client
    return client.host if client is not None else "unknown"


class RateLimiter:
    """Counts hits per key in the current window; ``hit`` raises ``RateLimitExceededError`` past the limit."""

    def __init__(self, opts: dict[str, Any]) -> None:
        self.window = float(opts.get("window", 60_000))
        self.limit = int(opts.get("limit", 30))
        self.headers = bool(opts.get("headers", True))
        self.key: Callable[[Any], str | None] = opts.get("key") or _client_key
        self._index = -1
        self._counts: dict[str, int] = {}

    def hit(self, request: Any, response_headers: dict[str, str]) -> None:
        """Count one request; add the headers; raise ``RateLimitExceededError`` when over the limit."""
        key = self.key(request)
        if key is None:
            return
        now_ms = time.monotonic() * 1000
        index = int(now_ms // self.window)
        if index != self._index:
            self._index, self._counts = index, {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        remaining = self.limit - count
        if self.headers:
            reset_in = (index + 1) * self.window - now_ms
            response_headers["X-Rate-Limit-Limit"] = str(self.limit)
            response_headers["X-Rate-Limit-Remaining"] = str(max(0, remaining))
            response_headers["X-Rate-Limit-Reset"] = str(int(time.time() * 1000 + reset_in))
        if remaining < 0:
            raise RateLimitExceededError({"limit": self.limit, "window": self.window})
