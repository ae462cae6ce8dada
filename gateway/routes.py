"""Route groups: a path prefix with its whitelist, aliases, policies and hooks (moleculer-web's ``routes``).

A route dict accepts moleculer-web's keys in snake_case (camelCase is read too): ``path``, ``whitelist``
(action names, ``*``/``**`` wildcards as in broker events, or compiled ``re.Pattern``s), ``aliases``,
``auto_aliases``, ``mapping_policy`` (``"all"``: ``/api/posts/list`` calls ``posts.list``; ``"restrict"``: aliases
only), ``authentication``, ``authorization``, ``on_before_call(svc, ctx, route, request)``,
``on_after_call(svc, ctx, route, request, data)`` (returns the data to send), ``cors``, ``rate_limit``,
``body_limit`` (bytes) and ``call_options`` (passed to ``broker.call``: ``timeout``, ``retries``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from broker.errors import ServiceSchemaError
from broker.utils import ensure_list
from broker.wildcard import match as wildcard_match

from .aliases import Alias, auto_aliases, join_paths, parse_alias
from .cors import check_cors
from .ratelimit import RateLimiter

if TYPE_CHECKING:  # pragma: no cover
    from broker.service import Service

__all__ = ["Route", "parse_size"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def parse_size(value: Any) -> int | None:
    """Bytes from ``1048576``, ``"100kb"`` or ``"1MB"``; ``None``/``False`` is no limit."""
    if value is None or value is False:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    found = _SIZE.match(str(value))
    if found is None:
        raise ServiceSchemaError(f"Invalid body_limit {value!r}: use bytes or '100kb'/'1mb'.", {"body_limit": value})
    return int(float(found.group(1)) * _UNITS[found.group(2).lower()])


def _opt(opts: dict[str, Any], snake: str, camel: str, default: Any = None) -> Any:
    if snake in opts:
        return opts[snake]
    return opts.get(camel, default)


class Route:
    """A compiled route group; ``aliases`` holds explicit aliases then auto aliases (rebuilt by ``refresh``)."""

    def __init__(self, opts: dict[str, Any], global_path: str, settings: dict[str, Any]) -> None:
        self.opts = opts
        self.name: str = opts.get("name") or join_paths(global_path, opts.get("path", "")) or "/"
        self.path = join_paths(global_path, opts.get("path", ""))
        self.whitelist = ensure_list(opts.get("whitelist")) or None
        for item in self.whitelist or []:
            if not isinstance(item, str | re.Pattern):
                raise ServiceSchemaError(f"Invalid whitelist entry {item!r}.", {"route": self.name})
        policy = _opt(opts, "mapping_policy", "mappingPolicy", "all")
        if policy not in ("all", "restrict"):
            raise ServiceSchemaError(f"mapping_policy must be 'all' or 'restrict', got {policy!r}.")
        self.mapping_policy: str = policy
        self.authentication = bool(opts.get("authentication"))
        self.authorization = bool(opts.get("authorization"))
        self.on_before_call: Callable[..., Any] | None = _opt(opts, "on_before_call", "onBeforeCall")
        self.on_after_call: Callable[..., Any] | None = _opt(opts, "on_after_call", "onAfterCall")
        self.auto_aliases = bool(_opt(opts, "auto_aliases", "autoAliases", False))
        cors = opts.get("cors", settings.get("cors"))
        self.cors: dict[str, Any] | None = ({} if cors is True else cors) or None
        if self.cors is not None:
            check_cors(self.cors, self.name)
        rate = _opt(opts, "rate_limit", "rateLimit", settings.get("rate_limit"))
        self.rate_limiter = RateLimiter(rate) if rate else None
        self.body_limit = parse_size(_opt(opts, "body_limit", "bodyLimit", settings.get("body_limit", "1mb")))
        self.call_options: dict[str, Any] = dict(_opt(opts, "call_options", "callOptions", {}) or {})
        self.explicit: list[Alias] = []
        for spec, target in (opts.get("aliases") or {}).items():
            if not isinstance(target, str):
                raise ServiceSchemaError(f"Alias '{spec}' must name an action.", {"alias": spec})
            self.explicit.extend(parse_alias(spec, target))
        self.aliases: list[Alias] = list(self.explicit)
        self._static: dict[str, list[Alias]] = {}
        self._dynamic: list[Alias] = []
        self._index()

    def whitelisted(self, action: str) -> bool:
        """Whether the whitelist (if any) lets ``action`` through."""
        if self.whitelist is None:
            return True
        for item in self.whitelist:
            if isinstance(item, re.Pattern):
                if item.search(action):
                    return True
            elif item == action or wildcard_match(action, item):
                return True
        return False

    def refresh(self, services: list[Service]) -> None:
        """Rebuild the auto aliases from the registered services."""
        if not self.auto_aliases:
            return
        self.aliases = self.explicit + auto_aliases(services, self.whitelisted)
        self._index()

    def _index(self) -> None:
        self._static, self._dynamic = {}, []
        for alias in self.aliases:
            if alias.static:
                self._static.setdefault(alias.path, []).append(alias)
            else:
                self._dynamic.append(alias)

    def relative(self, path: str) -> str | None:
        """``path`` below this route's prefix (``/`` for the prefix itself), or ``None`` when outside it."""
        prefix = self.path
        if not prefix:
            return path or "/"
        if path == prefix or path == prefix + "/":
            return "/"
        if path.startswith(prefix) and path[len(prefix)] == "/":
            return path[len(prefix) :]
        return None

    def resolve(self, method: str, rel: str) -> tuple[Alias, dict[str, str]] | None:
        """The alias serving ``method rel`` and its path parameters (exact paths first, then patterns); ``HEAD``
        falls back to the ``GET`` alias (answered without a body, as HTTP asks)."""
        found = self._resolve(method, rel)
        if found is None and method == "HEAD":
            found = self._resolve("GET", rel)
        return found

    def _resolve(self, method: str, rel: str) -> tuple[Alias, dict[str, str]] | None:
        candidates = self._static.get(rel) or self._static.get(rel.rstrip("/") or "/")
        if candidates:
            for alias in candidates:
                if alias.method == method or alias.method == "*":
                    return alias, {}
        for alias in self._dynamic:
            if alias.method != method and alias.method != "*":
                continue
            found = alias.match(rel)
            if found is not None:
                return alias, found
        return None
