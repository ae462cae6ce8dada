"""Aliases: ``"GET /posts/:id"`` → an action, compiled with Starlette's path compiler, and the ``rest`` annotations
of actions turned into aliases (moleculer-web's ``autoAliases``).

Alias paths keep moleculer-web's syntax: ``:name`` is one path segment, handed to the action as ``params.name``.
A method of ``*`` (or none: ``"/path"``) matches every method. ``"REST /posts"`` expands to the five CRUD aliases
(``list``, ``get``, ``create``, ``update``, ``remove``) as in moleculer-web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.routing import compile_path

from broker.errors import ServiceSchemaError
from broker.utils import ensure_list

if TYPE_CHECKING:  # pragma: no cover
    from broker.service import Service

__all__ = ["Alias", "auto_aliases", "join_paths", "parse_alias"]

_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"}
_PARAM = re.compile(r":([A-Za-z_$][A-Za-z0-9_$]*)")


@dataclass(slots=True)
class Alias:
    """One alias: ``method`` (upper case or ``*``), moleculer-web ``path`` (``/:id``) and the ``action`` name."""

    method: str
    path: str
    action: str
    regex: re.Pattern[str] = field(init=False, repr=False)
    param_names: tuple[str, ...] = field(init=False)
    static: bool = field(init=False)

    def __post_init__(self) -> None:
        starlette_path = _PARAM.sub(lambda m: "{" + m.group(1).replace("$", "_") + "}", self.path)
        self.regex, _, _ = compile_path(starlette_path)
        self.param_names = tuple(_PARAM.findall(self.path))
        self.static = not self.param_names

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` (relative to the route) matches, else ``None``."""
        if self.static:
            return {} if path == self.path else None
        found = self.regex.match(path)
        if found is None:
            return None
        return dict(zip(self.param_names, found.groups()))

    @property
    def openapi_path(self) -> str:
        """The path in OpenAPI syntax (``/{id}``)."""
        return _PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)


def join_paths(*parts: str) -> str:
    """``join_paths("/api/", "posts", "/:id")`` → ``/api/posts/:id``; empty segments vanish; ``""`` for the root."""
    segments = [segment for part in parts if part for segment in part.split("/") if segment]
    return "/" + "/".join(segments) if segments else ""


def parse_alias(spec: str, action: str) -> list[Alias]:
    """``"GET /my"``, ``"/my"`` (any method) or ``"REST /posts"`` into aliases of ``action``."""
    parts = spec.strip().split(None, 1)
    if len(parts) == 2 and parts[0].upper() in (_METHODS | {"REST"}):
        method, path = parts[0].upper(), parts[1]
    elif len(parts) == 1 and parts[0].startswith("/"):
        method, path = "*", parts[0]
    else:
        raise ServiceSchemaError(f"Invalid alias '{spec}': write 'METHOD /path'.", {"alias": spec})
    if method == "REST":
        base = path
        return [
            Alias("GET", join_paths(base) or "/", f"{action}.list"),
            Alias("GET", join_paths(base, ":id"), f"{action}.get"),
            Alias("POST", join_paths(base) or "/", f"{action}.create"),
            Alias("PUT", join_paths(base, ":id"), f"{action}.update"),
            Alias("PATCH", join_paths(base, ":id"), f"{action}.update"),
            Alias("DELETE", join_paths(base, ":id"), f"{action}.remove"),
        ]
    return [Alias(method, join_paths(path) or "/", action)]


def _rest_specs(rest: Any, raw_name: str) -> list[tuple[str, str]]:
    specs: list[tuple[str, str]] = []
    for item in ensure_list(rest):
        if item is True:
            specs.append(("*", "/" + raw_name))
        elif isinstance(item, str):
            parts = item.strip().split(None, 1)
            if len(parts) == 2:
                specs.append((parts[0].upper(), parts[1]))
            elif parts and parts[0].upper() in _METHODS:
                specs.append((parts[0].upper(), "/" + raw_name))
            elif parts:
                specs.append(("*", parts[0]))
        elif isinstance(item, dict):
            specs.append((str(item.get("method", "*")).upper(), str(item.get("path", "/" + raw_name))))
    return specs


def service_base_path(service: Service) -> str:
    """``settings.rest`` when it is a string, else the service's full name with dots as slashes (``v2/posts``)."""
    rest = service.settings.get("rest")
    if isinstance(rest, str):
        return join_paths(rest)
    return join_paths(service.full_name.replace(".", "/"))


def auto_aliases(services: list[Service], allowed: Any) -> list[Alias]:
    """Aliases from every published action's ``rest`` annotation whose name ``allowed(name)`` accepts."""
    aliases: list[Alias] = []
    for service in services:
        base = service_base_path(service)
        for act in service.action_definitions.values():
            rest = act.get("rest")
            if not rest or act.visibility != "published" or not allowed(act.name):
                continue
            for method, path in _rest_specs(rest, act.raw_name):
                aliases.append(Alias(method, join_paths(base, path) or "/", act.name))
    return aliases
