"""The shop's configuration, read from the environment in one place.

| variable | default | meaning |
|---|---|---|
| ``DATABASE_URL`` | SQLite file ``shop.db`` | any SQLAlchemy URL; ``memory://``: in process, not persisted |
| ``MONGO_URI`` | unset | ``mongodb://host/db``: MongoDB instead; ``mongomock://``: in process, not persisted |
| ``SERVICES`` | every service | ``product,order``: start only these (as moleculer-runner's ``SERVICES``) |
| ``HOST`` / ``PORT`` | ``127.0.0.1`` / ``3000`` | where ``api`` listens (``PORT=0``: any free port) |
| ``TRANSPORTER`` | unset (one process) | ``nats://host:4222``, ``redis://host:6379``: join ``NAMESPACE``'s nodes |
| ``CACHER`` | ``Memory`` | ``Memory``, ``MemoryLRU`` or ``redis://host:6379`` (shared by the nodes) |
| ``NAMESPACE`` / ``NODE_ID`` | ``shop`` / ``<hostname>-<pid>`` | the cluster's namespace and this node's id |
| ``JWT_SECRET`` | random (a warning) | the HS256 key of the tokens; required when ``SHOP_ENV=production`` |
| ``JWT_EXPIRES_IN`` | ``86400`` | token lifetime in seconds (the course's ``24h``) |
| ``SHOP_ENV`` | ``development`` | ``production`` makes a missing ``JWT_SECRET`` a startup error |
| ``SHOP_ADMIN_EMAIL`` / ``SHOP_ADMIN_PASSWORD`` | ``admin@shop.local`` / generated | the admin seeded on first run |
| ``SHOP_BCRYPT_ROUNDS`` | ``12`` | bcrypt's cost (4 to 16; tests use 4) |
| ``SHOP_LOGIN_LIMIT`` | ``10`` | logins per minute and client address (``0``: no limit); more is a 429 |
| ``SHOP_TRUST_PROXY`` | unset | ``127.0.0.1,10.0.0.2``: proxies whose ``X-Forwarded-For`` names the client |
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["ALL_SERVICES", "MONGOMOCK_SCHEME", "MONGO_SCHEMES", "ConfigError", "ShopConfig", "redact"]

ALL_SERVICES = ("user", "product", "order", "email", "notification", "api")
MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")
MONGOMOCK_SCHEME = "mongomock://"
"""An in-process mongomock-motor client (tests and demos: no server, the data is gone on exit)."""
TRANSPORTER_SCHEMES = ("nats://", "redis://", "rediss://")
CACHERS = {"memory": "Memory", "memorylru": "MemoryLRU"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class ConfigError(Exception):
    """A configuration that must not start (the message says which variable and why)."""


@dataclass
class ShopConfig:
    """Everything the shop reads from its environment; ``from_env`` checks it."""

    database_url: str | None = None
    mongo_uri: str | None = None
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
    login_limit: int = 10
    trust_proxy: tuple[str, ...] = ()
    transporter: str | None = None
    cacher: str = "Memory"
    namespace: str = "shop"
    node_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ShopConfig:
        """Read the variables above from ``env`` (default ``os.environ``); raise ``ConfigError`` when invalid."""
        env = os.environ if env is None else env
        cfg = cls()
        cfg.env = env.get("SHOP_ENV", "development").strip() or "development"
        cfg.database_url, cfg.mongo_uri = _storage(env)
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
        cfg.login_limit = _int(env, "SHOP_LOGIN_LIMIT", cfg.login_limit, 0, 1_000_000)
        cfg.trust_proxy = tuple(ip for ip in env.get("SHOP_TRUST_PROXY", "").replace(" ", ",").split(",") if ip)
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
        cfg.transporter = _url(env, "TRANSPORTER", TRANSPORTER_SCHEMES)
        cfg.cacher = _cacher(env)
        cfg.namespace = _name(env, "NAMESPACE") or cfg.namespace
        cfg.node_id = _name(env, "NODE_ID")
        if "api" not in cfg.services and cfg.transporter is None:
            cfg.warnings.append("SERVICES has no api and there is no TRANSPORTER: nothing can reach these services")
        return cfg

    @property
    def storage_url(self) -> str | None:
        """The URL ``shop.storage.Storage`` builds the adapters from: ``MONGO_URI`` or ``DATABASE_URL``."""
        return self.mongo_uri or self.database_url


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for banners, logs and error messages): ``redis://:***@host``.

    Works on any text, a URL too malformed to parse included (a configuration error quotes what it refuses)."""
    scheme, sep, rest = url.partition("://")
    if not sep:  # not even a scheme: hide whatever precedes an "@"
        return f"***@{url.rpartition('@')[2]}" if "@" in url else url
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{host}{rest[end:]}"


def _storage(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """``(DATABASE_URL, MONGO_URI)``: at most one of them, each of its kind."""
    database_url = env.get("DATABASE_URL", "").strip() or None
    mongo_uri = _url(env, "MONGO_URI", (*MONGO_SCHEMES, MONGOMOCK_SCHEME))
    if database_url is not None and mongo_uri is not None:
        raise ConfigError("DATABASE_URL and MONGO_URI are both set: set only the one of the storage to use")
    if database_url is not None and database_url.startswith((*MONGO_SCHEMES, MONGOMOCK_SCHEME)):
        raise ConfigError("DATABASE_URL is for SQLAlchemy URLs: give a MongoDB URI as MONGO_URI")
    return database_url, mongo_uri


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    """The URL in ``name`` (unset or blank: ``None``); ``ConfigError`` unless it starts with one of ``schemes``
    and (but for ``mongomock://``) names a host."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.lower().startswith(schemes):
        raise ConfigError(f"{name} must start with {' or '.join(schemes)}, got {redact(raw)!r}")
    raw = raw[: raw.index("://")].lower() + raw[raw.index("://") :]
    if raw.startswith(MONGOMOCK_SCHEME):
        return raw
    try:
        host = urlsplit(raw).netloc.rpartition("@")[2]
        urlsplit(raw).port  # noqa: B018 - a port that is not a number raises here
    except ValueError as err:
        raise ConfigError(f"{name} is not a valid URL ({err}): {redact(raw)!r}") from None
    if not host or host.startswith(":"):
        raise ConfigError(f"{name} must name a host, got {redact(raw)!r}")
    return raw


def _cacher(env: Mapping[str, str]) -> str:
    raw = env.get("CACHER", "").strip()
    if not raw:
        return "Memory"
    if raw.lower() in CACHERS:
        return CACHERS[raw.lower()]
    url = _url(env, "CACHER", ("redis://", "rediss://")) if raw.lower().startswith("redis") else None
    if url is None:
        raise ConfigError(f"CACHER must be Memory, MemoryLRU or a redis:// URL, got {redact(raw)!r}")
    return url


def _name(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not _NAME.fullmatch(raw):
        raise ConfigError(f"{name} must be 1 to 100 letters, digits, '.', '_' or '-' (no spaces), got {raw!r}")
    return raw


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
