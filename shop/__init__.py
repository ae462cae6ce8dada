"""The shop: the course's e-commerce backend (user, product, order, email, notification services behind the API
gateway), built on this toolkit. Run it with ``python -m shop``; build it in code with ``shop.build(config)``."""

import runpy
from pathlib import Path

# The toolkit's siblings must be its own: a project folder named ``models`` (a common name) would otherwise be
# imported instead of the shop's entity models (see broker/siblings.py, loaded by path).
runpy.run_path(str(Path(__file__).resolve().parent.parent / "broker" / "siblings.py"))["require_siblings"](
    __file__, "broker", "adapters", "dbmixin", "gateway", "models"
)

from .app import Shop, build
from .config import ALL_SERVICES, ConfigError, ShopConfig
from .storage import Storage

__all__ = ["ALL_SERVICES", "ConfigError", "Shop", "ShopConfig", "Storage", "build"]
