"""Signatures are checked when the service is created (issue 7, item 3).

``def on_clean(self)`` (the JavaScript ``"cache.clean.product"() {}`` ported literally) cannot take the ``ctx``
the broker passes: it is refused by ``create_service`` with a ``ServiceSchemaError`` naming the service, the
function and the expected signature, instead of a ``TypeError`` logged at the first event.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from broker import Service, ServiceBroker, action, event
from broker.errors import ServiceSchemaError


def make() -> ServiceBroker:
    return ServiceBroker(logger=False)


def refused(schema: Any) -> ServiceSchemaError:
    with pytest.raises(ServiceSchemaError) as info:
        make().create_service(schema)
    return info.value


def ok(self: Any, ctx: Any) -> Any:
    return None


def test_event_handler_without_ctx_is_refused_naming_service_function_and_signature() -> None:
    def on_clean(self: Any) -> None:
        pass

    err = refused({"name": "products", "events": {"cache.clean.product": on_clean}})
    message = str(err)
    assert "'products'" in message and "on_clean" in message and "(self, ctx)" in message
    assert "cache.clean.product" in message
    assert err.data["service"] == "products"
    assert err.data["expected"] == "(self, ctx)"
    assert err.data["function"].endswith("on_clean")


def test_class_form_event_handler_without_ctx_is_refused() -> None:
    class Products(Service):
        name = "products"

        @event("cache.clean.product")
        def on_clean(self) -> None:
            pass

    err = refused(Products)
    assert "Products.on_clean" in str(err) and err.data["expected"] == "(self, ctx)"


def test_one_bad_handler_among_several_is_found() -> None:
    def second(self: Any) -> None:
        pass

    err = refused({"name": "s", "events": {"e": {"handler": [ok, second]}}})
    assert err.data["function"].endswith("second")


@pytest.mark.parametrize(
    "handler",
    [
        lambda self: None,  # JavaScript habit: no ctx
        lambda ctx: None,  # forgot self
        lambda self, ctx, extra: None,  # one argument too many
        lambda self, *, ctx: None,  # keyword-only ctx cannot be passed positionally
    ],
)
def test_action_handlers_that_cannot_take_service_and_ctx_are_refused(handler: Any) -> None:
    err = refused({"name": "posts", "actions": {"list": handler}})
    assert "action 'list'" in str(err) and err.data["expected"] == "(self, ctx)"


def test_class_form_action_is_checked_too() -> None:
    class Posts(Service):
        name = "posts"

        @action
        def list(self) -> None:
            pass

    assert refused(Posts).data["service"] == "posts"


@pytest.mark.parametrize(
    ("kind", "hook", "expected"),
    [
        ("before", lambda self: None, "(self, ctx)"),
        ("after", lambda self, ctx: None, "(self, ctx, res)"),
        ("error", lambda self, ctx: None, "(self, ctx, err)"),
    ],
)
def test_service_level_hooks_are_checked(kind: str, hook: Any, expected: str) -> None:
    err = refused({"name": "s", "hooks": {kind: {"*": hook}}, "actions": {"a": ok}})
    assert err.data["expected"] == expected and f"'{kind}' hook" in str(err)


def test_hooks_are_checked_even_when_no_action_matches_their_pattern() -> None:
    err = refused({"name": "s", "hooks": {"after": {"nothing-*": [lambda self, ctx: None]}}})
    assert "'nothing-*'" in str(err)


def test_action_level_hooks_and_method_name_hooks_are_checked() -> None:
    err = refused({"name": "s", "actions": {"a": {"handler": ok, "hooks": {"after": lambda self, ctx: None}}}})
    assert "of action 'a'" in str(err) and err.data["expected"] == "(self, ctx, res)"

    def stamp(self: Any) -> None:  # a method named as a hook: called as self.stamp(ctx)
        pass

    err = refused({"name": "s", "methods": {"stamp": stamp}, "hooks": {"before": {"*": "stamp"}}})
    assert err.data["expected"] == "(ctx)" and err.data["function"].endswith("stamp")


@pytest.mark.parametrize(
    ("kind", "handler", "expected"),
    [
        ("created", lambda self, broker: None, "(self)"),
        ("started", lambda self, extra: None, "(self)"),
        ("stopped", lambda: None, "(self)"),
        ("merged", lambda self: None, "(self, schema)"),
    ],
)
def test_lifecycle_handlers_are_checked(kind: str, handler: Any, expected: str) -> None:
    err = refused({"name": "s", kind: handler})
    assert err.data["expected"] == expected and f"'{kind}' lifecycle handler" in str(err)


def test_class_form_lifecycle_handler_is_checked() -> None:
    class S(Service):
        name = "s"

        def started(self, broker: Any) -> None:
            pass

    assert refused(S).data["expected"] == "(self)"


def test_methods_must_take_the_service() -> None:
    def helper() -> None:
        pass

    err = refused({"name": "s", "methods": {"helper": helper}})
    assert err.data["expected"] == "(self, ...)"


class CallableHandler:
    def __call__(self, service: Any, ctx: Any) -> str:
        return "called"


class Other:
    def handle(self, service: Any, ctx: Any) -> str:
        return "bound"


def extra(self: Any, ctx: Any, flag: int) -> int:
    return flag


@pytest.mark.parametrize(
    "handler",
    [
        lambda *args: "varargs",
        lambda self, *rest: "rest",
        lambda self, ctx, extra=None: "default",
        lambda self, ctx, *, opt=1: "keyword-only with default",
        functools.partial(extra, flag=3),
        CallableHandler(),
        Other().handle,
        max,  # a builtin without a readable signature: accepted
    ],
)
async def test_signatures_that_can_take_the_arguments_are_accepted(handler: Any) -> None:
    broker = make()
    broker.create_service({"name": "s", "actions": {"a": handler}, "events": {"e": handler}})


async def test_accepted_forms_still_work_when_called() -> None:
    broker = make()
    broker.create_service(
        {
            "name": "s",
            "actions": {"partial": functools.partial(extra, flag=3), "obj": CallableHandler(), "bound": Other().handle},
            "methods": {"helper": lambda self, a, b=2: a + b},
            "hooks": {"after": {"*": lambda self, ctx, res, *more: res}},
        }
    )
    async with broker:
        assert await broker.call("s.partial") == 3
        assert await broker.call("s.obj") == "called"
        assert await broker.call("s.bound") == "bound"
        assert broker.get_local_service("s").helper(1) == 3
