"""``python -m shop`` (console script ``shop``): run the shop until Ctrl-C or SIGTERM.

Reads the environment (``shop.config``), starts the broker with the configured services on the configured database
(tables created, admin and products seeded on first run), joins the cluster when a ``TRANSPORTER`` is set, prints
the API and docs URLs (only a node running ``api`` listens on HTTP), and stops gracefully on SIGINT/SIGTERM (the
gateway lets in-flight requests finish, the node leaves the cluster). A configuration error (a bad variable, a
storage whose driver is not installed) prints one line and exits 2.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from .app import build
from .config import ConfigError, ShopConfig, redact

__all__ = ["main", "run"]

STORED = {"user", "product", "order"}
"""The services with a database: a node without them opens none (its ``Database:`` line is left out)."""


def _say(text: str) -> None:
    print(text, flush=True)


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
    await shop.start()
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
    """The console script: exit 0 after a graceful stop, 2 on a configuration error."""
    try:
        asyncio.run(run(ShopConfig.from_env()))
    except ConfigError as err:
        print(f"shop: configuration error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
