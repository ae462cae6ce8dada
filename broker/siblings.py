"""Guard against a project folder that shadows one of the toolkit's top-level packages.

The toolkit installs the top-level packages ``broker``, ``adapters``, ``dbmixin`` and ``models`` side by side.
A project with its own ``adapters/`` (or ``models/``, ``broker/``) folder on ``sys.path`` wins the import, and
the user used to get ``ImportError: cannot import name 'MemoryAdapter' from 'adapters'`` from deep inside
``dbmixin``. Each toolkit package calls ``require_siblings`` before importing a sibling, so the error names the
shadowing path and the fix instead. Only the standard library is used here: a shadowed sibling is never imported.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

__all__ = ["ShadowedPackageError", "require_siblings", "shadow_message"]


class ShadowedPackageError(ImportError):
    """A toolkit package name resolves to a module or folder that is not the toolkit's own."""

    __module__ = "broker.siblings"  # also when this file is run by path (the guards in adapters/ and dbmixin/)


def _origin(name: str) -> str | None:
    """Where ``name`` is (or would be) imported from: a file, a folder (namespace package), or ``None``."""
    module = sys.modules.get(name)
    if module is not None:
        file = getattr(module, "__file__", None)
        if file:
            return file
        paths = list(getattr(module, "__path__", []) or [])
        return paths[0] if paths else None
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("namespace", "built-in", "frozen"):
        return spec.origin
    locations = list(spec.submodule_search_locations or [])
    return locations[0] if locations else None


def shadow_message(name: str, found: str | None, expected: Path) -> str:
    """The text of a ``ShadowedPackageError``: what shadows ``name``, where the toolkit's copy is, and the fix."""
    where = f"'{found}'" if found else "nowhere on sys.path"
    return (
        f"The toolkit's '{name}' package is shadowed: Python imports '{name}' from {where}, but the toolkit's "
        f"own '{name}' is at '{expected}'. A folder or module named '{name}' in your project (or earlier on "
        f"sys.path) hides it. Fix: rename your '{name}' folder (e.g. 'my_{name}'), or move your code into a "
        f"package of its own (e.g. 'myapp/{name}/') and import it as 'myapp.{name}'."
    )


def require_siblings(importer: str, *names: str) -> None:
    """Check that each toolkit package in ``names`` resolves to the copy installed beside ``importer``.

    ``importer`` is the ``__file__`` of the calling package's ``__init__.py``; its siblings are the folders
    next to that package. Raises ``ShadowedPackageError`` (an ``ImportError``) naming the shadowing path.
    """
    root = Path(importer).resolve().parent.parent
    for name in names:
        expected = root / name
        found = _origin(name)
        resolved = Path(found).resolve() if found else None
        if resolved is None or (resolved != expected and expected not in resolved.parents):
            raise ShadowedPackageError(shadow_message(name, found, expected), name=name, path=found)
