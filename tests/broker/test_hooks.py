"""Action hooks: service-level (``*``, names, wildcards, ``|``), action-level, order, errors, method names."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Context
from broker.errors import MoleculerClientError, MoleculerError, ServiceSchemaError, ValidationError


def recorder(log: list[str], tag: str, returns_result: bool = False) -> Any:
    def hook(self: Any, ctx: Context, *rest: Any) -> Any:
        log.append(tag)
        return rest[0] if returns_result else None

    return hook


async def test_star_before_hook_runs_for_every_action(start_broker):
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"*": recorder(log, "all")}},
            "actions": {"a": lambda s, c: "a", "b": lambda s, c: "b"},
        }
    )
    await broker.call("s.a")
    await broker.call("s.b")
    assert log == ["all", "all"]


async def test_before_hook_return_value_is_ignored(start_broker):
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"*": lambda self, ctx: "ignored"}},
            "actions": {"a": lambda s, c: "result"},
        }
    )
    assert await broker.call("s.a") == "result"


async def test_before_hook_can_change_params(start_broker):
    def add_default(self: Any, ctx: Context) -> None:
        ctx.params.setdefault("limit", 10)

    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"list": add_default}},
            "actions": {"list": lambda s, ctx: ctx.params},
        }
    )
    assert await broker.call("s.list", {"offset": 5}) == {"offset": 5, "limit": 10}


async def test_named_hook_only_runs_for_its_action(start_broker):
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"a": recorder(log, "a-only")}},
            "actions": {"a": lambda s, c: 1, "b": lambda s, c: 2},
        }
    )
    await broker.call("s.b")
    assert log == []
    await broker.call("s.a")
    assert log == ["a-only"]


async def test_hook_keys_match_the_raw_name_of_a_versioned_service(start_broker):
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "s",
            "version": 3,
            "hooks": {"before": {"get": recorder(log, "get")}},
            "actions": {"get": lambda s, c: 1},
        }
    )
    await broker.call("v3.s.get")
    assert log == ["get"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("create-*", ["create-user", "create-post"]),
        ("*-user", ["create-user", "remove-user"]),
        ("create-*|*-user", ["create-user", "create-post", "remove-user"]),
        ("list|remove-user", ["remove-user", "list"]),
        ("l?st", ["list"]),
    ],
)
async def test_wildcard_and_alternative_hook_keys(start_broker, key, expected):
    log: list[str] = []

    def before(self: Any, ctx: Context) -> None:
        log.append(ctx.action.raw_name)

    actions = {name: (lambda s, c: None) for name in ("create-user", "create-post", "remove-user", "list")}
    broker = await start_broker({"name": "s", "hooks": {"before": {key: before}}, "actions": actions})
    for name in actions:
        await broker.call(f"s.{name}")
    assert log == [name for name in actions if name in expected]


async def test_single_service_hook_order(start_broker):
    """Reference §3.2: before ``*`` → named → action-level; after action-level → named → ``*``."""
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {
                "before": {
                    "*": recorder(log, "before*"),
                    "act": recorder(log, "before.act"),
                    "a*": recorder(log, "before.a*"),
                },
                "after": {"*": recorder(log, "after*", True), "act": recorder(log, "after.act", True)},
            },
            "actions": {
                "act": {
                    "hooks": {
                        "before": [recorder(log, "actBefore1"), recorder(log, "actBefore2")],
                        "after": recorder(log, "actAfter", True),
                    },
                    "handler": lambda self, ctx: log.append("handler") or "res",
                }
            },
        }
    )
    assert await broker.call("s.act") == "res"
    assert log == [
        "before*",
        "before.act",
        "before.a*",
        "actBefore1",
        "actBefore2",
        "handler",
        "actAfter",
        "after.act",
        "after*",
    ]


async def test_after_hooks_chain_the_result(start_broker):
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {
                "after": {
                    "*": lambda self, ctx, res: [*res, "*"],
                    "get": [lambda self, ctx, res: [*res, "named"]],
                }
            },
            "actions": {
                "get": {
                    "hooks": {"after": lambda self, ctx, res: [*res, "action"]},
                    "handler": lambda s, c: ["h"],
                }
            },
        }
    )
    assert await broker.call("s.get") == ["h", "action", "named", "*"]


async def test_async_hooks_are_awaited(start_broker):
    async def before(self: Any, ctx: Context) -> None:
        ctx.locals["stamp"] = "b"

    async def after(self: Any, ctx: Context, res: str) -> str:
        return res + ctx.locals["stamp"] + "a"

    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"*": before}, "after": {"*": after}},
            "actions": {"x": lambda s, c: "h"},
        }
    )
    assert await broker.call("s.x") == "hba"


async def test_before_hook_error_aborts_the_handler(start_broker):
    called: list[str] = []

    def deny(self: Any, ctx: Context) -> None:
        raise MoleculerClientError("Forbidden", 403, "FORBIDDEN")

    broker = await start_broker(
        {"name": "s", "hooks": {"before": {"*": deny}}, "actions": {"x": lambda s, c: called.append("x")}}
    )
    with pytest.raises(MoleculerClientError, match="Forbidden"):
        await broker.call("s.x")
    assert called == []


def failing(self: Any, ctx: Context) -> None:
    raise MoleculerError("handler failed", 500, "FAILED")


async def test_error_hook_can_recover_with_a_result(start_broker):
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"error": {"*": lambda self, ctx, err: f"recovered: {err}"}},
            "actions": {"x": failing},
        }
    )
    assert await broker.call("s.x") == "recovered: handler failed"


async def test_first_recovering_error_hook_stops_the_error_chain(start_broker):
    log: list[str] = []

    def recover(self: Any, ctx: Context, err: Exception) -> str:
        log.append("action")
        return "fixed"

    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"error": {"*": recorder(log, "star")}},
            "actions": {"x": {"hooks": {"error": recover}, "handler": failing}},
        }
    )
    assert await broker.call("s.x") == "fixed"
    assert log == ["action"]


async def test_error_hooks_run_action_then_named_then_star_and_can_replace_the_error(start_broker):
    log: list[str] = []

    def wrap(tag: str) -> Any:
        def hook(self: Any, ctx: Context, err: Exception) -> None:
            log.append(f"{tag}<{err}>")
            raise MoleculerError(f"{tag}({err})")

        return hook

    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"error": {"*": wrap("star"), "x": wrap("named")}},
            "actions": {"x": {"hooks": {"error": wrap("action")}, "handler": failing}},
        }
    )
    with pytest.raises(MoleculerError) as info:
        await broker.call("s.x")
    assert log == [
        "action<handler failed>",
        "named<action(handler failed)>",
        "star<named(action(handler failed))>",
    ]
    assert info.value.message == "star(named(action(handler failed)))"


async def test_error_hook_rethrowing_the_same_error_keeps_it(start_broker):
    def rethrow(self: Any, ctx: Context, err: Exception) -> None:
        ctx.meta["saw"] = type(err).__name__
        raise err

    broker = await start_broker({"name": "s", "hooks": {"error": {"*": rethrow}}, "actions": {"x": failing}})
    meta: dict[str, Any] = {}
    with pytest.raises(MoleculerError, match="handler failed"):
        await broker.call("s.x", meta=meta)
    assert meta == {"saw": "MoleculerError"}


async def test_error_hooks_also_catch_before_and_after_hook_errors(start_broker):
    def bad_after(self: Any, ctx: Context, res: Any) -> Any:
        raise ValueError("after broke")

    broker = await start_broker(
        {
            "name": "s",
            "hooks": {
                "after": {"x": bad_after},
                "error": {"*": lambda self, ctx, err: f"caught {type(err).__name__}"},
            },
            "actions": {"x": lambda s, c: 1},
        }
    )
    assert await broker.call("s.x") == "caught ValueError"


async def test_hooks_given_as_method_names(start_broker):
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "s",
            "methods": {
                "auth": lambda self, ctx: log.append("auth"),
                "stamp": lambda self, ctx, res: {**res, "stamped": True},
                "soften": lambda self, ctx, err: {"error": str(err)},
            },
            "hooks": {"before": {"*": "auth"}, "after": {"get": ["stamp"]}, "error": {"fail": "soften"}},
            "actions": {
                "get": {"hooks": {"before": ["auth"]}, "handler": lambda s, c: {"id": 1}},
                "fail": failing,
            },
        }
    )
    assert await broker.call("s.get") == {"id": 1, "stamped": True}
    assert log == ["auth", "auth"]
    assert await broker.call("s.fail") == {"error": "handler failed"}


def test_unknown_hook_method_name_is_a_schema_error(make_broker):
    broker = make_broker()
    with pytest.raises(ServiceSchemaError, match="nope"):
        broker.create_service(
            {"name": "s", "hooks": {"before": {"*": "nope"}}, "actions": {"x": lambda s, c: 1}}
        )


async def test_hooks_run_for_self_actions_calls_too(start_broker):
    log: list[str] = []

    async def outer(self: Any, ctx: Context) -> Any:
        return await self.actions.inner(parent_ctx=ctx)

    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"inner": recorder(log, "inner")}},
            "actions": {"outer": outer, "inner": lambda s, c: "in"},
        }
    )
    assert await broker.call("s.outer") == "in"
    assert log == ["inner"]


async def test_hooks_of_one_service_do_not_touch_another(start_broker):
    log: list[str] = []
    broker = await start_broker(
        {"name": "a", "hooks": {"before": {"*": recorder(log, "a")}}, "actions": {"x": lambda s, c: 1}},
        {"name": "b", "actions": {"x": lambda s, c: 2}},
    )
    await broker.call("b.x")
    assert log == []


async def test_hooks_receive_the_service_as_self(start_broker):
    seen: list[Any] = []
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"*": lambda self, ctx: seen.append(self)}},
            "actions": {"x": lambda s, c: 1},
        }
    )
    await broker.call("s.x")
    assert seen == [broker.get_local_service("s")]


async def test_validation_runs_before_the_before_hooks(start_broker):
    """The Validator wraps the ActionHook middleware: hooks see validated (converted) params."""
    seen: list[Any] = []
    broker = await start_broker(
        {
            "name": "s",
            "hooks": {"before": {"*": lambda self, ctx: seen.append(dict(ctx.params))}},
            "actions": {
                "x": {
                    "params": {"n": {"type": "number", "convert": True}},
                    "handler": lambda s, c: c.params["n"],
                }
            },
        }
    )
    assert await broker.call("s.x", {"n": "5"}) == 5
    assert seen == [{"n": 5}]
    with pytest.raises(ValidationError):
        await broker.call("s.x", {"n": "five"})
    assert len(seen) == 1
