"""Every disagreement with fastest-validator 1.19 found so far, replayed without Node.js.

Each row is ``(what, schema, params, FV's recorded answer)``: the answer the real FV gave (Node runner shape:
``{"ok": True, "value"}`` or ``{"ok": False, "errors": [[type, field], ...]}``, ``None`` for FV's undefined
field; a root ``objectStrict`` error carries FV's ``actual`` too). ``fv_compare.mismatch`` checks our validator
against it, applying the deliberate differences of docs/validator.md explicitly (a root ``$$strict`` error
names each key; a missing array item is reported at the item; ``field`` is never undefined).
"""

from __future__ import annotations

import pytest

from broker.errors import ValidationError
from broker.fv_rules import js_str
from broker.validation import Validator

from .fv_compare import mismatch

BIG = 10**400  # JSON's 1e400: Infinity in JavaScript

CORPUS = [
    ('enum [] rejects every string',
     {'s': {'type': 'string', 'enum': []}},
     {'s': 'x'},
     {'ok': False, 'errors': [['stringEnum', 's']]}),
    ("array max keeps the items' errors",
     {'a': {'type': 'array', 'max': 1, 'items': 'number'}},
     {'a': ['x', 'y']},
     {'ok': False, 'errors': [['arrayMax', 'a'], ['number', 'a[0]'], ['number', 'a[1]']]}),
    ("array min/length keep the items' errors",
     {'a': {'type': 'array', 'min': 5, 'length': 0, 'convert': True, 'items': 'url'}},
     {'a': '12'},
     {'ok': False, 'errors': [['arrayMin', 'a'], ['arrayLength', 'a'], ['url', 'a[0]']]}),
    ('400-digit int under number|max:5',
     {'n': 'number|max:5'},
     {'n': BIG},
     {'ok': False, 'errors': [['number', 'n']]}),
    ('400-digit int under number',
     {'n': 'number'},
     {'n': -BIG},
     {'ok': False, 'errors': [['number', 'n']]}),
    ('400-digit int under string',
     {'s': 'string|max:3'},
     {'s': BIG},
     {'ok': False, 'errors': [['string', 's']]}),
    ('400-digit int as the params',
     {'p': 'string'},
     BIG,
     {'ok': False, 'errors': [['object', None]]}),
    ('emoji is 2 UTF-16 units (max)',
     {'s': 'string|max:1'},
     {'s': '😀'},
     {'ok': False, 'errors': [['stringMax', 's']]}),
    ('emoji is 2 UTF-16 units (min)',
     {'s': 'string|min:2'},
     {'s': '😀'},
     {'ok': True, 'value': {'s': '😀'}}),
    ('emoji is 2 UTF-16 units (length)',
     {'s': {'type': 'string', 'length': 2, 'numeric': True, 'alpha': True}},
     {'s': 'a😀'},
     {'ok': False, 'errors': [['stringLength', 's'], ['stringNumeric', 's'], ['stringAlpha', 's']]}),
    ('root $$strict names the key',
     {'$$strict': True, 'a': 'number'},
     {'a': 1, 'b': 2, 'c': None},
     {'ok': False, 'errors': [['objectStrict', None, 'b, c']]}),
    ('5,000-digit numeric string, convert',
     {'n': 'number|convert'},
     {'n': '1' * 5000},
     {'ok': False, 'errors': [['number', 'n']]}),
    ('5,000-digit numeric string with leading zeros',
     {'n': 'number|convert|max:10'},
     {'n': '0' * 5000 + '5'},
     {'ok': True, 'value': {'n': 5}}),
    ('-0 numeric string',
     {'n': 'number|convert|default:7', 'm': 'number|max:3'},
     {'n': '-0', 'm': 10},
     {'ok': False, 'errors': [['numberMax', 'm']]}),
    ('Number([]) is 0',
     {'n': 'number|convert'},
     {'n': []},
     {'ok': True, 'value': {'n': 0}}),
    ("Number(['5']) is 5",
     {'n': 'number|convert'},
     {'n': ['5']},
     {'ok': True, 'value': {'n': 5}}),
    ("multi: null is the multi's business",
     {'m': {'type': 'multi', 'rules': [{'type': 'number', 'max': 0}, 'forbidden']}},
     {'m': None},
     {'ok': False, 'errors': [['required', 'm']]}),
    ('objects are unique by identity',
     {'a': {'type': 'array', 'unique': True, 'contains': 'a', 'items': 'object'}},
     {'a': [{'x': 1}, {}, {}, {}]},
     {'ok': False, 'errors': [['arrayContains', 'a']]}),
    ('a missing item is reported at the item',
     {'a': {'type': 'array', 'min': 2, 'items': {'type': 'number', 'integer': True}}},
     {'a': [None, 0.1]},
     {'ok': False, 'errors': [['required', 'a'], ['numberInteger', 'a[1]']]}),
    ('forbidden|remove leaves a hole in an array',
     {'a': {'type': 'array', 'items': 'forbidden|remove'}},
     {'a': [None, 'x', True]},
     {'ok': True, 'value': {'a': [None, None, None]}}),
    ('forbidden|remove still counts for maxProps',
     {'a': {'type': 'array', 'items': {'type': 'object', 'maxProps': 2, 'props': {'k0': 'number', 'k1': 'forbidden|remove', 'k2': 'boolean'}}}},  # noqa: E501
     {'a': [{'k0': 3, 'k1': True, 'k2': True}]},
     {'ok': False, 'errors': [['objectMaxProps', 'a[0]']]}),
    ("JS \\s is not Python's \\s",
     {'s': {'type': 'string', 'pattern': '\\s'}},
     {'s': '\x85x'},
     {'ok': False, 'errors': [['stringPattern', 's']]}),
    ('JS $ is the very end',
     {'s': {'type': 'string', 'pattern': '^a$'}},
     {'s': 'a\n'},
     {'ok': False, 'errors': [['stringPattern', 's']]}),
    ('JS \\d is ASCII',
     {'s': {'type': 'string', 'pattern': '^\\d+$'}},
     {'s': '١٢'},
     {'ok': False, 'errors': [['stringPattern', 's']]}),
    ('JS . is one UTF-16 unit',
     {'s': {'type': 'string', 'pattern': '^.$'}},
     {'s': '😀'},
     {'ok': False, 'errors': [['stringPattern', 's']]}),
    ('JS trim keeps U+0085 and takes U+FEFF',
     {'a': 'string|trim', 'b': 'string|trim'},
     {'a': '\x85x\x85', 'b': '\ufeffx\ufeff'},
     {'ok': True, 'value': {'a': '\x85x\x85', 'b': 'x'}}),
    ("case changes in FV's order",
     {'s': 'string|uppercase|localeLowercase'},
     {'s': 'a-b_C'},
     {'ok': True, 'value': {'s': 'a-b_c'}}),
    ('padStart counts UTF-16 units',
     {'s': {'type': 'string', 'padStart': 3, 'padChar': '😀'}},
     {'s': 'x'},
     {'ok': True, 'value': {'s': '😀x'}}),
    ('padStart pads combining text by units',
     {'s': 'string|padStart:5'},
     {'s': 'é'},
     {'ok': True, 'value': {'s': '   é'}}),
    ("a failed alternative's changes are seen by the next",
     {'m': [{'type': 'array', 'enum': [0, ''], 'items': {'type': 'forbidden', 'remove': True}}, 'number|equal:1|integer|convert|optional', {'type': 'uuid'}]},  # noqa: E501
     {'m': [{}]},
     {'ok': False, 'errors': [['arrayEnum', 'm'], ['numberEqual', 'm'], ['string', 'm']]}),
    ("a failed alternative's removed key stays undefined",
     {'m': [{'type': 'object', 'maxProps': 3, 'props': {'k0': {'type': 'object', 'props': {'k0': 'forbidden|remove', 'k1': 'number'}}}}, {'type': 'object', 'props': {'k0': {'type': 'object', 'minProps': 2, 'props': {'k1': 'string'}}}}]},  # noqa: E501
     {'m': {'k0': {'k0': 'ab', 'k1': 'x'}}},
     {'ok': True, 'value': {'m': {'k0': {'k1': 'x'}}}}),
    ('loose equal: [1] == 1',
     {'e': {'type': 'equal', 'value': 1}},
     {'e': [1]},
     {'ok': True, 'value': {'e': [1]}}),
    ("loose equal: true == '1'",
     {'e': {'type': 'equal', 'value': '1'}},
     {'e': True},
     {'ok': True, 'value': {'e': True}}),
    ('strict equal: objects never',
     {'e': {'type': 'equal', 'value': 1, 'strict': True}},
     {'e': 1.0},
     {'ok': True, 'value': {'e': 1}}),
    ('base64 lets a backslash in',
     {'s': 'string|base64'},
     {'s': 'ab\\c'},
     {'ok': True, 'value': {'s': 'ab\\c'}}),
    ('email normalize trims JS spaces',
     {'e': 'email|normalize'},
     {'e': '\ufeffX@Y.CO\ufeff'},
     {'ok': True, 'value': {'e': 'x@y.co'}}),
    ('email max counts UTF-16 units',
     {'e': 'email|max:6'},
     {'e': '😀@y.co'},
     {'ok': False, 'errors': [['emailMax', 'e']]}),
    ('date from a numeric list',
     {'d': 'date|convert'},
     {'d': [1]},
     {'ok': True, 'value': {'d': {'$date': '1970-01-01T00:00:00.001Z'}}}),
    ("date from '2020-05' is UTC",
     {'d': 'date|convert'},
     {'d': '2020-05'},
     {'ok': True, 'value': {'d': {'$date': '2020-05-01T00:00:00.000Z'}}}),
    ('date from Infinity text is invalid',
     {'d': 'date|convert'},
     {'d': '9' * 400},
     {'ok': False, 'errors': [['date', 'd']]}),
    ("date: 'x' is no date",
     {'d': 'date|convert'},
     {'d': 'x'},
     {'ok': False, 'errors': [['date', 'd']]}),
    ("hex '0x-1' is NaN",
     {'n': 'number|convert'},
     {'n': '0x-1'},
     {'ok': False, 'errors': [['number', 'n']]}),
    ("'Infinity' is no number",
     {'n': 'number|convert'},
     {'n': 'Infinity'},
     {'ok': False, 'errors': [['number', 'n']]}),
    ("'infinity' is NaN",
     {'n': 'number|convert'},
     {'n': 'infinity'},
     {'ok': False, 'errors': [['number', 'n']]}),
    ('String(1e21)',
     {'s': 'string|convert'},
     {'s': 1e+21},
     {'ok': True, 'value': {'s': '1e+21'}}),
    ('String(big int) is Infinity',
     {'s': 'string|convert'},
     {'s': BIG},
     {'ok': True, 'value': {'s': 'Infinity'}}),
    ('uuid version check',
     {'u': 'uuid|version:4'},
     {'u': '9a7b330a-a736-11e9-b9ab-0242ac120002'},
     {'ok': False, 'errors': [['uuidVersion', 'u']]}),
    ('strict remove only when valid',
     {'$$strict': 'remove', 'a': 'number'},
     {'a': 'x', 'b': 1},
     {'ok': False, 'errors': [['number', 'a']]}),
    ('nested strict names the object',
     {'o': {'type': 'object', 'strict': True, 'props': {'a': 'number'}}},
     {'o': {'a': 1, 'z': 0, 'y': 1}},
     {'ok': False, 'errors': [['objectStrict', 'o']]}),
    ('default for null, not for nullable',
     {'a': 'number|default:5', 'b': {'type': 'string', 'nullable': True, 'default': 'd'}},
     {'a': None, 'b': None},
     {'ok': True, 'value': {'a': 5, 'b': None}}),
    ('optional multi only if every alternative is',
     {'m': ['string|optional', 'number']},
     {},
     {'ok': False, 'errors': [['required', 'm']]}),
    ('boolean convert',
     {'b': 'boolean|convert', 'c': 'boolean|convert'},
     {'b': 'on', 'c': 1.0},
     {'ok': True, 'value': {'b': True, 'c': True}}),]  # fmt: skip


@pytest.mark.parametrize(("what", "schema", "params", "fv"), CORPUS, ids=[row[0] for row in CORPUS])
def test_we_answer_as_fastest_validator_did(what, schema, params, fv):
    assert mismatch(schema, params, fv) is None


def test_root_strict_error_names_each_unknown_key_with_fvs_message():
    check = Validator().compile({"$$strict": True, "a": "number"})
    with pytest.raises(ValidationError) as info:
        check({"a": 1, "b": 2, "c-d": 3})
    assert [(e["field"], e["actual"], e["message"]) for e in info.value.data] == [
        ("b", "b", "The object '' contains forbidden keys: 'b'."),
        ("c-d", "c-d", "The object '' contains forbidden keys: 'c-d'."),
    ]


def test_ints_past_two_to_the_53_are_kept_exact_but_print_as_javascript_does():
    # deliberate: JavaScript would round 2**53 + 1 to 2**53; a Python caller keeps its int
    assert Validator().compile({"n": "number|max:1e300"})({"n": 2**53 + 1}) == {"n": 2**53 + 1}
    assert js_str(2**60) == "1152921504606847000"
    assert Validator().compile({"s": "string|convert"})({"s": 2**60}) == {"s": "1152921504606847000"}


def test_the_caller_s_params_are_never_changed():
    params = {"m": [{"k0": {"k0": "ab", "k1": "x"}}], "a": [None, "x"], "s": " x "}
    schema = {"m": [{"type": "array", "items": {"type": "object", "props": {"k0": {"type": "object", "props": {
        "k0": "forbidden|remove", "k1": "number"}}}}}, "any"], "a": {"type": "array", "items": "forbidden|remove"},
        "s": "string|trim|min:9"}  # fmt: skip
    with pytest.raises(ValidationError):
        Validator().compile(schema)(params)
    assert params == {"m": [{"k0": {"k0": "ab", "k1": "x"}}], "a": [None, "x"], "s": " x "}
