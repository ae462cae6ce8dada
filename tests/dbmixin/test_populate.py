"""populate_docs against a fake context that records every call and answers canned mappings."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from broker.errors import MoleculerClientError, MoleculerServerError, ServiceSchemaError
from dbmixin.populate import js_key, populate_docs

USERS = {"1": {"_id": 1, "name": "Ann"}, "2": {"_id": 2, "name": "Bob"}, "3": {"_id": 3, "name": "Cid"}}
TAGS = {"1": {"t": "one"}, "2": {"t": "two"}, "0": {"t": "zero"}}


class FakeCtx:
    """``call`` records ``(action, params)``; answers are values, exceptions or functions of the params."""

    def __init__(self, **answers: Any):
        self.answers = {name.replace("_", "."): value for name, value in answers.items()}
        self.calls: list[tuple[str, dict]] = []

    async def call(self, action: str, params: dict) -> Any:
        self.calls.append((action, copy.deepcopy(params)))
        answer = self.answers[action]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(params)
            if asyncio.iscoroutine(answer):
                answer = await answer
        return answer


def posts() -> list[dict]:
    return [
        {"_id": "p1", "author": 2, "tags": [1, 9, 1, 2], "reviewerId": 3},
        {"_id": "p2", "author": 1, "tags": [2], "reviewerId": None},
        {"_id": "p3", "author": 2, "tags": [], "reviewerId": 7},
    ]


async def test_string_rule_makes_one_call_with_unique_ids_in_first_seen_order():
    ctx = FakeCtx(users_get=USERS)
    docs = posts()
    got = await populate_docs(ctx, docs, ["author"], {"author": "users.get"}, service=None)
    assert got is docs
    assert ctx.calls == [("users.get", {"id": [2, 1], "mapping": True})]
    assert [d["author"] for d in docs] == [USERS["2"], USERS["1"], USERS["2"]]


async def test_scalar_id_not_found_sets_none():
    ctx = FakeCtx(users_get={"1": USERS["1"]})
    docs = [{"author": 1}, {"author": 5}, {"other": 1}]
    await populate_docs(ctx, docs, ["author"], {"author": "users.get"}, None)
    assert docs == [{"author": USERS["1"]}, {"author": None}, {"other": 1, "author": None}]


async def test_array_ids_keep_order_and_duplicates_and_drop_missing():
    ctx = FakeCtx(tags_get=TAGS)
    docs = posts()
    await populate_docs(ctx, docs, ["tags"], {"tags": "tags.get"}, None)
    assert ctx.calls == [("tags.get", {"id": [1, 9, 2], "mapping": True})]
    assert [d["tags"] for d in docs] == [[TAGS["1"], TAGS["1"], TAGS["2"]], [TAGS["2"]], []]


async def test_nested_id_lists_are_flattened():
    ctx = FakeCtx(tags_get=TAGS)
    docs = [{"tags": [[1, 2], [2]]}]
    await populate_docs(ctx, docs, ["tags"], {"tags": "tags.get"}, None)
    assert ctx.calls[0][1]["id"] == [1, 2]
    assert docs[0]["tags"] == [TAGS["1"], TAGS["2"], TAGS["2"]]


async def test_object_rule_reads_field_writes_the_key_and_merges_params():
    rules = {"reviewer": {"action": "users.get", "field": "reviewerId", "params": {"fields": ["name"]}}}
    before = copy.deepcopy(rules)
    ctx = FakeCtx(users_get=USERS)
    docs = posts()
    await populate_docs(ctx, docs, ["reviewer"], rules, None)
    assert ctx.calls == [("users.get", {"id": [3, 7], "mapping": True, "fields": ["name"]})]
    assert [(d["reviewerId"], d["reviewer"]) for d in docs] == [(3, USERS["3"]), (None, None), (7, None)]
    assert rules == before


async def test_rule_params_override_the_defaults():
    rules = {"author": {"action": "users.find", "params": {"mapping": False, "populate": ["x"]}}}
    ctx = FakeCtx(users_find={})
    await populate_docs(ctx, [{"author": 1}], ["author.group"], rules, None)
    assert ctx.calls == [("users.find", {"id": [1], "mapping": False, "populate": ["x"]})]


async def test_deep_populate_passes_the_rest_of_the_path_down():
    rules = {"author": {"action": "users.get", "populate": ["avatar"]}}
    ctx = FakeCtx(users_get=USERS)
    await populate_docs(
        ctx, posts(), ["author.group", "author", "author.group", "author.roles.x"], rules, None
    )
    assert ctx.calls == [
        ("users.get", {"id": [2, 1], "mapping": True, "populate": ["group", "roles.x", "avatar"]})
    ]
    assert rules == {"author": {"action": "users.get", "populate": ["avatar"]}}


async def test_the_first_matching_rule_key_wins_and_unmatched_requests_are_ignored():
    rules = {"author": "users.get", "author.group": "groups.get", "title": "titles.get"}
    ctx = FakeCtx(users_get=USERS)
    docs = posts()
    await populate_docs(ctx, docs, ["author.group", "voters", "title.invalid", "auth"], rules, None)
    assert ctx.calls == [("users.get", {"id": [2, 1], "mapping": True, "populate": ["group"]})]
    assert "voters" not in docs[0] and "title" not in docs[0]


async def test_only_unmatched_requests_make_no_call():
    ctx = FakeCtx()
    docs = posts()
    assert await populate_docs(ctx, docs, ["voters"], {"author": "users.get"}, None) == posts()
    assert ctx.calls == []


async def test_no_ids_means_no_call_and_no_key():
    ctx = FakeCtx()
    docs = [{"author": None}, {"author": ""}, {"title": "x"}, {"author": False}]
    await populate_docs(ctx, docs, ["author"], {"author": "users.get"}, None)
    assert ctx.calls == []
    assert docs == [{"author": None}, {"author": ""}, {"title": "x"}, {"author": False}]


async def test_zero_is_an_id_and_distinct_types_are_distinct_ids():
    ctx = FakeCtx(things_get={"0": "zero", "1": "one", "true": "yes"})
    docs = [{"t": 0}, {"t": 1}, {"t": "1"}, {"t": True}, {"t": 1.0}, {"t": [None, 0]}]
    await populate_docs(ctx, docs, ["t"], {"t": "things.get"}, None)
    assert ctx.calls[0][1]["id"] == [0, 1, "1", True]
    assert [d["t"] for d in docs] == ["zero", "one", "one", "yes", "one", ["zero"]]


async def test_result_keys_that_are_not_strings_are_matched_too():
    ctx = FakeCtx(users_get={1: USERS["1"], 2: USERS["2"]})
    docs = [{"author": 1}, {"author": "2"}]
    await populate_docs(ctx, docs, ["author"], {"author": "users.get"}, None)
    assert [d["author"] for d in docs] == [USERS["1"], USERS["2"]]


def test_js_key_follows_js_string():
    assert [js_key(v) for v in (5, "5", 1.0, 1.5, True, False, None, float("nan"), float("-inf"))] == [
        "5", "5", "1", "1.5", "true", "false", "null", "NaN", "-Infinity",
    ]  # fmt: skip


async def test_function_rule_gets_service_ids_docs_rule_and_ctx_and_fills_the_docs():
    seen: list = []
    service = object()

    def rule(svc, ids, docs, rule, ctx):
        seen.append((svc, ids, docs, rule, ctx))
        for doc in docs:
            doc["author"] = {"id": doc["author"]}

    ctx = FakeCtx()
    docs = posts()
    await populate_docs(ctx, docs, ["author"], {"author": rule}, service)
    (svc, ids, got_docs, got_rule, got_ctx), = seen  # fmt: skip
    assert (svc, ids, got_docs, got_ctx) == (service, [2, 1], docs, ctx)
    assert got_docs is docs and got_rule == {"handler": rule, "field": "author"}
    assert docs[1]["author"] == {"id": 1} and ctx.calls == []


async def test_async_handler_rule_with_field_is_awaited_even_without_ids():
    calls: list = []

    async def handler(svc, ids, docs, rule, ctx):
        await asyncio.sleep(0)
        calls.append((ids, rule["field"]))
        for doc in docs:
            doc["owner"] = "filled"

    rules = {"owner": {"handler": handler, "field": "ownerId"}}
    docs = {"title": "no owner id"}
    got = await populate_docs(FakeCtx(), docs, ["owner"], rules, None)
    assert got is docs and docs == {"title": "no owner id", "owner": "filled"}
    assert calls == [([], "ownerId")]
    assert rules == {"owner": {"handler": handler, "field": "ownerId"}}


async def test_one_call_per_rule_started_in_definition_order_and_run_concurrently():
    both_started = asyncio.Event()
    started: list[str] = []

    async def answer(name: str, mapping: dict) -> dict:
        started.append(name)
        if len(started) == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), 1)  # deadlocks (times out) if the calls ran one by one
        return mapping

    ctx = FakeCtx(users_get=lambda p: answer("users", USERS), tags_get=lambda p: answer("tags", TAGS))
    docs = posts()
    await populate_docs(ctx, docs, ["tags", "author"], {"author": "users.get", "tags": "tags.get"}, None)
    assert [action for action, _ in ctx.calls] == ["users.get", "tags.get"]
    assert started == ["users", "tags"]
    assert docs[0]["author"] == USERS["2"] and docs[0]["tags"][2] == TAGS["2"]


async def test_a_failing_call_raises_and_cancels_the_other_calls():
    cancelled = asyncio.Event()

    async def slow(params):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    boom = MoleculerClientError("nope")
    ctx = FakeCtx(users_get=slow, tags_get=boom)
    docs = posts()
    with pytest.raises(MoleculerClientError) as info:
        await populate_docs(ctx, docs, ["author", "tags"], {"author": "users.get", "tags": "tags.get"}, None)
    assert info.value is boom
    assert cancelled.is_set()
    assert docs == posts()


async def test_a_failing_handler_is_a_typed_500_naming_the_rule():
    def handler(*args):
        raise ValueError("bad handler")

    with pytest.raises(MoleculerServerError, match="bad handler") as info:
        await populate_docs(FakeCtx(), posts(), ["author"], {"author": handler}, None)
    assert info.value.code == 500 and info.value.type == "POPULATE_ERROR" and info.value.data == {"rule": "author"}
    assert "'author'" in info.value.message


async def test_a_handler_raising_a_moleculer_error_passes_it_through():
    boom = MoleculerClientError("nope")

    def handler(*args):
        raise boom

    with pytest.raises(MoleculerClientError) as info:
        await populate_docs(FakeCtx(), posts(), ["author"], {"author": handler}, None)
    assert info.value is boom


@pytest.mark.parametrize("answer", [[USERS["1"]], None, "x"])
async def test_a_non_mapping_answer_is_a_server_error_naming_the_rule(answer):
    ctx = FakeCtx(users_get=answer)
    with pytest.raises(MoleculerServerError) as info:
        await populate_docs(ctx, [{"writer": 1}], ["writer"], {"writer": "users.get"}, None)
    assert "writer" in info.value.message and "users.get" in info.value.message
    assert info.value.data == {"rule": "writer", "action": "users.get"}


@pytest.mark.parametrize("rule", [42, {"params": {}}, {"action": None}])
async def test_an_invalid_rule_is_a_schema_error(rule):
    with pytest.raises(ServiceSchemaError, match="'author'"):
        await populate_docs(FakeCtx(), posts(), ["author"], {"author": rule}, None)


async def test_dotted_keys_read_and_write_nested_paths():
    ctx = FakeCtx(users_get=USERS)
    docs = [{"likes": {"users": [1, 3], "count": 2}}, {"likes": {"users": []}}, {"title": "no likes"}]
    await populate_docs(ctx, docs, ["likes.users"], {"likes.users": "users.get"}, None)
    assert ctx.calls == [("users.get", {"id": [1, 3], "mapping": True})]
    assert docs[0] == {"likes": {"users": [USERS["1"], USERS["3"]], "count": 2}}
    assert docs[1] == {"likes": {"users": []}}
    assert docs[2] == {"title": "no likes", "likes": {"users": None}}


async def test_field_path_into_a_different_target_key():
    ctx = FakeCtx(users_get=USERS)
    docs = [{"meta": {"createdBy": 2}}]
    await populate_docs(
        ctx, docs, ["creator"], {"creator": {"action": "users.get", "field": "meta.createdBy"}}, None
    )
    assert docs == [{"meta": {"createdBy": 2}, "creator": USERS["2"]}]


@pytest.mark.parametrize("docs", [None, 5, "text"])
async def test_non_documents_pass_through(docs):
    ctx = FakeCtx()
    assert await populate_docs(ctx, docs, ["author"], {"author": "users.get"}, None) == docs
    assert ctx.calls == []


async def test_non_dict_items_of_a_list_are_skipped():
    ctx = FakeCtx(users_get=USERS)
    docs = [None, {"author": 1}, 7]
    assert await populate_docs(ctx, docs, ["author"], {"author": "users.get"}, None) == [
        None, {"author": USERS["1"]}, 7,
    ]  # fmt: skip


async def test_nothing_requested_or_no_rules_does_nothing():
    ctx = FakeCtx()
    for fields, rules in (([], {"author": "users.get"}), (["author"], {}), (["author"], None)):
        assert await populate_docs(ctx, posts(), fields, rules, None) == posts()
    assert ctx.calls == []


async def test_populate_fields_may_be_a_string():
    ctx = FakeCtx(users_get=USERS, tags_get=TAGS)
    await populate_docs(ctx, posts(), "author, tags", {"author": "users.get", "tags": "tags.get"}, None)
    assert [a for a, _ in ctx.calls] == ["users.get", "tags.get"]
