"""The servers the suites use, in one place: their URLs, whether they answer, and the rule for when they do not.

URLs come from ``DBMIXIN_PG_URL`` / ``DBMIXIN_MYSQL_URL`` (defaults: the CI machine's ``postgres@127.0.0.1:5432/test``
and ``root@127.0.0.1:3306/test``); NATS and Redis listen on their standard loopback ports. A server that does not
answer skips its tests with the reason, except under ``CI=true`` where it fails them: CI never skips a server
silently.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from urllib.parse import urlsplit

import pytest

__all__ = ["CI", "MYSQL_URL", "NATS_URL", "PG_URL", "REDIS_URL", "reachable", "require"]

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("DBMIXIN_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("DBMIXIN_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/test")
NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379"


@cache
def reachable(url: str) -> bool:
    """Whether the server of ``url`` accepts TCP connections (checked once per run)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1.0):
            return True
    except OSError:
        return False


def require(url: str, name: str) -> None:
    """Skip the test when the server of ``url`` does not answer; fail it instead under ``CI=true``."""
    if reachable(url):
        return
    message = f"{name} is not reachable at {urlsplit(url).netloc.rpartition('@')[2]}"
    if CI:
        pytest.fail(f"{message} (CI=true: a server may not be skipped)")
    pytest.skip(message)
