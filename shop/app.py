"""Assemble the shop: one broker (a node of the namespace's cluster with a transporter), the services named by the
configuration, one storage, one token issuer.

``build(config)`` returns a ``Shop`` whose ``broker`` is ready to start; ``await shop.start()`` starts it and seeds
the first run (``shop.seed``); ``await shop.stop()`` stops the broker and closes the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from broker import ServiceBroker

from . import api, email, notification, order, product, user
from .auth import Passwords, Tokens
from .config import ShopConfig
from .seed import SeedReport, seed
from .storage import Storage

__all__ = ["Shop", "build"]


@dataclass
class Shop:
    """A built shop: its broker, storage, configuration, and what the first start seeded."""

    broker: ServiceBroker
    storage: Storage
    config: ShopConfig
    seeded: SeedReport = field(default_factory=SeedReport)

    @property
    def url(self) -> str | None:
        """The API's base URL once started (``None`` without the ``api`` service)."""
        service: Any = self.broker.get_local_service("api")
        server = getattr(service, "server", None) if service is not None else None
        return server.url if server is not None else None

    async def start(self) -> None:
        """Start the broker (tables are created as the adapters connect), then seed the first run."""
        await self.broker.start()
        self.seeded = await seed(self.broker, self.config)

    async def stop(self) -> None:
        """Stop the broker (the gateway lets in-flight requests finish), then release the database."""
        try:
            await self.broker.stop()
        finally:
            await self.storage.close()


def build(config: ShopConfig, *, storage: Storage | None = None, logger: Any = True, server: bool = True) -> Shop:
    """A shop for ``config`` (``storage`` defaults to ``Storage(config.storage_url)``), its broker on the configured
    namespace, node id, transporter and cacher. Raises ``ConfigError`` when the storage's driver is missing."""
    storage = storage or Storage(config.storage_url)
    tokens = Tokens(config.jwt_secret, config.jwt_expires_in)
    passwords = Passwords(config.bcrypt_rounds)
    broker = ServiceBroker(namespace=config.namespace, node_id=config.node_id, transporter=config.transporter,
                           cacher=config.cacher, logger=logger, log_level="info")  # fmt: skip
    factories = {
        "user": lambda: user.schema(storage, tokens, passwords),
        "product": lambda: product.schema(storage),
        "order": lambda: order.schema(storage),
        "email": email.schema,
        "notification": notification.schema,
        "api": lambda: api.schema(tokens, config.host, config.port, server, config.login_limit, config.trust_proxy),
    }
    for name in config.services:
        broker.create_service(factories[name]())
    logging.getLogger("shop").debug("services: %s", ", ".join(config.services))
    return Shop(broker, storage, config)
