"""moleculer-db for Python: mix ``DbMixin`` into a service to get CRUD actions over any adapter."""

from .errors import EntityNotFoundError
from .mixin import DEFAULT_SETTINGS, DbMixin

__all__ = ["DEFAULT_SETTINGS", "DbMixin", "EntityNotFoundError"]
