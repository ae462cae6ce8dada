"""The entity models keep the course's constraints, and the SQL tables come from them."""

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models import TRANSITIONS, Order, OrderCreate, Product, ProductCreate, ProductUpdate, User, UserCreate, UserUpdate
from shop.tables import table_for


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [".".join(map(str, e["loc"])) for e in exc.value.errors()]


def test_user_create_normalises_the_email_and_bounds_the_password():
    user = UserCreate(name=" Rahul ", email="  Rahul@Example.COM ", password="secret")
    assert (user.name, user.email) == ("Rahul", "rahul@example.com")
    with pytest.raises(ValidationError) as info:
        UserCreate(name="R", email="no-at-sign", password="12345")
    assert fields(info) == ["name", "email", "password"]
    with pytest.raises(ValidationError) as info:  # 72 characters, 144 bytes: bcrypt would refuse it
        UserCreate(name="Rahul", email="r@x.io", password="é" * 72)
    assert fields(info) == ["password"]


@pytest.mark.parametrize("extra", ["role", "_id", "isActive", "createdAt"])
def test_register_and_update_refuse_every_other_field(extra):
    with pytest.raises(ValidationError) as info:
        UserCreate(name="Rahul", email="r@x.io", password="secret", **{extra: "admin"})
    assert fields(info) == [extra]
    with pytest.raises(ValidationError):
        UserUpdate(id="1", **{extra: "admin"})


def test_stored_user_defaults_and_role_enum():
    user = User(name="Rahul", email="r@x.io", password="$2b$hash")
    assert (user.role, user.isActive) == ("user", True)
    with pytest.raises(ValidationError) as info:
        User(name="Rahul", email="r@x.io", password="h", role="root")
    assert fields(info) == ["role"]


def test_product_price_and_stock_at_least_zero_and_strict_numbers():
    assert Product(name="K", price=0, stock=0).stock == 0
    with pytest.raises(ValidationError) as info:
        ProductCreate(name="K", price=-1, stock=-1)
    assert fields(info) == ["price", "stock"]
    with pytest.raises(ValidationError):
        ProductCreate(name="K", price="10")
    assert ProductUpdate(id="1").model_dump(exclude_none=True) == {"id": "1"}


@given(st.integers(min_value=-5, max_value=20_000))
def test_quantity_is_an_integer_of_at_least_one(quantity):
    if 1 <= quantity <= 10_000:
        assert OrderCreate(productId="p", quantity=quantity).quantity == quantity
    else:
        with pytest.raises(ValidationError):
            OrderCreate(productId="p", quantity=quantity)


def test_order_status_is_an_enum_and_every_transition_targets_a_status():
    assert Order(userId="u", productId="p", quantity=1, totalPrice=1).status == "pending"
    with pytest.raises(ValidationError):
        Order(userId="u", productId="p", quantity=1, totalPrice=1, status="lost")
    assert all(target in TRANSITIONS for targets in TRANSITIONS.values() for target in targets)


def test_tables_are_generated_from_the_models():
    metadata = sa.MetaData()
    users = table_for("users", User, metadata)
    assert [c.name for c in users.columns] == ["_id", *User.model_fields]
    assert users.c.email.unique and not users.c.email.nullable and users.c.role.nullable
    assert isinstance(users.c.isActive.type, sa.Boolean) and isinstance(users.c.createdAt.type, sa.DateTime)
    products = table_for("products", Product, metadata)
    assert isinstance(products.c.price.type, sa.Double) and isinstance(products.c.stock.type, sa.BigInteger)
    orders = table_for("orders", Order, metadata)
    assert [i.columns.keys() for i in orders.indexes] == [["userId"]]
