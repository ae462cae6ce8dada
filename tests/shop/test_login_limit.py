"""Logins are rate limited per client address (``SHOP_LOGIN_LIMIT`` a minute, default 10): passwords cannot be
guessed at the server's speed. Other routes are not counted; another address has its own budget; a forwarding
header is believed only from the proxies of ``SHOP_TRUST_PROXY``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shop.app import build
from shop.config import ConfigError, ShopConfig

from .server import ADMIN, ShopProcess

ENV = {"DATABASE_URL": "memory://", "JWT_SECRET": "login-limit-test-secret-of-32-bytes!!", "SHOP_BCRYPT_ROUNDS": "4",
       "SHOP_ADMIN_EMAIL": ADMIN["email"], "SHOP_ADMIN_PASSWORD": ADMIN["password"],
       "SHOP_LOGIN_LIMIT": "3"}  # fmt: skip
WRONG = {"email": ADMIN["email"], "password": "not-the-password"}


@pytest.fixture
async def gateway() -> AsyncIterator[Any]:
    shop = build(ShopConfig.from_env(ENV), logger=False, server=False)
    await shop.start()
    try:
        yield shop.broker.get_local_service("api").gateway
    finally:
        await shop.stop()


def client(app: Any, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 4000)), base_url="http://t")


async def test_past_the_limit_even_the_right_password_is_a_429(gateway: Any) -> None:
    async with client(gateway, "10.0.0.1") as guesser, client(gateway, "10.0.0.2") as other:
        codes = [(await guesser.post("/api/public/login", json=WRONG)).status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        right = await guesser.post("/api/public/login", json=ADMIN)
        assert right.status_code == 429 and right.json()["type"] == "RATE_LIMIT_EXCEEDED"
        assert "token" not in right.text
        assert (await other.post("/api/public/login", json=ADMIN)).status_code == 200  # its own budget
        for i in range(5):  # registrations and the catalogue are not counted
            registered = await guesser.post("/api/public/register", json={
                "name": "Rahul Sharma", "email": f"r{i}@example.com", "password": "password123"})  # fmt: skip
            assert registered.status_code == 200, registered.text
            assert (await guesser.get("/api/product")).status_code == 200


@pytest.mark.parametrize("value", ["-1", "x", "1e9"])
def test_a_bad_limit_is_a_config_error_naming_it(value: str) -> None:
    with pytest.raises(ConfigError, match="SHOP_LOGIN_LIMIT"):
        ShopConfig.from_env({**ENV, "SHOP_LOGIN_LIMIT": value})


def test_the_default_is_ten_a_minute_and_zero_turns_it_off() -> None:
    env = {k: v for k, v in ENV.items() if k != "SHOP_LOGIN_LIMIT"}
    assert ShopConfig.from_env(env).login_limit == 10
    assert ShopConfig.from_env({**env, "SHOP_LOGIN_LIMIT": "0"}).login_limit == 0
    assert ShopConfig.from_env({**env, "SHOP_TRUST_PROXY": "127.0.0.1, 10.0.0.2"}).trust_proxy == (
        "127.0.0.1", "10.0.0.2")  # fmt: skip


@pytest.mark.parametrize(("trust", "spoof_helps"), [("", False), ("127.0.0.1", True)])
def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(tmp_path: Path, trust: str, spoof_helps: bool) -> None:
    env = {"DATABASE_URL": "memory://", "SHOP_LOGIN_LIMIT": "2", "SHOP_TRUST_PROXY": trust}
    server = ShopProcess(env, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for _ in range(2):
                assert http.post("/api/public/login", json=WRONG).status_code == 401
            spoofed = http.post("/api/public/login", json=WRONG, headers={"X-Forwarded-For": "203.0.113.9"})
            assert spoofed.status_code == (401 if spoof_helps else 429)
            assert http.post("/api/public/login", json=WRONG).status_code == 429
    finally:
        server.stop()
