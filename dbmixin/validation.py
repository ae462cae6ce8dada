"""``settings.entityValidator`` compiled into one check, whose failures are always typed errors.

Accepted forms (anything else is a ``ServiceSchemaError`` when the service is created):

* a **function** ``fn(entity)`` or ``fn(self, entity)``, sync or async (moleculer-db's contract: it sees whole
  entities). Its outcome: returning ``False`` → 422; returning a string → 422 with that message; returning
  anything else → valid, the entity is kept as it is. Raising a ``MoleculerError`` → passed through; a pydantic
  ``ValidationError`` → 422 with one entry per error, ``field`` from its ``loc``; ``ValueError``/``TypeError``/
  ``AssertionError`` → 422 whose ``field`` is ``entity`` and whose message is the exception's; any other
  exception → a 500 ``ENTITY_VALIDATOR_ERROR`` naming the service (a bug in the validator, not bad input).
* a **fastest-validator dict** (the broker's validator language). Fields it does not declare are kept unless the
  schema says ``$$strict`` (then a 422 naming them).
* a **pydantic model class**. The model's own ``extra`` setting decides undeclared fields, as pydantic documents:
  ``"ignore"`` (the default) drops them — a ``slug`` set by ``before_entity_create`` vanishes unless the model
  declares it —, ``"allow"`` keeps them, ``"forbid"`` is a 422 naming them. The stored entity is the model's
  ``model_dump()``, so conversions and defaults are written. The id field (``settings.idField``) is the exception:
  unless the model declares it, the model never sees it and an id given on ``create``/``insert`` is kept.

Every failure is ``ValidationError("Entity validation error!", data=[{type, field, message, actual}, ...])``.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic

from broker import Validator, call_maybe_async
from broker.errors import MoleculerError, MoleculerServerError, ServiceSchemaError, ValidationError

__all__ = ["EntityCheck", "compile_entity_validator", "entity_error"]

EntityCheck = Callable[[Any], Awaitable[Any]]

_MESSAGE = "Entity validation error!"


def entity_error(data: list[dict[str, Any]]) -> ValidationError:
    """The 422 every entity validation failure becomes."""
    return ValidationError(_MESSAGE, data=data)


def _entry(type_: str, field: str, message: str, actual: Any = None) -> dict[str, Any]:
    return {"type": type_, "field": field, "message": message, "actual": actual}


def _from_pydantic(err: pydantic.ValidationError) -> ValidationError:
    data = []
    for item in err.errors():
        field = ".".join(str(p) for p in item.get("loc", ())) or "entity"
        data.append(_entry(str(item.get("type", "entity")), field, f"The '{field}' field: {item.get('msg', '')}",
                           repr(item.get("input"))[:80] if "input" in item else None))  # fmt: skip
    return entity_error(data)


def _from_exception(exc: Exception, service_name: str) -> MoleculerError:
    """A user validator's exception as a typed error (see the module docstring)."""
    if isinstance(exc, MoleculerError):
        return exc
    if isinstance(exc, pydantic.ValidationError):
        return _from_pydantic(exc)
    if isinstance(exc, ValueError | TypeError | AssertionError):
        text = str(exc) or type(exc).__name__
        return entity_error([_entry("entityValidator", "entity", f"The entity is not valid: {text}")])
    return MoleculerServerError(
        f"The entityValidator of '{service_name}' failed: {type(exc).__name__}: {exc}",
        500,
        "ENTITY_VALIDATOR_ERROR",
        {"service": service_name},
    )


def _is_model(rule: Any) -> bool:
    return isinstance(rule, type) and issubclass(rule, pydantic.BaseModel)


def compile_entity_validator(service: Any, rule: Any, partial: bool = False) -> EntityCheck | None:
    """An async ``check(entity) -> entity`` for the rule (``None`` when there is none); ``ServiceSchemaError`` for a
    form that is not accepted. ``partial`` (dict and pydantic rules) makes every top-level field optional."""
    if rule is None:
        return None
    name = getattr(service, "full_name", "?")
    if callable(rule) and not isinstance(rule, type):
        try:
            positional = [
                p for p in inspect.signature(rule).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]  # fmt: skip
        except (TypeError, ValueError):  # a builtin without a signature: called with the entity only
            positional = []
        fn = types.MethodType(rule, service) if inspect.isfunction(rule) and len(positional) >= 2 else rule

        async def check_function(entity: Any) -> Any:
            try:
                outcome = await call_maybe_async(fn, entity)
            except Exception as exc:
                raise _from_exception(exc, name) from exc
            if outcome is False:
                raise entity_error([_entry("entityValidator", "entity", "The entity is not valid.")])
            if isinstance(outcome, str):
                raise entity_error([_entry("entityValidator", "entity", outcome)])
            return entity

        return check_function
    if not (isinstance(rule, dict) or _is_model(rule)):
        raise ServiceSchemaError(
            f"settings.entityValidator of '{name}' must be a function, a validator schema dict or a pydantic model "
            f"class, not {type(rule).__name__}.",
            {"entityValidator": repr(rule)[:80]},
        )
    validator = getattr(getattr(service, "broker", None), "validator", None) or Validator()
    try:
        compiled = validator.compile(rule, partial=partial)
    except MoleculerError:
        raise
    except Exception as exc:
        raise ServiceSchemaError(f"settings.entityValidator of '{name}' does not compile: {exc}") from exc

    id_field = _undeclared_id(service, rule)

    async def check_schema(entity: Any) -> Any:
        saved: tuple[Any, ...] = ()
        if id_field is not None and isinstance(entity, dict) and id_field in entity:
            entity = dict(entity)
            saved = (entity.pop(id_field),)
        try:
            out = compiled(entity)
        except ValidationError as err:
            raise entity_error(err.data) from None
        except Exception as exc:
            raise _from_exception(exc, name) from exc
        return {id_field: saved[0], **out} if saved and isinstance(out, dict) else out

    return check_schema


def _undeclared_id(service: Any, rule: Any) -> str | None:
    """The public id field when ``rule`` is a pydantic model that does not declare it (by name or alias), else
    ``None``. Such a model never sees the id a caller gives on ``create``/``insert``, and the id is kept: pydantic
    cannot declare ``_id`` (a private name), and its ``extra`` setting would drop (``ignore``) or refuse
    (``forbid``) it, so a client-chosen id would silently vanish or be a 422."""
    if not _is_model(rule):
        return None
    settings = getattr(service, "settings", None)
    id_field = settings.get("idField", "_id") if isinstance(settings, dict) else "_id"
    declared = set(rule.model_fields)
    for info in rule.model_fields.values():
        declared.update(a for a in (info.alias, info.validation_alias) if isinstance(a, str))
    return None if id_field in declared else id_field
