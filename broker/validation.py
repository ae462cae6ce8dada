"""Action/event params validation: fastest-validator's schema language and errors, checked by pydantic-core.

``Validator().compile(schema)`` turns an FV schema (or a pydantic model class) into a ``check(params)`` that
returns the validated, possibly converted params or raises ``ValidationError`` whose ``data`` is FV's error
list (``{type, message, field, expected?, actual}``). The schema is compiled once into a
``pydantic_core.SchemaValidator``, so a valid call costs about a microsecond; only failures run Python code:
the Python reference of FV's check (``fv_explain``) re-checks the params and gives FV's errors. How far this
agrees with fastest-validator 1.19, and where it differs on purpose: docs/validator.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaError, SchemaSerializer, SchemaValidator, core_schema
from pydantic_core import ValidationError as CoreValidationError

from .errors import ServiceSchemaError, ValidationError
from .fv_core import build
from .fv_explain import run
from .fv_messages import fv_error
from .fv_rules import NO, Rule, join_path, root_rule

__all__ = ["Validator", "map_model_errors"]

Check = Callable[[Any], Any]


class Validator:
    """The broker's default validator (``validator=True``): compile once per action, check on every call."""

    def compile(self, schema: dict[str, Any] | list[Any] | type[BaseModel], partial: bool = False) -> Check:
        """Compile an FV schema or a pydantic model; ``partial`` makes every top-level field optional.

        Raises ``ServiceSchemaError`` for an invalid schema, so mistakes surface when the service is created.
        """
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return _compile_model(schema, partial)
        try:
            root = root_rule(schema)
            validate = SchemaValidator(build(root, partial)).validate_python
        except ServiceSchemaError:
            raise
        except SchemaError as exc:  # a rule value pydantic-core rejects that the FV checks let through
            raise ServiceSchemaError(f"Invalid validator schema: {exc}") from None
        except Exception as exc:  # anything else a garbage schema makes Python raise: still a schema error
            raise ServiceSchemaError(f"Invalid validator schema: {type(exc).__name__}: {exc}") from None
        return _checker(root, validate, partial)

    def validate(self, params: Any, schema: dict[str, Any] | list[Any] | type[BaseModel]) -> Any:
        """Compile and check in one go (FV's ``v.validate``); prefer ``compile`` for anything called twice."""
        return self.compile(schema)(params)


def _checker(root: Rule, validate: Check, partial: bool) -> Check:
    """The compiled check: pydantic-core first; on any failure the Python reference (``fv_explain``) decides.

    The reference's verdict wins: its errors become the ``ValidationError``, and if it finds none (the compiled
    schema is sometimes stricter than FV, never looser) its converted value is returned.
    """

    def check(params: Any) -> Any:
        try:
            return validate(params)
        except Exception:  # CoreValidationError, or anything a hostile value made pydantic-core raise
            pass
        try:
            value, errors = run(root, params, partial)
        except Exception as exc:  # params that cannot be checked at all (nested past Python's recursion limit)
            problem = {"type": "invalid", "message": f"The parameters cannot be validated: {type(exc).__name__}.",
                       "field": "", "actual": None}  # fmt: skip
            raise ValidationError("Parameters validation error!", data=[problem]) from None
        if errors:
            raise ValidationError("Parameters validation error!", data=errors) from None
        return value

    return check


# ------------------------------------------------------------------------------------------------ helpers
def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path = path + f"[{part}]" if isinstance(part, int) else join_path(path, str(part))
    return path


def _generic(error: Any, path: str) -> dict[str, Any]:
    return {"type": error["type"], "message": error["msg"], "field": path, "actual": error.get("input")}


def _extra_keys(errors: list[Any]) -> dict[tuple[Any, ...], list[str]]:
    """Unknown keys per object location: FV reports them in one ``objectStrict`` error per object."""
    extras: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            extras.setdefault(error["loc"][:-1], []).append(str(error["loc"][-1]))
    return extras


# ------------------------------------------------------------------------------------------ pydantic models
_FROM_PYDANTIC = {
    "missing": "required", "string_type": "string", "string_too_short": "stringMin",
    "string_too_long": "stringMax", "string_pattern_mismatch": "stringPattern", "int_type": "number",
    "int_parsing": "number", "float_type": "number", "float_parsing": "number", "finite_number": "number",
    "int_from_float": "numberInteger", "greater_than_equal": "numberMin", "less_than_equal": "numberMax",
    "multiple_of": "numberStep",
    "bool_type": "boolean", "bool_parsing": "boolean", "list_type": "array", "too_short": "arrayMin",
    "too_long": "arrayMax", "dict_type": "object", "model_type": "object", "model_attributes_type": "object",
    "literal_error": "enumValue", "enum": "enumValue", "datetime_type": "date", "datetime_parsing": "date",
    "datetime_from_date_parsing": "date", "uuid_type": "uuid", "uuid_parsing": "uuid", "url_type": "url",
    "url_parsing": "url",
}  # fmt: skip
_EXPECTED_FROM = {"stringMin": "min_length", "stringMax": "max_length", "arrayMin": "min_length",
                  "arrayMax": "max_length", "numberMin": "ge", "numberMax": "le", "numberStep": "multiple_of",
                  "enumValue": "expected", "stringPattern": "pattern"}  # fmt: skip


def _model_error(error: Any) -> dict[str, Any]:
    path, kind = _path(error["loc"]), _FROM_PYDANTIC.get(error["type"])
    if kind is None:
        return _generic(error, path)
    context = error.get("ctx") or {}
    expected = context.get(_EXPECTED_FROM.get(kind, ""), NO)
    actual = None if kind == "required" else error.get("input")
    if kind in ("stringMin", "stringMax", "arrayMin", "arrayMax") and isinstance(actual, Sized):
        actual = len(actual)
    return fv_error(None, path, (kind, expected, actual))


def map_model_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """pydantic's errors in FV's shape; the unknown keys of one nested object become a single ``objectStrict``
    naming the object; at the root, each unknown key is one ``objectStrict`` whose ``field`` is the key."""
    extras, out = _extra_keys(errors), []
    for error in errors:
        if error["type"] != "extra_forbidden":
            out.append(_model_error(error))
        elif not error["loc"][:-1]:  # at the root, name each unknown key, as for an FV ``$$strict`` schema
            key = str(error["loc"][-1])
            out.append({**fv_error(None, "", ("objectStrict", NO, key)), "field": key})
        elif (keys := extras.pop(error["loc"][:-1], None)) is not None:
            out.append(fv_error(None, _path(error["loc"][:-1]), ("objectStrict", NO, ", ".join(keys))))
    return out


def _model_fields_schema(model: type[BaseModel]) -> core_schema.CoreSchema:
    """The model's fields as a typed dict where nothing is required and nothing defaults (for ``partial``).

    Field validators and constraints are kept; model-level validators are dropped (they expect a whole model).
    """
    schema: Any = model.__pydantic_core_schema__
    definitions: list[Any] = []
    if schema["type"] == "definitions":
        definitions, schema = schema["definitions"], schema["schema"]
    by_ref = {definition.get("ref"): definition for definition in definitions}
    config = None
    while schema["type"] != "model-fields":
        if schema["type"] == "definition-ref" and schema["schema_ref"] in by_ref:
            schema = by_ref[schema["schema_ref"]]
        elif schema["type"] == "model":
            config, schema = schema.get("config"), schema["schema"]
        elif schema["type"].startswith("function-") and "schema" in schema:
            schema = schema["schema"]
        else:
            raise ServiceSchemaError(f"Partial validation is not supported for the model '{model.__name__}'.")
    fields = {
        name: core_schema.typed_dict_field(
            field["schema"]["schema"] if field["schema"]["type"] == "default" else field["schema"],
            required=False,
            validation_alias=field.get("validation_alias"),
            serialization_alias=field.get("serialization_alias"),
            serialization_exclude=field.get("serialization_exclude"),
        )
        for name, field in schema["fields"].items()
    }
    typed_dict = core_schema.typed_dict_schema(fields, config=config)
    return core_schema.definitions_schema(typed_dict, definitions) if definitions else typed_dict


def _compile_model(model: type[BaseModel], partial: bool) -> Check:
    validate: Callable[[Any], Any]
    dump: Callable[[Any], Any]
    if partial:
        schema = _model_fields_schema(model)
        validate, dump = SchemaValidator(schema).validate_python, SchemaSerializer(schema).to_python
    else:
        validate, dump = model.__pydantic_validator__.validate_python, BaseModel.model_dump

    def check(params: Any) -> Any:
        try:
            return dump(validate(params))
        except CoreValidationError as exc:
            data = map_model_errors(exc.errors())
            raise ValidationError("Parameters validation error!", data=data) from None

    return check
