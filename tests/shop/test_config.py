"""The environment the shop reads, and its tokens."""

import time

import jwt
import pytest

from gateway import UnAuthorizedError
from shop.auth import Passwords, Tokens
from shop.config import ALL_SERVICES, ConfigError, ShopConfig
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
