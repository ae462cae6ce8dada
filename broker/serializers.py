"""Serializers turn a packet payload (a dict) into bytes and back. Only Moleculer's ``JSON`` is provided.

Moleculer's JSON serializer is ``Buffer.from(JSON.stringify(payload))``: UTF-8 JSON without framing. ``NaN`` and
infinities, which ``JSON.stringify`` writes as ``null``, are written as ``null`` here too; datetimes and dates as
ISO 8601 text (``isoformat``, as a ``Date``'s ``toJSON`` and as the gateway writes them, so an answer reads the same
from a remote node or a Redis cache as from a local call); other values JSON cannot carry (sets, ...) as lists or
with ``str``, as the nearest to JavaScript's ``toJSON``/``String``.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from .errors import BrokerOptionsError

__all__ = ["JSONSerializer", "Serializer", "resolve_serializer"]


class Serializer:
    """Base: ``serialize(payload: dict) -> bytes``, ``deserialize(data: bytes) -> dict``; both raise ``ValueError``
    for what they cannot carry (``Transit`` drops such an incoming packet)."""

    def serialize(self, payload: dict[str, Any]) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def deserialize(self, data: bytes) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):  # as a Node Buffer serialises
        return {"type": "Buffer", "data": list(value)}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return str(value)


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (JSON.parse refuses it)")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default, allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


class JSONSerializer(Serializer):
    """UTF-8 JSON, compatible with Moleculer's ``JSONSerializer``. One encoder and decoder serve every packet
    (``json.dumps`` with options builds a new encoder per call, a third of its cost for a small packet)."""

    def serialize(self, payload: dict[str, Any]) -> bytes:
        try:
            try:
                text = _ENCODER.encode(payload)
            except ValueError:  # NaN/Infinity somewhere: JSON.stringify writes null
                text = _ENCODER.encode(_no_nan(payload))
        except RecursionError:  # nested past the recursion limit (or a cycle through lists and dicts)
            raise ValueError("the payload is nested too deeply to serialise") from None
        return text.encode("utf-8")

    def deserialize(self, data: bytes) -> dict[str, Any]:
        """The payload dict; ``ValueError`` for bytes that are not UTF-8 JSON of an object, for ``NaN`` and
        ``Infinity`` (not JSON: Moleculer's ``JSON.parse`` refuses them too) and for nesting deeper than Python's
        recursion limit lets the decoder go (about 1000 levels)."""
        try:
            value = _DECODER.decode(data.decode("utf-8"))
        except RecursionError:
            raise ValueError("the payload is nested too deeply") from None
        if not isinstance(value, dict):
            raise ValueError("a packet payload must be a JSON object")
        return value


def resolve_serializer(option: Any) -> Serializer:
    """``"JSON"`` (default), ``{"type": "JSON"}`` or a ``Serializer`` instance."""
    if option is None:
        return JSONSerializer()
    if isinstance(option, Serializer):
        return option
    name = option.get("type") if isinstance(option, dict) else option
    if isinstance(name, str) and name.upper() == "JSON":
        return JSONSerializer()
    raise BrokerOptionsError(f"Invalid or unsupported serializer: {option!r}", {"serializer": repr(option)})
