"""The shop's pydantic entity models: one definition per entity (``User``, ``Product``, ``Order``) with its create
and update variants. The services use them as ``entityValidator`` and action params; ``shop.tables`` derives the SQL
tables from them; the gateway's OpenAPI document shows them."""

from .fields import ORDER_STATUSES, ROLES
from .order import TRANSITIONS, Order, OrderCreate, OrderStatusUpdate
from .product import Product, ProductCreate, ProductUpdate
from .user import Login, User, UserCreate, UserUpdate

__all__ = [
    "ORDER_STATUSES",
    "ROLES",
    "TRANSITIONS",
    "Login",
    "Order",
    "OrderCreate",
    "OrderStatusUpdate",
    "Product",
    "ProductCreate",
    "ProductUpdate",
    "User",
    "UserCreate",
    "UserUpdate",
]
