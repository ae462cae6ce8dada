"""``python -m shop`` (console script ``shop``): run the shop until Ctrl-C or SIGTERM.

Reads the environment (``shop.config``), starts the broker with the configured services on the configured database
(tables created, admin and products seeded on first run), joins the cluster when a ``TRANSPORTER`` is set, prints
the API and docs URLs (only a node running ``api`` listens on HTTP), and stops gracefully on SIGINT/SIGTERM (the
gateway lets in-flight requests finish, the node leaves the cluster), also while it is still starting (waiting for
an unreachable transporter). A configuration error (a bad variable, a storage whose driver is not installed) prints
one line and exits 2; a start that fails (a database that cannot be reached, a port in use) one line and exits 1.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from broker.errors import MoleculerError

from .app import Shop, build
from .config import ConfigError, ShopConfig, redact

__all__ = ["main", "run"]

STORED = {"user", "product", "order"}
"""The services with a database: a node without them opens none (its ``Database:`` line is left out)."""


def _say(text: str) -> None:
    print(text, flush=True)


async def _started(shop: Shop, stop: asyncio.Event) -> bool:
    """Start ``shop`` unless ``stop`` is set first (a transporter that cannot be reached keeps the start waiting, and
    Ctrl-C must still stop it): ``True`` once started, ``False`` after stopping what had started."""
    starting = asyncio.ensure_future(shop.start())
    signalled = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, signalled}, return_when=asyncio.FIRST_COMPLETED)
    signalled.cancel()
    if starting.done() and starting.exception() is None:
        return True
    while not starting.done():  # again and again: a client may swallow one cancellation (asyncio.wait_for's race)
        starting.cancel()
        await asyncio.wait({starting}, timeout=0.5)
    failure = None if starting.cancelled() else starting.exception()
    try:
        await shop.stop()
    except Exception as err:  # what had started may not stop cleanly: say so, exit anyway
        _say(f"WARNING: stopping a half-started shop: {err!r}")
    if failure is not None:
        raise failure
    return False


async def run(config: ShopConfig) -> None:
    """Start the shop, print where it listens, wait for a stop signal, stop."""
    shop = build(config)
    for warning in [*config.warnings, *shop.storage.warnings]:
        _say(f"WARNING: {warning}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    if config.transporter:
        _say(f"Joining namespace {config.namespace!r} over {redact(config.transporter)}...")
    if not await _started(shop, stop):
        _say("Stopped before the start completed.")
        return
    try:
        if STORED & set(config.services):
            _say(f"Database: {shop.storage.describe()}")
        _say(f"Services: {', '.join(config.services)}")
        if config.transporter:
            _say(f"Node: {shop.broker.node_id} in namespace {config.namespace!r} over {redact(config.transporter)}")
        if shop.seeded.admin_created:
            _say(f"Admin created: {config.admin_email}")
            if shop.seeded.generated_password:
                _say(f"Admin password (shown once, set SHOP_ADMIN_PASSWORD to choose it): "
                     f"{shop.seeded.generated_password}")  # fmt: skip
        if shop.seeded.products:
            _say(f"Seeded {shop.seeded.products} products")
        if shop.url:
            _say(f"Shop API: {shop.url}/api")
            _say(f"API docs: {shop.url}/docs")
        _say("Press Ctrl-C to stop.")
        await stop.wait()
        _say("Stopping...")
    finally:
        await shop.stop()
    _say("Stopped.")


def main() -> int:
    """The console script: exit 0 after a graceful stop, 2 on a configuration error, 1 when the start fails (one
    line on stderr, no traceback)."""
    try:
        asyncio.run(run(ShopConfig.from_env()))
    except ConfigError as err:
        print(f"shop: configuration error: {err}", file=sys.stderr)
        return 2
    except (MoleculerError, OSError) as err:  # a database or transporter that cannot be reached, a port in use...
        print(f"shop: could not start: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
