"""A project folder named like a toolkit package gets an error that names the folder and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _import_in(project: Path, statement: str) -> subprocess.CompletedProcess[str]:
    """Run ``statement`` as a script of ``project`` would: the project folder first on ``sys.path``."""
    code = f"import sys; sys.path[:0] = [{str(project)!r}, {str(ROOT)!r}]; {statement}"
    return subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("shadow", "statement", "name"),
    [
        ("adapters/__init__.py", "from dbmixin import DbMixin", "adapters"),
        ("broker.py", "from adapters import MemoryAdapter", "broker"),
        ("broker/__init__.py", "from dbmixin import DbMixin", "broker"),
    ],
)
def test_a_shadowing_project_folder_is_named_with_the_fix(tmp_path: Path, shadow: str, statement: str, name: str):
    target = tmp_path / shadow
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("VALUE = 1\n")
    run = _import_in(tmp_path, statement)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("broker.siblings.ShadowedPackageError: "), run.stderr
    assert f"The toolkit's '{name}' package is shadowed" in last
    assert str(tmp_path) in last  # the shadowing path
    assert str(ROOT / name) in last  # where the toolkit's own copy is
    assert f"rename your '{name}' folder" in last


def test_unrelated_folders_and_namespace_folders_change_nothing(tmp_path: Path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "__init__.py").write_text("")
    (tmp_path / "adapters").mkdir()  # no __init__.py: a namespace portion, which never beats a regular package
    (tmp_path / "adapters" / "memory.py").write_text("VALUE = 1\n")
    run = _import_in(tmp_path, "from dbmixin import DbMixin; from adapters import MemoryAdapter; print('ok')")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "ok\n"
