"""Mixins merge exactly as Moleculer's ``applyMixins``/``mergeSchemas`` (reference §1.2)."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Service
from broker.errors import ServiceSchemaError
from broker.schema import apply_mixins, merge_schemas
from broker.utils import defaults_deep

# -- lodash defaultsDeep ---------------------------------------------------------------------------------------


def test_defaults_deep_merges_lists_index_by_index():
    assert defaults_deep({"a": [1]}, {"a": [5, 6]}) == {"a": [1, 6]}


def test_defaults_deep_keeps_none_already_in_the_source():
    assert defaults_deep({"a": None}, {"a": 5, "b": 2}) == {"a": None, "b": 2}


def test_defaults_deep_fills_nested_missing_keys_only():
    src = {"db": {"host": "svc", "opts": {"ssl": True}}}
    assert defaults_deep(src, {"db": {"host": "mixin", "port": 5432, "opts": {"ssl": False, "pool": 5}}}) == {
        "db": {"host": "svc", "port": 5432, "opts": {"ssl": True, "pool": 5}}
    }


def test_defaults_deep_merges_dicts_inside_lists():
    assert defaults_deep(
        {"routes": [{"path": "/api"}]}, {"routes": [{"path": "/x", "cors": True}, {"path": "/y"}]}
    ) == {"routes": [{"path": "/api", "cors": True}, {"path": "/y"}]}


def test_defaults_deep_does_not_share_containers_with_the_target():
    target = {"nested": {"list": [1]}}
    merged = defaults_deep({}, target)
    merged["nested"]["list"].append(2)
    assert target == {"nested": {"list": [1]}}


def test_defaults_deep_keeps_a_scalar_over_a_dict():
    assert defaults_deep({"a": 1}, {"a": {"b": 2}}) == {"a": 1}


# -- the observed example -------------------------------------------------------------------------------------


def tagged(tag: str, log: list[str], **extra: Any) -> dict[str, Any]:
    """A schema whose every handler records ``<what><tag>`` in ``log``."""

    def rec(what: str) -> Any:
        def handler(self: Any, *args: Any) -> Any:
            log.append(f"{what}{tag}")
            if "after" in what.lower():
                return args[1]
            return None

        return handler

    return {
        "name": tag.lower(),
        "settings": {f"only{tag}": tag, "shared": tag, "nested": {tag: 1}, "$secureSettings": [f"sec{tag}"]},
        "dependencies": [f"dep{tag}"],
        "merged": rec("merged"),
        "created": rec("created"),
        "started": rec("started"),
        "stopped": rec("stopped"),
        "events": {"ev.x": rec("ev")},
        "hooks": {
            "before": {"*": rec("before*"), "act": rec("before.act")},
            "after": {"*": rec("after*"), "act": rec("after.act")},
        },
        "actions": {
            "act": {
                "params": {f"p{tag}": "any|optional"},
                "hooks": {"before": rec("actBefore"), "after": rec("actAfter")},
                "handler": lambda self, ctx: log.append(f"handler{tag}") or tag,
            },
            "gone": lambda self, ctx: tag,
        },
        "methods": {"m": lambda self: tag},
        **extra,
    }


@pytest.fixture
def observed(make_broker):
    log: list[str] = []
    a, b = tagged("A", log), tagged("B", log)
    s = tagged("S", log, mixins=[a, b])
    s["actions"]["gone"] = False
    broker = make_broker(*({"name": f"dep{tag}"} for tag in "SAB"))
    service = broker.create_service(s)
    return broker, service, log


def phase(log: list[str], prefix: str) -> list[str]:
    return [entry.removeprefix(prefix) for entry in log if entry.startswith(prefix)]


def test_merged_and_created_run_b_a_s(observed):
    _, _, log = observed
    assert phase(log, "merged") == ["B", "A", "S"]
    assert phase(log, "created") == ["B", "A", "S"]


async def test_started_runs_b_a_s_and_stopped_runs_s_a_b(observed):
    broker, _, log = observed
    await broker.start()
    assert phase(log, "started") == ["B", "A", "S"]
    await broker.stop()
    assert phase(log, "stopped") == ["S", "A", "B"]


def test_service_settings_win_and_mixin_keys_are_added(observed):
    _, service, _ = observed
    settings = service.settings
    assert settings["shared"] == "S"
    assert (settings["onlyA"], settings["onlyB"], settings["onlyS"]) == ("A", "B", "S")
    assert settings["nested"] == {"S": 1, "A": 1, "B": 1}
    assert settings["$secureSettings"] == ["secS", "secA", "secB"]


def test_dependencies_are_concatenated_service_first(observed):
    assert observed[1].dependencies == ["depS", "depA", "depB"]


def test_action_keeps_service_handler_and_unions_params(observed):
    _, service, _ = observed
    act = service.action_definitions["act"]
    assert set(act.params) == {"pS", "pA", "pB"}
    assert "gone" not in service.action_definitions


def test_method_is_the_services_version(observed):
    assert observed[1].m() == "S"


async def test_event_handlers_run_b_a_s(observed):
    broker, _, log = observed
    await broker.start()
    log.clear()
    await broker.broadcast("ev.x")
    assert phase(log, "ev") == ["B", "A", "S"]


async def test_one_call_runs_hooks_in_the_observed_seven_step_order(observed):
    broker, _, log = observed
    await broker.start()
    log.clear()
    assert await broker.call("s.act") == "S"
    assert log == [
        "before*B",
        "before*A",
        "before*S",
        "before.actB",
        "before.actA",
        "before.actS",
        "actBeforeB",
        "actBeforeA",
        "actBeforeS",
        "handlerS",
        "actAfterS",
        "actAfterA",
        "actAfterB",
        "after.actS",
        "after.actA",
        "after.actB",
        "after*S",
        "after*A",
        "after*B",
    ]


# -- three levels -------------------------------------------------------------------------------------------


async def test_three_level_mixin_chain_orders_handlers_deepest_first(make_broker):
    log: list[str] = []
    c = tagged("C", log)
    b = tagged("B", log, mixins=[c])
    a = tagged("A", log, mixins=b)  # a single mixin need not be in a list
    s = tagged("S", log, mixins=[a])
    broker = make_broker(s, *({"name": f"dep{tag}"} for tag in "SABC"))
    service = broker.get_local_service("s")
    assert phase(log, "created") == ["C", "B", "A", "S"]
    assert service.dependencies == ["depS", "depA", "depB", "depC"]
    assert service.settings["$secureSettings"] == ["secS", "secA", "secB", "secC"]
    assert set(service.action_definitions["act"].params) == {"pS", "pA", "pB", "pC"}
    await broker.start()
    log.clear()
    await broker.call("s.act")
    assert phase(log, "before*") == ["C", "B", "A", "S"]
    assert phase(log, "actAfter") == ["S", "A", "B", "C"]
    assert phase(log, "after*") == ["S", "A", "B", "C"]
    await broker.stop()
    assert phase(log, "stopped") == ["S", "A", "B", "C"]


async def test_three_level_tree_with_shared_grandchild(make_broker):
    """S mixes [A, B]; A mixes [C]; B mixes [C]: every copy of C's handlers runs, in fold order."""
    log: list[str] = []
    c = tagged("C", log)
    s = tagged("S", log, mixins=[tagged("A", log, mixins=[c]), tagged("B", log, mixins=[c])])
    broker = make_broker(s)
    assert phase(log, "created") == ["C", "B", "C", "A", "S"]
    assert broker.get_local_service("s").dependencies == ["depS", "depA", "depC", "depB"]


# -- each rule on its own -------------------------------------------------------------------------------------


def test_name_and_version_are_overwritten_only_when_given():
    assert merge_schemas({"name": "m", "version": 2}, {"name": "s"}) == {"name": "s", "version": 2}
    assert merge_schemas({"name": "m"}, {"name": None})["name"] == "m"


def test_settings_lists_merge_index_by_index_through_mixins():
    mixed = apply_mixins(
        {
            "settings": {"routes": [{"path": "/api"}]},
            "mixins": [{"settings": {"routes": [{"path": "/m", "auth": True}, {"path": "/extra"}]}}],
        }
    )
    assert mixed["settings"]["routes"] == [{"path": "/api", "auth": True}, {"path": "/extra"}]


def test_metadata_is_defaults_deep():
    mixed = apply_mixins(
        {"metadata": {"a": 1, "n": {"x": 1}}, "mixins": [{"metadata": {"a": 2, "b": 3, "n": {"y": 2}}}]}
    )
    assert mixed["metadata"] == {"a": 1, "b": 3, "n": {"x": 1, "y": 2}}


def test_service_hooks_concatenate_before_mixin_first_after_and_error_service_first():
    def m(*_: Any) -> None: ...
    def s(*_: Any) -> None: ...

    mixed = merge_schemas(
        {"hooks": {"before": {"*": m}, "after": {"*": m}, "error": {"get": m}}},
        {"hooks": {"before": {"*": s}, "after": {"*": [s]}, "error": {"get": s, "list": s}}},
    )
    assert mixed["hooks"] == {
        "before": {"*": [m, s]},
        "after": {"*": [s, m]},
        "error": {"get": [s, m], "list": [s]},
    }


def test_action_level_hooks_concatenate_with_the_same_rule():
    def m(*_: Any) -> None: ...
    def s(*_: Any) -> None: ...

    mixed = merge_schemas(
        {"actions": {"a": {"hooks": {"before": m, "after": [m], "error": m}, "handler": m}}},
        {"actions": {"a": {"hooks": {"before": s, "after": s}, "handler": s}}},
    )
    assert mixed["actions"]["a"]["hooks"] == {"before": [m, s], "after": [s, m], "error": m}
    assert mixed["actions"]["a"]["handler"] is s


def test_action_properties_are_defaults_deep_with_the_service_winning():
    def m(*_: Any) -> None: ...
    def s(*_: Any) -> None: ...

    mixed = merge_schemas(
        {
            "actions": {
                "a": {
                    "handler": m,
                    "cache": {"keys": ["id"], "ttl": 5},
                    "rest": "GET /m",
                    "params": {"x": "number"},
                }
            }
        },
        {"actions": {"a": {"handler": s, "cache": {"ttl": 10}, "params": {"y": "string"}}}},
    )
    assert mixed["actions"]["a"] == {
        "handler": s,
        "cache": {"ttl": 10, "keys": ["id"]},
        "rest": "GET /m",
        "params": {"y": "string", "x": "number"},
    }


def test_a_bare_function_action_takes_mixin_properties():
    def m(*_: Any) -> None: ...
    def s(*_: Any) -> None: ...

    mixed = merge_schemas({"actions": {"a": {"handler": m, "visibility": "public"}}}, {"actions": {"a": s}})
    assert mixed["actions"]["a"] == {"handler": s, "visibility": "public"}


async def test_false_action_removes_the_mixins_action(make_broker):
    broker = make_broker(
        {
            "name": "s",
            "mixins": [{"actions": {"drop": lambda self, ctx: 1, "keep": lambda s, c: 2}}],
            "actions": {"drop": False},
        }
    )
    await broker.start()
    assert set(broker.get_local_service("s").action_definitions) == {"keep"}


async def test_service_action_after_a_mixin_removed_it_is_kept(make_broker):
    removing = {"actions": {"act": False}}
    providing = {"actions": {"act": lambda self, ctx: "from-b"}}
    broker = make_broker(
        {"name": "s", "mixins": [removing, providing], "actions": {"act": lambda s, c: "mine"}}
    )
    await broker.start()
    assert await broker.call("s.act") == "mine"


def test_methods_overwrite_by_name():
    def m1(self): ...
    def m2(self): ...
    def s1(self): ...

    assert merge_schemas({"methods": {"a": m1, "b": m2}}, {"methods": {"a": s1}})["methods"] == {
        "a": s1,
        "b": m2,
    }


def test_events_concatenate_handlers_and_defaults_deep_other_properties():
    def m(*_: Any) -> None: ...
    def s(*_: Any) -> None: ...

    mixed = merge_schemas(
        {"events": {"e": {"handler": m, "group": "mail", "params": {"a": "number"}}, "only.mixin": m}},
        {"events": {"e": {"handler": s, "params": {"b": "string"}}, "only.svc": s}},
    )
    assert mixed["events"]["e"] == {
        "handler": [m, s],
        "group": "mail",
        "params": {"b": "string", "a": "number"},
    }
    assert mixed["events"]["only.mixin"] == m
    assert mixed["events"]["only.svc"] == {"handler": s}


def test_event_group_from_the_service_wins():
    def m(*_: Any) -> None: ...

    mixed = merge_schemas(
        {"events": {"e": {"handler": m, "group": "g1"}}}, {"events": {"e": {"handler": m, "group": "g2"}}}
    )
    assert mixed["events"]["e"]["group"] == "g2"


def test_lifecycle_handlers_concatenate_mixin_first_and_drop_empties():
    def m(self): ...
    def s(self): ...

    mixed = merge_schemas(
        {"started": [m, None], "created": m}, {"started": s, "stopped": None, "created": [s]}
    )
    assert mixed["started"] == [m, s]
    assert mixed["created"] == [m, s]
    assert mixed["stopped"] == []


def test_dependencies_deduplicate_by_equality_service_first():
    mixed = merge_schemas(
        {"dependencies": ["a", {"name": "b", "version": 2}, "c"]},
        {"dependencies": ["c", {"name": "b", "version": 2}, None]},
    )
    assert mixed["dependencies"] == ["c", {"name": "b", "version": 2}, "a"]


def test_unknown_keys_take_the_service_value_unless_none():
    assert merge_schemas({"adapter": "mixin", "model": "m"}, {"adapter": "svc", "model": None}) == {
        "adapter": "svc",
        "model": "m",
    }


def test_merge_does_not_mutate_its_inputs():
    mixin = {"settings": {"a": {"b": 1}}, "started": [print], "hooks": {"before": {"*": [print]}}}
    svc = {"settings": {"a": {"c": 2}}, "started": print, "hooks": {"before": {"*": print}}}
    merge_schemas(mixin, svc)
    assert mixin == {"settings": {"a": {"b": 1}}, "started": [print], "hooks": {"before": {"*": [print]}}}
    assert svc == {"settings": {"a": {"c": 2}}, "started": print, "hooks": {"before": {"*": print}}}


def test_a_mixin_used_by_two_services_is_not_changed_by_either(make_broker):
    mixin = {
        "settings": {"limit": 10},
        "actions": {"list": {"params": {"limit": "number"}, "handler": lambda s, c: 1}},
    }
    broker = make_broker()
    first = broker.create_service({"name": "one", "mixins": [mixin], "settings": {"limit": 1}})
    second = broker.create_service({"name": "two", "mixins": [mixin]})
    first.settings["extra"] = True
    assert second.settings == {"limit": 10}
    assert mixin["settings"] == {"limit": 10}


def test_custom_merge_rule_from_a_service_class(make_broker):
    class Tagged(Service):
        name = "t"
        tags = ["b"]
        mixins = [{"tags": ["c", "a"]}]

        @staticmethod
        def merge_schema_tags(src: Any, target: Any) -> Any:
            return sorted(set(target or []) | set(src or []))

    svc = make_broker(Tagged).get_local_service("t")
    assert svc.schema["tags"] == ["a", "b", "c"]


def test_merged_can_modify_the_schema_before_fields_are_set(make_broker):
    seen: dict[str, Any] = {}

    def merged(self: Any, schema: dict[str, Any]) -> None:
        seen["has_name"] = hasattr(self, "name") and isinstance(getattr(self, "name", None), str)
        schema["settings"]["myProp"] = "myValue"
        schema["actions"]["find"]["params"]["offset"] = "number"

    broker = make_broker()
    svc = broker.create_service(
        {
            "name": "posts",
            "settings": {},
            "merged": merged,
            "actions": {"find": {"params": {"limit": "number"}, "handler": lambda s, c: []}},
        }
    )
    assert seen["has_name"] is False
    assert svc.settings["myProp"] == "myValue"
    assert svc.action_definitions["find"].params == {"limit": "number", "offset": "number"}


def test_merged_from_mixins_sees_the_fully_merged_schema(make_broker):
    seen: list[Any] = []
    mixin = {"merged": lambda self, schema: seen.append(sorted(schema["settings"]))}
    make_broker({"name": "s", "mixins": [mixin], "settings": {"svc": 1}})
    assert seen == [["svc"]]


def test_missing_name_after_merge_is_a_schema_error(make_broker):
    broker = make_broker()
    with pytest.raises(ServiceSchemaError, match="Service name can't be empty"):
        broker.create_service({"mixins": [{"settings": {}}]})


def test_name_can_come_from_a_mixin(make_broker):
    broker = make_broker()
    assert broker.create_service({"mixins": [{"name": "from-mixin"}]}).name == "from-mixin"


def test_invalid_mixin_is_a_schema_error(make_broker):
    broker = make_broker()
    with pytest.raises(ServiceSchemaError):
        broker.create_service({"name": "s", "mixins": [42]})
