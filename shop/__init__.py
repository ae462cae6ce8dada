"""The shop: the course's e-commerce backend (user, product, order, email, notification services behind the API
gateway), built on this toolkit. Run it with ``python -m shop``; build it in code with ``shop.build(config)``."""

from .app import Shop, build
from .config import ALL_SERVICES, ConfigError, ShopConfig
from .storage import Storage

__all__ = ["ALL_SERVICES", "ConfigError", "Shop", "ShopConfig", "Storage", "build"]
