"""The shop's field types, defined once and shared by every entity model and its variants.

Constraints are the course's (post 11's Mongoose schemas): e-mail format, lower-cased and trimmed; password at least
6 characters; price and stock at least 0; quantity at least 1; role and order status enums. Lengths have upper bounds
too (the course has none): a name of a megabyte is a 422, not a stored row. Numbers are strict: ``"2"`` is not a
quantity (a 422 naming the field), as a JSON API should answer a wrong type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictFloat, StrictInt

__all__ = [
    "ORDER_STATUSES",
    "ROLES",
    "Active",
    "Category",
    "Description",
    "Email",
    "EntityId",
    "Name",
    "OrderStatus",
    "Password",
    "PasswordHash",
    "Price",
    "ProductName",
    "Quantity",
    "Role",
    "Stock",
    "Timestamp",
    "now",
]

ROLES = ("admin", "user")
ORDER_STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")

EMAIL_PATTERN = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"
"""fastest-validator's "quick" e-mail check: something@something.tld without spaces."""


def now() -> datetime:
    """The current instant, timezone-aware UTC (what ``createdAt``/``updatedAt`` hold)."""
    return datetime.now(UTC)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _lower(value: str) -> str:
    return value.lower()


Name = Annotated[str, BeforeValidator(_strip), Field(min_length=2, max_length=100)]
Email = Annotated[
    str, BeforeValidator(_strip), Field(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(_lower),
    Field(json_schema_extra={"format": "email", "unique": True}),
]
Password = Annotated[str, Field(min_length=6, max_length=72)]  # bcrypt reads at most 72 bytes
PasswordHash = Annotated[str, Field(min_length=1, max_length=200)]
Role = Literal["admin", "user"]
Active = StrictBool
ProductName = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]
Category = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=100)]
Price = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1e12)]
Stock = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
Quantity = Annotated[StrictInt, Field(ge=1, le=10_000)]
OrderStatus = Literal["pending", "confirmed", "shipped", "delivered", "cancelled"]
EntityId = Annotated[str, Field(min_length=1, max_length=64)]
Timestamp = datetime
