"""First-run data: the admin user and a few products.

The admin is ``SHOP_ADMIN_EMAIL`` with ``SHOP_ADMIN_PASSWORD``; when the password is unset one is generated and
reported once (``SeedReport.generated_password``), only when the admin is created. Products are seeded when the
catalogue is empty on the run that creates the admin, so deleting every product later does not bring them back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from broker import ServiceBroker

from .config import ShopConfig

__all__ = ["PRODUCTS", "SeedReport", "seed"]

PRODUCTS: list[dict[str, Any]] = [
    {"name": "Mechanical Keyboard", "description": "RGB mechanical keyboard with Cherry MX switches",
     "price": 2999, "stock": 50, "category": "electronics"},
    {"name": "Wireless Mouse", "description": "Ergonomic wireless mouse", "price": 999, "stock": 100,
     "category": "electronics"},
    {"name": "USB-C Hub", "description": "7-in-1 USB-C hub", "price": 1499, "stock": 25, "category": "electronics"},
]  # fmt: skip


@dataclass
class SeedReport:
    """What a start seeded: whether the admin was created, its generated password, how many products."""

    admin_created: bool = False
    generated_password: str | None = None
    products: int = 0


async def seed(broker: ServiceBroker, config: ShopConfig) -> SeedReport:
    """Seed what the local services hold (a node without ``user`` seeds no admin)."""
    report = SeedReport()
    users: Any = broker.get_local_service("user")
    if users is None:
        return report
    password = config.admin_password
    generated = password is None
    if password is None:
        password = secrets.token_urlsafe(12)
    report.admin_created = await users.ensure_admin(config.admin_email, password)
    if report.admin_created and generated:
        report.generated_password = password
    products: Any = broker.get_local_service("product")
    if report.admin_created and products is not None and await products.adapter.count({}) == 0:
        for item in PRODUCTS:
            await broker.call("product.create", item)
        report.products = len(PRODUCTS)
    return report
