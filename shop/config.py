"""The shop's configuration, read from the environment in one place.

| variable | default | meaning |
|---|---|---|
| ``DATABASE_URL`` | SQLite file ``shop.db`` | any SQLAlchemy URL; ``memory://``: in process, not persisted |
| ``SERVICES`` | every service | ``product,order``: start only these (as moleculer-runner's ``SERVICES``) |
| ``HOST`` / ``PORT`` | ``127.0.0.1`` / ``3000`` | where the API listens (``PORT=0``: any free port) |
| ``JWT_SECRET`` | random (a warning) | the HS256 key of the tokens; required when ``SHOP_ENV=production`` |
| ``JWT_EXPIRES_IN`` | ``86400`` | token lifetime in seconds (the course's ``24h``) |
| ``SHOP_ENV`` | ``development`` | ``production`` makes a missing ``JWT_SECRET`` a startup error |
| ``SHOP_ADMIN_EMAIL`` / ``SHOP_ADMIN_PASSWORD`` | ``admin@shop.local`` / generated | the admin seeded on first run |
| ``SHOP_BCRYPT_ROUNDS`` | ``12`` | bcrypt's cost (4 to 16; tests use 4) |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ALL_SERVICES", "ConfigError", "ShopConfig"]

ALL_SERVICES = ("user", "product", "order", "email", "notification", "api")


class ConfigError(Exception):
    """A configuration that must not start (the message says which variable and why)."""


@dataclass
class ShopConfig:
    """Everything the shop reads from its environment; ``from_env`` checks it."""

    database_url: str | None = None
    services: tuple[str, ...] = ALL_SERVICES
    host: str = "127.0.0.1"
    port: int = 3000
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    jwt_secret_generated: bool = True
    jwt_expires_in: int = 86400
    env: str = "development"
    admin_email: str = "admin@shop.local"
    admin_password: str | None = None
    bcrypt_rounds: int = 12
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ShopConfig:
        """Read the variables above from ``env`` (default ``os.environ``); raise ``ConfigError`` when invalid."""
        env = os.environ if env is None else env
        cfg = cls()
        cfg.env = env.get("SHOP_ENV", "development").strip() or "development"
        cfg.database_url = env.get("DATABASE_URL") or None
        names = [n.strip() for n in env.get("SERVICES", "").replace(" ", ",").split(",") if n.strip()]
        if names:
            unknown = sorted(set(names) - set(ALL_SERVICES))
            if unknown:
                raise ConfigError(f"SERVICES names unknown services {unknown}; known: {', '.join(ALL_SERVICES)}")
            cfg.services = tuple(n for n in ALL_SERVICES if n in names)
        cfg.host = env.get("HOST", cfg.host) or cfg.host
        cfg.port = _int(env, "PORT", cfg.port, 0, 65535)
        cfg.jwt_expires_in = _int(env, "JWT_EXPIRES_IN", cfg.jwt_expires_in, 1, 10 * 365 * 86400)
        cfg.bcrypt_rounds = _int(env, "SHOP_BCRYPT_ROUNDS", cfg.bcrypt_rounds, 4, 16)
        secret = env.get("JWT_SECRET") or ""
        if secret:
            if cfg.env == "production" and len(secret.encode()) < 32:
                raise ConfigError("JWT_SECRET must be at least 32 bytes in production")
            cfg.jwt_secret, cfg.jwt_secret_generated = secret, False
        elif cfg.env == "production":
            raise ConfigError("JWT_SECRET environment variable is required when SHOP_ENV=production")
        else:
            cfg.warnings.append("JWT_SECRET is not set: using a random secret, tokens will not survive a restart")
        cfg.admin_email = (env.get("SHOP_ADMIN_EMAIL") or cfg.admin_email).strip().lower()
        cfg.admin_password = env.get("SHOP_ADMIN_PASSWORD") or None
        if cfg.admin_password is not None and len(cfg.admin_password) < 6:
            raise ConfigError("SHOP_ADMIN_PASSWORD must be at least 6 characters")
        return cfg


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value
