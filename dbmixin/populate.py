"""Populate: replace ids in documents by the entities they refer to, fetched from other services.

moleculer-db's ``populateDocs`` (reference §5.10), with these choices made explicit:

* **Falsy ids.** Top-level ``None``, ``""``, ``False`` and NaN are not ids; ``0`` (and ``0.0``) is kept,
  because 0 is a legitimate SQL key (lodash's ``_.compact`` dropped it). Inside an id list only ``None`` is
  dropped.
* **Id identity.** Ids are de-duplicated by kind and value, first occurrence first: ``1``, ``"1"`` and
  ``True`` are three ids (Python's ``True == 1`` would merge them); ``1`` and ``1.0`` are one number (JS).
* **Lookups** use the JS ``String()`` of an id, because a ``mapping`` result crosses the wire as a JSON object
  whose keys are strings: ``5`` → ``"5"``, ``1.0`` → ``"1"``, ``True`` → ``"true"``, ``None`` → ``"null"``.
  Result keys are normalised the same way, so a local callee answering ``{5: …}`` works too.
* **Not found.** A scalar id that the callee did not return sets the target to ``None`` (JS set
  ``undefined``); missing entries of an id list are dropped (order and duplicates kept).
* **Capped callees.** A ``get`` that refuses so many ids (its ``maxLimit``, a 422 ``arrayMax`` with
  ``expected``) is called again in slices of that size, concurrently, and the mappings merged.
* **Failures raise.** A failing call propagates (the other calls are cancelled) and a callee that does not
  answer a mapping is a ``MoleculerServerError`` naming the rule; nothing is silently left unpopulated.
* **Determinism.** Calls run concurrently, started in rule-definition order, but their results are applied in
  definition order once all have answered. The rules (and their ``params``) are never mutated.
"""

from __future__ import annotations

import asyncio
import copy
import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from adapters.query_values import MISSING
from broker import call_maybe_async, js_string
from broker.errors import MoleculerError, MoleculerServerError, ServiceSchemaError, ValidationError

from .fields import to_path

__all__ = ["MAX_POPULATE_LEVEL", "js_key", "populate_docs"]

MAX_POPULATE_LEVEL = 16
"""The deepest call level at which a populate may still call other services: deep populate paths
(``parent.parent.…``) and self-referencing rules over cyclic data end there with a 422 instead of recursing without
end (Moleculer's ``maxCallLevel`` is unlimited by default)."""



js_key = js_string  # entities come back keyed by JS object keys: String(id)


# -------------------------------------------------------------------------------------------- path helpers


def _get(obj: Any, path: str) -> Any:
    """lodash ``_.get``: dotted/bracket path through dicts and lists; ``MISSING`` when it is not there."""
    for segment in to_path(obj, path):
        if isinstance(obj, Mapping):
            if segment not in obj:
                return MISSING
            obj = obj[segment]
        elif isinstance(obj, list) and segment.isascii() and segment.isdigit() and int(segment) < len(obj):
            obj = obj[int(segment)]
        else:
            return MISSING
    return obj


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    """lodash ``_.set``: create (or replace non-container) intermediates; a numeric next segment → a list."""
    segments = to_path(obj, path)
    target: Any = obj
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if isinstance(target, list):
            if not (segment.isascii() and segment.isdigit()):
                return  # a named key on a list cannot be represented; lodash would set an array property
            key: Any = int(segment)
            if key >= len(target):
                target.extend([None] * (key + 1 - len(target)))
        else:
            key = segment
        if last:
            target[key] = value
            return
        current = target[key] if isinstance(target, list) else target.get(key)
        if not isinstance(current, dict | list):
            nxt = segments[i + 1]
            current = [] if nxt.isascii() and nxt.isdigit() else {}
            target[key] = current
        target = current


# ------------------------------------------------------------------------------------------------ id lists


def _is_id(value: Any) -> bool:
    """Top-level filter: ``None``, ``""``, ``False`` and NaN are not ids (0 is)."""
    if value is None or value is False or value == "":
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _flatten_ids(value: Any, out: list[Any]) -> None:
    if isinstance(value, list | tuple):
        for item in value:
            _flatten_ids(item, out)
    elif value is not None:
        out.append(value)


def _identity(value: Any) -> tuple[str, Any]:
    """Kind and value, so ``1``, ``"1"`` and ``True`` differ while ``1`` and ``1.0`` coincide."""
    if isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, int | float):
        kind = "number"
    else:
        kind = type(value).__qualname__
    return kind, value if isinstance(value, Hashable) else repr(value)


def _unique(values: list[Any]) -> list[Any]:
    seen: set[tuple[str, Any]] = set()
    out = []
    for value in values:
        ident = _identity(value)
        if ident not in seen:
            seen.add(ident)
            out.append(value)
    return out


def _expand(obj: Any, path: str) -> list[str]:
    """The concrete paths a ``$`` path reaches in ``obj`` (``"v.$.c"`` → ``["v.0.c", "v.1.c"]``); a path without
    ``$`` is itself."""
    segments = path.split(".")
    if "$" not in segments:
        return [path]
    out: list[str] = []

    def walk(node: Any, i: int, done: list[str]) -> None:
        if i == len(segments):
            out.append(".".join(done))
            return
        segment = segments[i]
        if segment == "$":
            if isinstance(node, list):
                for idx, item in enumerate(node):
                    walk(item, i + 1, [*done, str(idx)])
            return
        if i == len(segments) - 1:
            walk(None, i + 1, [*done, segment])
        elif isinstance(node, Mapping) and segment in node:
            walk(node[segment], i + 1, [*done, segment])

    walk(obj, 0, [])
    return out


def _collect_ids(docs: list[Any], field: str) -> list[Any]:
    """Unique ids found at ``field`` across ``docs`` (every element for a ``$`` path), in first-seen order, list
    values flattened."""
    ids: list[Any] = []
    for doc in docs:
        if isinstance(doc, Mapping):
            for path in _expand(doc, field):
                value = _get(doc, path)
                if value is not MISSING and _is_id(value):
                    _flatten_ids(value, ids)
    return _unique(ids)


# --------------------------------------------------------------------------------------------------- rules


def _normalise(key: str, rule: Any) -> dict[str, Any]:
    """A fresh ``{action|handler, field, params, populate}`` dict for any accepted rule form."""
    if callable(rule):
        out: dict[str, Any] = {"handler": rule}
    elif isinstance(rule, str):
        out = {"action": rule}
    elif isinstance(rule, Mapping) and (isinstance(rule.get("action"), str) or callable(rule.get("handler"))):
        out = dict(rule)
        if rule.get("params") is not None:
            out["params"] = copy.deepcopy(dict(rule["params"]))
        if isinstance(rule.get("populate"), str):
            out["populate"] = [p for p in rule["populate"].replace(",", " ").split() if p]  # as the request param
        elif rule.get("populate") is not None:
            out["populate"] = list(rule["populate"])
    else:
        raise ServiceSchemaError(
            f"Invalid populate rule '{key}': expected an action name, a function or a dict with "
            f"'action' or 'handler'.",
            {"rule": key},
        )
    if out.get("field") is None:
        out["field"] = key
    return out


def _group(populate_fields: list[str], keys: list[str]) -> dict[str, list[str]]:
    """Requested fields by the first rule key that is the field itself or one of its dotted prefixes."""
    groups: dict[str, list[str]] = {}
    for field in populate_fields:
        for key in keys:
            if field == key or field.startswith(key + "."):
                groups.setdefault(key, []).append(field)
                break
    return groups


def _call_params(key: str, rule: dict[str, Any], requested: list[str], ids: list[Any]) -> dict[str, Any]:
    """``{id, mapping: True, populate?}`` plus the rule's own params (which win)."""
    nested: list[str] = []
    for path in [*(f[len(key) + 1 :] for f in requested), *(rule.get("populate") or [])]:
        if path and path not in nested:
            nested.append(path)
    params: dict[str, Any] = {"id": ids, "mapping": True, "populate": nested, **(rule.get("params") or {})}
    if not params.get("populate"):
        params.pop("populate", None)
    return params


def _id_cap(err: ValidationError, asked: int) -> int | None:
    """The callee's id cap when ``err`` is a ``get`` refusing ``asked`` ids as too many (an ``arrayMax`` on ``id``
    that says its ``expected`` maximum), else ``None``."""
    for entry in err.data if isinstance(err.data, list) else []:
        if isinstance(entry, Mapping) and entry.get("type") == "arrayMax" and entry.get("field") == "id":
            cap = entry.get("expected")
            if type(cap) is int and 0 < cap < asked:
                return cap
    return None


async def _fetch(ctx: Any, key: str, rule: dict[str, Any], requested: list[str], ids: list[Any]) -> Any:
    """One action rule's call. When the callee caps how many ids one ``get`` takes (its ``maxLimit``) and the page
    holds more related ids, the ids are fetched in slices of that size and the mappings merged: a cap meant for
    one caller's request never makes a legitimate populate fail."""
    try:
        return await ctx.call(rule["action"], _call_params(key, rule, requested, ids))
    except ValidationError as err:
        cap = _id_cap(err, len(ids))
        if cap is None:
            raise
        first = err
    slices = [ids[i : i + cap] for i in range(0, len(ids), cap)]
    parts = await asyncio.gather(*(ctx.call(rule["action"], _call_params(key, rule, requested, s)) for s in slices))
    merged: dict[Any, Any] = {}
    for part in parts:
        if not isinstance(part, Mapping):
            raise first
        merged.update(part)
    return merged


def _apply(key: str, rule: dict[str, Any], docs: list[Any], result: Any) -> None:
    """Write the fetched entities into every doc at ``key``, reading the ids at ``rule["field"]``."""
    if not isinstance(result, Mapping):
        raise MoleculerServerError(
            f"Populate rule '{key}': action '{rule['action']}' returned {type(result).__name__}, "
            f"expected a mapping of ids to entities (is it a moleculer-db 'get' action?).",
            data={"rule": key, "action": rule["action"]},
        )
    found = {js_key(k): v for k, v in result.items()}
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        pairs = [(p, p) for p in _expand(doc, key)] if "$" in key.split(".") else [(rule["field"], key)]
        for source, target in pairs:
            ids = _get(doc, source)
            if isinstance(ids, list | tuple):
                flat: list[Any] = []
                _flatten_ids(ids, flat)
                value: Any = [e for e in (found.get(js_key(i)) for i in flat) if e is not None]
            else:
                value = None if ids is MISSING else found.get(js_key(ids))
            _set(doc, target, value)


async def _run_handler(key: str, handler: Callable[..., Any], *args: Any) -> None:
    """A populate handler's outcome; an exception that is not a ``MoleculerError`` becomes a 500
    ``POPULATE_ERROR`` naming the rule."""
    try:
        await call_maybe_async(handler, *args)
    except MoleculerError:
        raise
    except Exception as exc:
        raise MoleculerServerError(
            f"The populate handler of rule '{key}' failed: {type(exc).__name__}: {exc}",
            500,
            "POPULATE_ERROR",
            {"rule": key},
        ) from exc


# ----------------------------------------------------------------------------------------------- populate


async def populate_docs(
    ctx: Any,
    docs: Any,
    populate_fields: list[str] | str | None,
    rules: Mapping[str, Any] | None,
    service: Any,
) -> Any:
    """Fill the ``populate_fields`` of ``docs`` (a dict or a list of dicts, mutated in place and returned).

    Each requested field is handled by the first rule whose key is the field or a dotted prefix of it; the
    rest of the path is passed on as the callee's ``populate`` (``"author.group"`` → ``populate: ["group"]``),
    and unknown fields are ignored. An action rule makes one call,
    ``ctx.call(action, {"id": ids, "mapping": True, …})``, with the unique ids of all docs (no call when
    there are none); a function rule (or ``{"handler": fn}``) is called as
    ``fn(service, ids, docs, rule, ctx)`` — sync or async, even without ids — and fills the docs itself.
    """
    if isinstance(populate_fields, str):
        populate_fields = [f for f in populate_fields.replace(",", " ").split() if f]
    if not rules or not populate_fields or not isinstance(docs, dict | list):
        return docs
    items: list[Any] = docs if isinstance(docs, list) else [docs]
    groups = _group(list(populate_fields), list(rules))
    level = getattr(ctx, "level", 1)
    if groups and isinstance(level, int) and level >= MAX_POPULATE_LEVEL:
        raise ValidationError(
            "Parameters validation error!",
            data=[{"type": "populateDepth", "field": "populate", "actual": sorted(groups),
                   "message": f"Populate is nested too deeply (call level {level}, at most {MAX_POPULATE_LEVEL})."}],
        )  # fmt: skip

    planned: list[tuple[str, dict[str, Any]] | None] = []  # per job: (key, rule) of an action call, or None
    jobs: list[Any] = []
    for key in (k for k in rules if k in groups):
        rule = _normalise(key, rules[key])
        ids = _collect_ids(items, rule["field"])
        if rule.get("handler") is not None:
            planned.append(None)
            jobs.append(_run_handler(key, rule["handler"], service, ids, items, rule, ctx))
        elif ids:
            planned.append((key, rule))
            jobs.append(_fetch(ctx, key, rule, groups[key], ids))
    if not jobs:
        return docs

    tasks = [asyncio.ensure_future(job) for job in jobs]  # scheduled, hence started, in definition order
    try:
        results = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for plan, result in zip(planned, results, strict=True):
        if plan is not None:
            _apply(plan[0], plan[1], items, result)
    return docs
