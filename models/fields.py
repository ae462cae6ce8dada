"""The shop's field types, defined once and shared by every entity model and its variants.

Constraints are the course's (post 11's Mongoose schemas): e-mail format, lower-cased and trimmed; password at least
6 characters; price and stock at least 0; quantity at least 1; role and order status enums. No control characters in
names, e-mails and categories (a description may hold tabs and new lines). Lengths have upper bounds
too (the course has none): a name of a megabyte is a 422, not a stored row. Numbers are strict: ``"2"`` is not a
quantity (a 422 naming the field), as a JSON API should answer a wrong type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

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
    "refuse_null",
]

ROLES = ("admin", "user")
ORDER_STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")

_CONTROL = r"\x00-\x1f\x7f-\x9f"
EMAIL_PATTERN = rf"^[^\s@{_CONTROL}]+@[^\s@{_CONTROL}]+\.[^\s@{_CONTROL}]+$"
"""fastest-validator's "quick" e-mail check: something@something.tld without spaces (nor control characters)."""
LINE_PATTERN = rf"^[^{_CONTROL}]*$"
"""One line of text: no control character (C0, DEL, C1). PostgreSQL cannot store NUL (the other storages did, so
the same request was a 422 on one and stored on the others), and a name lands in log lines (an ESC sequence or a
new line forges them)."""
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""Free text: lines (tab, LF, CR) but no other control character."""


def refuse_null(value: Any) -> Any:
    """A partial update's ``field_validator("*", mode="before")``: an explicit ``null`` is a 422 naming the field
    (it was silently ignored: the client believed the field cleared); a field left out keeps its stored value.

    Raises ``ValueError`` for ``None``; returns any other value unchanged."""
    if value is None:
        raise ValueError("must not be null: leave the field out to keep its value")
    return value


def now() -> datetime:
    """The current instant, timezone-aware UTC, to the millisecond (what ``createdAt``/``updatedAt`` hold).

    Milliseconds, as a JavaScript ``Date`` and as MongoDB's BSON dates: an entity reads back exactly as it was
    answered when created, whichever storage keeps it."""
    instant = datetime.now(UTC)
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100, pattern=LINE_PATTERN)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=EMAIL_PATTERN),
    Field(json_schema_extra={"format": "email", "unique": True}),
]
def _fits_bcrypt(value: str) -> str:
    if len(value.encode("utf-8")) > 72:
        raise ValueError("the password must be at most 72 bytes in UTF-8 (bcrypt's limit)")
    return value


Password = Annotated[str, Field(min_length=6, max_length=72), AfterValidator(_fits_bcrypt)]
PasswordHash = Annotated[str, Field(min_length=1, max_length=200)]
Role = Literal["admin", "user"]
Active = StrictBool
ProductName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=LINE_PATTERN)
]
Description = Annotated[str, StringConstraints(max_length=5000, pattern=TEXT_PATTERN)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=LINE_PATTERN)]
Price = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1e12)]
Stock = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
Quantity = Annotated[StrictInt, Field(ge=1, le=10_000)]
OrderStatus = Literal["pending", "confirmed", "shipped", "delivered", "cancelled"]
EntityId = Annotated[str, Field(min_length=1, max_length=64)]
Timestamp = datetime
