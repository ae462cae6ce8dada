"""Loading services from ``*.service.py`` files, as Moleculer's ``loadService``/``loadServices``.

A service file defines its schema as a module attribute ``schema`` or ``service`` (a dict or a ``Service``
subclass), or defines exactly one ``Service`` subclass.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from .errors import ServiceSchemaError

__all__ = ["find_service_files", "load_schema"]


def find_service_files(folder: str, file_mask: str = "**/*.service.py") -> list[str]:
    """The service files under ``folder`` matching ``file_mask``, sorted for a stable load order."""
    return sorted(str(p) for p in Path(folder).glob(file_mask) if p.is_file())


def load_schema(path: str) -> Any:
    """Import one service file and return the schema it defines."""
    from .service import Service

    file = Path(path).resolve()
    if not file.is_file():
        raise ServiceSchemaError(f"Service file not found: {path}", {"path": path})
    # Unique per path: two ``users.service.py`` in different folders must not replace each other in
    # ``sys.modules`` (class lookups by ``__module__`` such as pickling or type-hint resolution use it).
    digest = hashlib.sha1(str(file).encode()).hexdigest()[:8]
    module_name = f"moleculer_services.{file.name.removesuffix('.py').replace('.', '_')}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ServiceSchemaError(f"Cannot load service file: {path}", {"path": path})
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)  # a broken file leaves no half-imported module behind
        raise
    for attr in ("schema", "service"):
        value = getattr(module, attr, None)
        if isinstance(value, dict) or (inspect.isclass(value) and issubclass(value, Service)):
            return value
    classes = [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, Service) and value.__module__ == module_name
    ]
    if len(classes) == 1:
        return classes[0]
    raise ServiceSchemaError(
        f"'{path}' must define 'schema' (a dict or Service subclass) or exactly one Service subclass.",
        {"path": path},
    )
