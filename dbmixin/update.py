"""``update``: every change is checked against the entity validator as the WHOLE entity it produces.

moleculer-db skipped the validator on update; validating only the changed fields let ``$set``/``$unset``/``$inc``,
dotted paths and ``useDotNotation`` store what ``create`` refuses, and a function validator written for whole
entities saw a fragment. Here, when the service has a validator (or overrides ``validate_entity``):

1. the stored entity is read and the update applied to a copy with the portable update semantics
   (``adapters.apply_update``);
2. the result (without its id) is validated in full mode — a refused change is a 422, nothing written;
3. what the validator returned is written (its conversions and defaults included: every top-level field that is
   touched or differs from the stored one is ``$set``, fields the validator dropped are ``$unset``) with one
   atomic compare-and-set: ``find_one_and_update({_id: id, <every top-level field as read>, <each new field>:
   {$exists: false}}, …)``, so a concurrent change to ANY field (cross-field rules included) makes it match
   nothing. Then the entity is re-read and the whole check re-run, up to ``UPDATE_ATTEMPTS`` times, then a 409
   ``CONFLICT``.

Without a validator an update is one ``update_by_id`` call. Params: ``id`` (or the public ``idField`` name) picks
the entity (both given with different values is a 422: ids are immutable; moleculer-db let the last one win);
``$set``, ``$unset`` and ``$inc`` are operators; any other key is a top-level ``$set`` (flattened to
dotted paths with ``useDotNotation``); other ``$`` keys are a 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters import EntityAlreadyExistsError, apply_update, parse_update
from broker.errors import MoleculerClientError, ValidationError

from .errors import EntityNotFoundError
from .fields import flatten
from .lifecycle import validate_entity
from .params import MAX_INT, check_depth

__all__ = ["MAX_ENTITY_DEPTH", "UPDATE_ATTEMPTS", "check_entity", "entity_id_of", "invalid", "update_entity"]

MAX_ENTITY_DEPTH = 64
"""How deeply an entity or an update may nest dicts/lists (deeper is a 422: it could only exhaust the stack)."""

UPDATE_ATTEMPTS = 5
"""How many times a validated update re-reads and re-checks an entity changed concurrently before a 409."""

_OPERATORS = ("$set", "$unset", "$inc")


def invalid(field: str, message: str, actual: Any = None, type_: str = "entity") -> ValidationError:
    """A 422 with one entry naming ``field``."""
    return ValidationError("Parameters validation error!",
                           data=[{"type": type_, "field": field, "message": message, "actual": actual}])  # fmt: skip


def check_entity(entity: Any, field: str, keys: bool = False) -> None:
    """422 unless ``entity`` is a dict of bounded depth (``MAX_ENTITY_DEPTH``) whose numbers are finite and whose
    integers fit in 64 bits; with ``keys`` (entities to store), its field names at every level must also be
    addressable by the query language: non-empty strings without ``.`` and not starting with ``$`` (MongoDB
    refuses them too)."""
    if not isinstance(entity, Mapping):
        raise invalid(field, f"The '{field}' field must be an object.", type(entity).__name__)
    issue = check_depth(entity, field, MAX_ENTITY_DEPTH, MAX_INT, keys)
    if issue is not None:
        raise ValidationError("Parameters validation error!", data=[issue])


def entity_id_of(self: Any, params: Mapping[str, Any]) -> Any:
    """The raw id of a write's params: ``id``, else the public id field (``settings.idField``)."""
    if "id" in params:
        return params["id"]
    return params.get(self._id_field())


def _update_document(self: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The update operators of the params (plain keys gathered into ``$set``)."""
    id_field = self._id_field()
    changes: dict[str, Any] = {}
    update: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("id", id_field):
            continue
        if not isinstance(key, str):
            raise invalid(str(key), "A field name must be a string.", repr(key)[:80], "updateOperator")
        if key in _OPERATORS:
            if isinstance(value, Mapping | list | tuple) and id_field != self.adapter.id_key:
                for path in value:
                    if isinstance(path, str) and path.split(".", 1)[0] == id_field:
                        raise invalid(f"{key}.{path}", f"'{id_field}' cannot be changed: ids are immutable", path,
                                      "update")  # fmt: skip
            update[key] = value
        elif key.startswith("$"):
            raise invalid(key, f"Unknown update operator '{key}'.", key, "updateOperator")
        else:
            changes[key] = value
    if changes:
        if self.settings.get("useDotNotation"):
            changes = flatten(changes)
        given = update.get("$set", {})
        if not isinstance(given, Mapping):
            raise invalid("$set", "$set needs an object of fields", repr(given)[:80], "updateOperator")
        overlap = set(given) & set(changes)
        if overlap:
            key = sorted(overlap)[0]
            raise invalid(key, f"'{key}' is given both as a field and in $set.", key, "updateOperator")
        update["$set"] = {**given, **changes}
    sets = update.get("$set")
    if isinstance(sets, Mapping):  # what $set writes obeys create's rules: depth, numbers, storable field names
        for path, value in sets.items():
            if not isinstance(path, str):
                continue  # parse_update names it
            room = MAX_ENTITY_DEPTH - path.count(".") - 1
            where = path if path in changes else f"$set.{path}"  # a plain key is named as the caller gave it
            issue = check_depth(value, where, max(room, 0), MAX_INT, keys=True)
            if issue is not None:
                raise ValidationError("Parameters validation error!", data=[issue])
    return update


def _validates(self: Any) -> bool:
    if getattr(self, "_entity_check", None) is not None:
        return True
    return getattr(self.validate_entity, "__func__", validate_entity) is not validate_entity


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _expected(value: Any) -> Any:
    """The compare-and-set condition for a value as read."""
    if value is None:
        return {"$exists": True, "$eq": None}
    return {"$eq": value}


async def update_entity(self: Any, ctx: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Change one entity (see the module docstring); returns it transformed. 404 if there is no such entity, 422
    for a malformed or invalid change, 409 when concurrent writes keep winning."""
    check_entity(params, "params")
    given = params
    params = await self.before_entity_change("update", params, ctx)
    if params is not given:
        check_entity(params, "params")
    raw_id = entity_id_of(self, params)
    if raw_id is None:
        raise invalid("id", "The 'id' field is required.", None, "required")
    id_field = self._id_field()
    if id_field != "id" and "id" in params and id_field in params and not _same(params[id_field], raw_id):
        raise invalid(id_field, f"'{id_field}' cannot be changed: ids are immutable", params[id_field], "update")
    entity_id = self.decode_id(raw_id)
    id_key = self.adapter.id_key
    document = _update_document(self, params)
    try:
        if not document:
            stored = await self.adapter.find_by_id(entity_id)
        elif not _validates(self):
            stored = await self.adapter.update_by_id(entity_id, document)  # the adapter parses it: 422 before a write
        else:
            parsed = parse_update(document, id_key)  # a malformed update is a 422 before anything is read or written
            stored = await _validated_update(self, entity_id, parsed, raw_id) if parsed else (
                await self.adapter.find_by_id(entity_id))  # fmt: skip
    except EntityAlreadyExistsError as err:
        raise _unique_clash(self, err) from None
    if stored is None:
        raise EntityNotFoundError(raw_id)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("updated", json, ctx, stored)
    return json


def _unique_clash(self: Any, err: EntityAlreadyExistsError) -> EntityAlreadyExistsError:
    """A unique-index 409 of an update without the clashing values of hidden fields: an ``$inc`` computes the value
    from the stored one, so the value would reveal it."""
    visibility = getattr(self, "_visibility", None)
    data = err.data if isinstance(err.data, dict) else {}
    fields, values = data.get("fields"), data.get("values")
    if visibility is None or not isinstance(fields, list) or not isinstance(values, list):
        return err
    shown = [None if isinstance(f, str) and visibility.hidden(f) else v for f, v in zip(fields, values, strict=False)]
    return err if shown == values else EntityAlreadyExistsError(fields=fields, values=shown)


def _redacted(self: Any, err: ValidationError) -> ValidationError:
    """``err`` without the values of fields hidden from callers: the whole entity is validated, so an error may be
    about a stored field the caller cannot see (``excludeFields``, outside ``fields``); its ``actual`` is withheld."""
    visibility = getattr(self, "_visibility", None)
    if visibility is None or not isinstance(err.data, list):
        return err
    data = []
    for entry in err.data:
        field = entry.get("field") if isinstance(entry, dict) else None
        if isinstance(field, str) and field and visibility.hidden(field):
            actual = entry.get("actual")
            message = str(entry.get("message", ""))
            if actual is not None and str(actual) and str(actual) in message:
                message = message.replace(str(actual), "<hidden>")
            entry = {**entry, "actual": None, "message": message}
        data.append(entry)
    return ValidationError(err.message, data=data)


async def _validated_update(self: Any, entity_id: Any, parsed: Any, raw_id: Any) -> dict[str, Any] | None:
    id_key = self.adapter.id_key
    touched = {path.split(".", 1)[0] for path in parsed.paths}
    for _ in range(UPDATE_ATTEMPTS):
        stored = await self.adapter.find_by_id(entity_id)
        if stored is None:
            raise EntityNotFoundError(raw_id)
        after = apply_update(stored, parsed)
        public = {k: v for k, v in after.items() if k != id_key}
        try:
            validated = await self.validate_entity(public)
        except ValidationError as err:
            raise _redacted(self, err) from None
        if not isinstance(validated, Mapping):
            validated = public
        check_entity(validated, "entity", keys=True)
        sets = {
            k: v for k, v in validated.items()
            if k != id_key and (k in touched or k not in stored or not _same(stored[k], v))
        }  # fmt: skip
        unsets = [k for k in stored if k != id_key and k not in validated]
        if not sets and not unsets:
            return stored
        condition: dict[str, Any] = {key: _expected(value) for key, value in stored.items() if key != id_key}
        condition.update({key: {"$exists": False} for key in {*sets, *touched} if key not in stored})
        condition[id_key] = entity_id
        write: dict[str, Any] = {}
        if sets:
            write["$set"] = sets
        if unsets:
            write["$unset"] = dict.fromkeys(unsets, "")
        updated = await self.adapter.find_one_and_update(condition, write)
        if updated is not None:
            return updated
    raise MoleculerClientError(
        f"The entity '{raw_id}' kept changing while it was being updated; try again.",
        409,
        "CONFLICT",
        {"id": raw_id},
    )
