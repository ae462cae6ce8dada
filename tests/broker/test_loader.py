"""Loading services from ``*.service.py`` files (``load_service``/``load_services``)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from broker.errors import ServiceSchemaError


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


DICT_SERVICE = """
    def hello(self, ctx):
        return f"Hello {ctx.params.get('name', 'world')}"

    schema = {"name": "greeter", "actions": {"hello": hello}}
"""

CLASS_SERVICE = """
    from broker import Service, action

    class Math(Service):
        name = "math"

        @action(params={"a": "number", "b": "number"})
        def add(self, ctx):
            return ctx.params["a"] + ctx.params["b"]
"""


async def test_load_service_from_a_dict_schema_file(make_broker, tmp_path):
    path = write(tmp_path / "greeter.service.py", DICT_SERVICE)
    broker = make_broker()
    service = broker.load_service(str(path))
    assert service.name == "greeter"
    await broker.start()
    assert await broker.call("greeter.hello", {"name": "Ann"}) == "Hello Ann"


async def test_load_service_from_a_class_file(make_broker, tmp_path):
    path = write(tmp_path / "math.service.py", CLASS_SERVICE)
    broker = make_broker()
    service = broker.load_service(str(path))
    assert type(service).__name__ == "Math"
    await broker.start()
    assert await broker.call("math.add", {"a": 2, "b": 3}) == 5


async def test_service_attribute_may_name_the_schema(make_broker, tmp_path):
    path = write(
        tmp_path / "x.service.py",
        """
        from broker import Service

        class Helper(Service):
            name = "helper"

        class Real(Service):
            name = "real"
            mixins = [Helper]

        service = Real
    """,
    )
    assert make_broker().load_service(str(path)).name == "real"


async def test_load_services_loads_every_service_file_recursively(make_broker, tmp_path):
    write(tmp_path / "greeter.service.py", DICT_SERVICE)
    write(tmp_path / "nested" / "deeper" / "math.service.py", CLASS_SERVICE)
    write(tmp_path / "helpers.py", "raise RuntimeError('not a service file, must not be imported')\n")
    broker = make_broker()
    assert broker.load_services(str(tmp_path)) == 2
    assert {s.name for s in broker.services} == {"greeter", "math"}


async def test_load_services_with_a_file_mask(make_broker, tmp_path):
    write(tmp_path / "greeter.service.py", DICT_SERVICE)
    write(tmp_path / "nested" / "math.service.py", CLASS_SERVICE)
    broker = make_broker()
    assert broker.load_services(str(tmp_path), "*.service.py") == 1
    assert [s.name for s in broker.services] == ["greeter"]


async def test_load_services_from_an_empty_folder(make_broker, tmp_path):
    assert make_broker().load_services(str(tmp_path)) == 0


async def test_a_service_loaded_after_start_is_started(make_broker, tmp_path):
    broker = make_broker()
    await broker.start()
    broker.load_service(str(write(tmp_path / "greeter.service.py", DICT_SERVICE)))
    await broker.wait_for_services(["greeter"], timeout=500)
    assert await broker.call("greeter.hello") == "Hello world"


def test_missing_file_is_a_schema_error(make_broker, tmp_path):
    with pytest.raises(ServiceSchemaError, match="not found"):
        make_broker().load_service(str(tmp_path / "nope.service.py"))


def test_file_without_a_schema_is_a_schema_error(make_broker, tmp_path):
    path = write(tmp_path / "empty.service.py", "X = 1\n")
    with pytest.raises(ServiceSchemaError, match="must define"):
        make_broker().load_service(str(path))


def test_file_with_two_service_classes_and_no_schema_is_ambiguous(make_broker, tmp_path):
    path = write(
        tmp_path / "two.service.py",
        """
        from broker import Service

        class A(Service):
            name = "a"

        class B(Service):
            name = "b"
    """,
    )
    with pytest.raises(ServiceSchemaError, match="exactly one"):
        make_broker().load_service(str(path))


def test_imported_service_classes_do_not_count(make_broker, tmp_path):
    path = write(
        tmp_path / "one.service.py",
        """
        from broker import Service

        class Only(Service):
            name = "only"
    """,
    )
    assert make_broker().load_service(str(path)).name == "only"


def test_same_file_name_in_two_folders_keeps_both_modules(make_broker, tmp_path):
    first = write(tmp_path / "a" / "users.service.py", CLASS_SERVICE)
    second = write(tmp_path / "b" / "users.service.py", CLASS_SERVICE.replace('"math"', '"math2"'))
    broker = make_broker()
    one, two = broker.load_service(str(first)), broker.load_service(str(second))
    assert sys.modules[type(one).__module__].__file__ == str(first)
    assert sys.modules[type(two).__module__].__file__ == str(second)


def test_a_failing_service_file_raises_its_error_and_leaves_no_module(make_broker, tmp_path):
    path = write(tmp_path / "broken.service.py", "raise ImportError('missing dependency')\n")
    before = set(sys.modules)
    with pytest.raises(ImportError, match="missing dependency"):
        make_broker().load_service(str(path))
    assert {name for name in set(sys.modules) - before if name.startswith("moleculer_services")} == set()
