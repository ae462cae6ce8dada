"""The environment the shop reads, and its tokens."""

import time

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters import EntityAlreadyExistsError
from gateway import UnAuthorizedError
from shop.app import build
from shop.auth import Passwords, Tokens
from shop.config import ALL_SERVICES, ConfigError, ShopConfig, redact
from shop.storage import DEFAULT_URL, Storage


def test_defaults_are_development_with_a_random_secret_and_a_warning():
    cfg = ShopConfig.from_env({})
    assert (cfg.env, cfg.services, cfg.host, cfg.port, cfg.database_url) == ("development", ALL_SERVICES,
                                                                            "127.0.0.1", 3000, None)  # fmt: skip
    assert cfg.jwt_secret_generated and len(cfg.jwt_secret) >= 32
    assert cfg.jwt_secret != ShopConfig.from_env({}).jwt_secret
    assert any("JWT_SECRET" in w for w in cfg.warnings)


def test_production_requires_a_strong_secret():
    with pytest.raises(ConfigError, match="JWT_SECRET environment variable is required"):
        ShopConfig.from_env({"SHOP_ENV": "production"})
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        ShopConfig.from_env({"SHOP_ENV": "production", "JWT_SECRET": "short"})
    cfg = ShopConfig.from_env({"SHOP_ENV": "production", "JWT_SECRET": "x" * 32})
    assert not cfg.jwt_secret_generated and cfg.warnings == []


def test_services_port_and_admin_are_read_and_checked():
    cfg = ShopConfig.from_env({"SERVICES": "order, product", "PORT": "0", "HOST": "0.0.0.0",
                               "SHOP_ADMIN_EMAIL": " Boss@Shop.io "})  # fmt: skip
    assert (cfg.services, cfg.port, cfg.host, cfg.admin_email) == (("product", "order"), 0, "0.0.0.0", "boss@shop.io")
    for env in ({"SERVICES": "product,billing"}, {"PORT": "http"}, {"PORT": "70000"}, {"SHOP_ADMIN_PASSWORD": "123"},
                {"SHOP_BCRYPT_ROUNDS": "99"}):  # fmt: skip
        with pytest.raises(ConfigError):
            ShopConfig.from_env(env)


def test_storage_is_chosen_in_one_place():
    assert Storage.memory().kind == "memory"
    default = Storage(None)
    assert (default.kind == "sql" and default.url == DEFAULT_URL) or (default.kind == "memory" and default.warnings)


def test_tokens_round_trip_and_refuse_tampering():
    tokens = Tokens("s" * 32, 60)
    token = tokens.issue({"_id": "u1", "email": "a@b.io", "role": "user"})
    assert tokens.verify(f"Bearer {token}") == {"id": "u1", "email": "a@b.io", "role": "user"}
    now = int(time.time())
    cases = {
        None: "NO_TOKEN",
        "": "NO_TOKEN",
        f"Basic {token}": "INVALID_TOKEN",
        "Bearer ": "INVALID_TOKEN",
        f"Bearer {token}x": "INVALID_TOKEN",
        f"Bearer {Tokens('t' * 32).issue({'_id': 'u1', 'email': 'a', 'role': 'admin'})}": "INVALID_TOKEN",
        f"Bearer {jwt.encode({'id': 'u1', 'role': 'user', 'iat': now, 'exp': now - 1}, 's' * 32)}": "INVALID_TOKEN",
        f"Bearer {jwt.encode({'id': 'u1', 'role': 'root', 'iat': now, 'exp': now + 60}, 's' * 32)}": "INVALID_TOKEN",
        f"Bearer {jwt.encode({'id': 'u1', 'role': 'user'}, 's' * 32)}": "INVALID_TOKEN",  # no exp
    }
    for header, type_ in cases.items():
        with pytest.raises(UnAuthorizedError) as info:
            tokens.verify(header)
        assert info.value.type == type_, header


async def test_passwords_hash_and_check():
    passwords = Passwords(4)
    hashed = await passwords.hash("password123")
    assert hashed.startswith("$2b$04$")
    assert await passwords.check("password123", hashed)
    assert not await passwords.check("password124", hashed)
    assert not await passwords.check("password123", None)
    assert not await passwords.check("password123", "not-a-hash")


def test_mongo_uri_chooses_mongodb_and_excludes_database_url():
    cfg = ShopConfig.from_env({"MONGO_URI": "mongodb://db.example:27017/shop"})
    assert (cfg.mongo_uri, cfg.database_url, cfg.storage_url) == ("mongodb://db.example:27017/shop", None,
                                                                 "mongodb://db.example:27017/shop")  # fmt: skip
    assert ShopConfig.from_env({"MONGO_URI": "mongomock://"}).storage_url == "mongomock://"
    assert ShopConfig.from_env({"DATABASE_URL": "memory://"}).storage_url == "memory://"
    cases = {
        "DATABASE_URL and MONGO_URI": {"DATABASE_URL": "sqlite+aiosqlite:///x.db", "MONGO_URI": "mongomock://"},
        "MONGO_URI must start with": {"MONGO_URI": "postgresql://localhost/shop"},
        "MONGO_URI must name a host": {"MONGO_URI": "mongodb:///shop"},
        "give a MongoDB URI as MONGO_URI": {"DATABASE_URL": "mongodb://localhost/shop"},
    }
    for message, env in cases.items():
        with pytest.raises(ConfigError, match=message):
            ShopConfig.from_env(env)


def test_transporter_cacher_namespace_and_node_id_are_read_and_checked():
    cfg = ShopConfig.from_env({"TRANSPORTER": " nats://127.0.0.1:4222 ", "CACHER": "memorylru", "NAMESPACE": "prod-1",
                               "NODE_ID": "api-1.eu", "SERVICES": "user,product"})  # fmt: skip
    assert (cfg.transporter, cfg.cacher, cfg.namespace, cfg.node_id) == ("nats://127.0.0.1:4222", "MemoryLRU",
                                                                         "prod-1", "api-1.eu")  # fmt: skip
    assert not any("TRANSPORTER" in w for w in cfg.warnings)
    defaults = ShopConfig.from_env({})
    assert (defaults.transporter, defaults.cacher, defaults.namespace, defaults.node_id) == (None, "Memory", "shop",
                                                                                            None)  # fmt: skip
    assert ShopConfig.from_env({"CACHER": "redis://:pw@127.0.0.1:6379/2"}).cacher == "redis://:pw@127.0.0.1:6379/2"
    assert ShopConfig.from_env({"TRANSPORTER": "REDIS://cache:6379"}).transporter == "redis://cache:6379"
    lonely = ShopConfig.from_env({"SERVICES": "product"})
    assert any("nothing can reach these services" in w for w in lonely.warnings)
    bad = [("TRANSPORTER", "tcp://127.0.0.1:4222"), ("TRANSPORTER", "nats://"), ("TRANSPORTER", "nats://h:port"),
           ("CACHER", "Redis"), ("CACHER", "memcached://h:11211"), ("CACHER", "redis://"), ("NAMESPACE", "my shop"),
           ("NODE_ID", "node>1"), ("NODE_ID", "x" * 101), ("NAMESPACE", "-dash")]  # fmt: skip
    for name, value in bad:
        with pytest.raises(ConfigError, match=name):
            ShopConfig.from_env({name: value})


def test_redact_hides_only_the_password():
    assert redact("redis://:secret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact("mongodb://shop:secret@db1,db2/shop?replicaSet=rs0") == "mongodb://shop:***@db1,db2/shop?replicaSet=rs0"
    assert redact("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


async def test_mongo_storage_declares_the_models_indexes():
    from models import Order, User

    storage = Storage("mongomock:///demo")
    assert (storage.kind, storage.database) == ("mongomock", "demo")
    assert "not persisted" in storage.describe()
    users, orders = storage.adapter("users", User), storage.adapter("orders", Order)
    assert users.client is orders.client  # one client for every service
    assert [(s.fields, s.unique) for s in users.index_specs] == [(("email",), True)]
    assert [(s.fields, s.unique) for s in orders.index_specs] == [(("userId",), False)]
    await users.connect()
    await users.insert({"email": "a@b.io"})
    with pytest.raises(EntityAlreadyExistsError):
        await users.insert({"email": "a@b.io"})
    await users.disconnect()
    await storage.close()
    assert Storage("mongodb://u:pw@db:27017/shop").describe() == "mongodb://u:***@db:27017/shop"
    with pytest.raises(ConfigError, match="must name the database"):
        Storage("mongodb://db:27017")


@pytest.mark.parametrize("env", [
    {"DATABASE_URL": "postgresql+asyncpg//bob:s3cret@127.0.0.1/x"},
    {"DATABASE_URL": "nosuchdb+drv://bob:s3cret@127.0.0.1/x"},
    {"DATABASE_URL": "postgresql+asyncpg://bob:s3cret@127.0.0.1:abc/x"},
    {"MONGO_URI": "mongodb://bob:s3cret@127.0.0.1:abc/x"},
    {"MONGO_URI": "mongodb://bob:s3cret@[::1/x"},
    {"TRANSPORTER": "natz://bob:s3cret@127.0.0.1"},
    {"TRANSPORTER": "nats://bob:s3cret@127.0.0.1:abc"},
    {"CACHER": "memcached://bob:s3cret@h"},
    {"CACHER": "redis://bob:s3cret@[::1"},
])
def test_a_refused_url_is_named_without_its_password(env: dict[str, str]) -> None:
    name = next(iter(env))
    with pytest.raises(ConfigError) as refused:
        build(ShopConfig.from_env(env), logger=False, server=False)
    assert name in str(refused.value) and "s3cret" not in str(refused.value), refused.value
    assert "***@" in str(refused.value)


@given(scheme=st.sampled_from(["postgresql+asyncpg", "mysql+asyncmy", "mongodb", "nats", "redis", "x"]),
       user=st.text("abcdefghij", max_size=8), password=st.text("0123456789!$%&*+;=~", min_size=1, max_size=16),
       host=st.text("klmnopqrstuvwxyz.[]:", min_size=0, max_size=20), rest=st.sampled_from(["", "/db", "?x=1", "#f"]),
       joiner=st.sampled_from(["://", "//", ":/"]))  # fmt: skip
def test_redact_never_shows_a_password(scheme: str, user: str, password: str, host: str, rest: str,
                                       joiner: str) -> None:
    url = f"{scheme}{joiner}{user}:{password}@{host}{rest}"
    # the whole password masked; a URL too malformed to parse hides all that precedes its "@"
    kept = f"{scheme}{joiner}{user}:" if joiner == "://" else ""
    assert redact(url) == f"{kept}***@{host}{rest}"
