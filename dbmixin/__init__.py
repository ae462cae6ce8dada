"""moleculer-db for Python: mix ``DbMixin`` into a service to get CRUD actions over any adapter."""

import runpy
from pathlib import Path

# The toolkit's siblings must be its own, not a project folder of the same name (see broker/siblings.py, loaded by
# path so that a shadowing 'broker' cannot hide the check itself).
runpy.run_path(str(Path(__file__).resolve().parent.parent / "broker" / "siblings.py"))["require_siblings"](
    __file__, "broker", "adapters"
)

from .errors import EntityNotFoundError
from .mixin import DEFAULT_SETTINGS, DbMixin

__all__ = ["DEFAULT_SETTINGS", "DbMixin", "EntityNotFoundError"]
