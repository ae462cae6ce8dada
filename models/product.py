"""The product entity (post 11's ``models/product.model.js``) and its create/update variants."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .fields import Active, Category, Description, Price, ProductName, Stock, now, refuse_null

__all__ = ["Product", "ProductCreate", "ProductUpdate"]


class _ProductFields(BaseModel):
    """The fields an admin gives a product, declared once for the stored product and its create variant."""

    name: ProductName
    description: Description = ""
    price: Price
    stock: Stock = 0
    category: Category = "general"
    isActive: Active = True


class Product(_ProductFields):
    """A stored product: the ``entityValidator`` and the SQL table's columns."""

    createdAt: datetime = Field(default_factory=now)
    updatedAt: datetime | None = None


class ProductCreate(_ProductFields):
    """``POST /api/admin/product``: no id, no timestamps, nothing undeclared."""

    model_config = ConfigDict(extra="forbid")


class ProductUpdate(BaseModel):
    """``PUT /api/admin/product/:id``: any subset of the editable fields (an explicit ``null`` is a 422)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    name: ProductName | None = None
    description: Description | None = None
    price: Price | None = None
    stock: Stock | None = None
    category: Category | None = None
    isActive: Active | None = None
    _no_null = field_validator("*", mode="before")(refuse_null)
