"""JSON Schema (OpenAPI 3.1 dialect) from an action's ``params``: fastest-validator rules or a pydantic model.

The FV schema is parsed by the broker's own parser (``broker.fv_rules.root_rule``), so the document describes
exactly what the validator accepts. Rules with no JSON Schema counterpart (``custom`` checks, ``class``,
``function``) become ``{}`` (anything), which never rejects a valid request.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from broker.fv_rules import NO, Rule, root_rule

__all__ = ["params_schema", "rule_schema"]

_FORMATS = {"email": "email", "url": "uri", "uuid": "uuid", "date": "date-time"}


def _string(rule: Rule, out: dict[str, Any]) -> None:
    opts = rule.opts
    out["type"] = "string"
    if "min" in opts:
        out["minLength"] = opts["min"]
    if "max" in opts:
        out["maxLength"] = opts["max"]
    if "length" in opts:
        out["minLength"] = out["maxLength"] = opts["length"]
    if rule.pattern is not None:
        out["pattern"] = rule.pattern.pattern
    if opts.get("enum") is not None:
        out["enum"] = list(opts["enum"])
    if opts.get("empty") is False and "minLength" not in out:
        out["minLength"] = 1


def _number(rule: Rule, out: dict[str, Any]) -> None:
    opts = rule.opts
    out["type"] = "integer" if opts.get("integer") else "number"
    if "min" in opts:
        out["minimum"] = opts["min"]
    if "max" in opts:
        out["maximum"] = opts["max"]
    if opts.get("positive"):
        out["exclusiveMinimum"] = 0
    if opts.get("negative"):
        out["exclusiveMaximum"] = 0
    if "equal" in opts:
        out["const"] = opts["equal"]


def _object(rule: Rule, out: dict[str, Any]) -> None:
    out["type"] = "object"
    if rule.props is None:
        return
    out["properties"] = {key: rule_schema(child) for key, child in rule.props.items() if child.type != "forbidden"}
    required = [key for key, child in rule.props.items() if _required(child)]
    if required:
        out["required"] = required
    if rule.opts.get("strict") == "remove" or not rule.opts.get("strict"):
        return
    out["additionalProperties"] = False


def _required(rule: Rule) -> bool:
    return not rule.optional and rule.default is NO and rule.type != "forbidden"


def rule_schema(rule: Rule) -> dict[str, Any]:
    """The JSON Schema of one normalised FV rule."""
    out: dict[str, Any] = {}
    kind = rule.type
    if kind == "string":
        _string(rule, out)
    elif kind in _FORMATS:
        out["type"], out["format"] = "string", _FORMATS[kind]
    elif kind == "number":
        _number(rule, out)
    elif kind == "boolean":
        out["type"] = "boolean"
    elif kind == "object":
        _object(rule, out)
    elif kind == "array":
        out["type"] = "array"
        if rule.items is not None:
            out["items"] = rule_schema(rule.items)
        if "min" in rule.opts:
            out["minItems"] = rule.opts["min"]
        if "max" in rule.opts:
            out["maxItems"] = rule.opts["max"]
    elif kind == "enum":
        out["enum"] = list(rule.opts.get("values") or [])
    elif kind == "equal":
        out["const"] = rule.opts.get("value")
    elif kind == "multi" and rule.alternatives:
        out["anyOf"] = [rule_schema(alt) for alt in rule.alternatives]
    if rule.default is not NO and not callable(rule.default):
        out["default"] = rule.default
    if (rule.nullable or rule.optional) and out:  # FV lets null through an optional rule too
        out = {"anyOf": [out, {"type": "null"}]}
    if rule.label:
        out["title"] = rule.label
    return out


def params_schema(params: Any, components: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema of an action's ``params`` (``None`` when it has none); pydantic ``$defs`` go to
    ``components`` (OpenAPI's ``components.schemas``)."""
    if params is None:
        return None
    if isinstance(params, type) and issubclass(params, BaseModel):
        schema = params.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        return schema
    if isinstance(params, dict | list):
        return rule_schema(root_rule(params))
    return {}
