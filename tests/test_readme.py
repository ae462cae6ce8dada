"""The README's examples are the files in examples/, and they print what the README says they print."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
EXAMPLE = re.compile(r"`(examples/[\w.]+\.py)`:\n\n```python\n(.*?)```\n\nprints\n\n```text\n(.*?)```", re.S)
EXAMPLES = EXAMPLE.findall(README)


def test_readme_has_the_runnable_examples():
    assert {path for path, _, _ in EXAMPLES} == {
        "examples/quickstart.py",
        "examples/posts_db.py",
        "examples/course_shop.py",
        "examples/gateway_api.py",
    }


@pytest.mark.parametrize(("path", "code", "output"), EXAMPLES, ids=[p for p, _, _ in EXAMPLES])
def test_readme_example_matches_its_file_and_output(path: str, code: str, output: str):
    assert (ROOT / path).read_text() == code
    run = subprocess.run([sys.executable, path], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == output


async def test_readme_class_form_snippet_runs():
    from broker import Service, ServiceBroker, action, event

    snippet = re.search(r"```python\n(class Posts\(Service\):.*?)```", README, re.S).group(1)
    namespace = {"Service": Service, "action": action, "event": event}
    exec(snippet, namespace)
    broker = ServiceBroker(logger=False, cacher="Memory")
    service = broker.create_service(namespace["Posts"])
    async with broker:
        assert await broker.call("posts.get", {"id": 5}) == {"id": 5}
        assert service.settings == {"pageSize": 20}
        assert [sub.name for sub in service.event_subscriptions] == ["user.*"]
        assert service.action_definitions["get"].definition["rest"] == "GET /:id"
