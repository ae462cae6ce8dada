"""moleculer-db's own error: ``EntityNotFoundError`` (404, message "Entity not found", ``data {"id"}``)."""

from __future__ import annotations

from typing import Any

from broker.errors import MoleculerClientError, MoleculerError

__all__ = ["EntityNotFoundError"]


class EntityNotFoundError(MoleculerClientError):
    """No entity has the requested id."""

    def __init__(self, id: Any = None) -> None:
        super().__init__("Entity not found", 404, None, {"id": id})

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> MoleculerError:
        return cls((data or {}).get("id"))
