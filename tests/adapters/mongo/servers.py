"""The MongoAdapter factories of the adapter suites, and the one list of cases where mongomock differs from MongoDB.

* ``mongomock``: ``MongoAdapter`` over mongomock-motor's ``AsyncMongoMockClient`` (a fresh in-process server per
  adapter), always run.
* ``mongo-server``: ``MongoAdapter(MONGO_URI, <fresh collection>, "dbmixin_test")``, only when ``MONGO_URI`` is set.

``MONGOMOCK_DIFFERS`` maps test ids to the reason mongomock gives another answer than a real server (rows of
``docs/mongo-adapter.md``, "Where mongomock differs", which cites MongoDB's sources). On the ``mongomock`` factory
those cases are strict expected failures; on a real server they run as written. ``MONGOMOCK_SKIPS`` are cases
not even run on mongomock (they would take minutes there).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

import pytest

from adapters import BaseAdapter

__all__ = ["MONGOMOCK_DIFFERS", "MONGOMOCK_SKIPS", "mark_mongomock_differences", "mongo_factories"]

MONGO_URI = os.environ.get("MONGO_URI")

_BOOL = "M2: a boolean is not the number 1 or 0 (BSON type order), mongomock compares them equal"
_SORT = "sort on arrays/paths through arrays (S2, S4): MongoDB uses every reached value, mongomock does not"
_REGEX = "İ (U+0130) folds to i under Python's re.IGNORECASE (mongomock), not under PCRE's case folding (MongoDB)"
_UPDATE_INDEX = "U1: an update clashing in one of several unique indexes: mongomock names another of them"

MONGOMOCK_DIFFERS: dict[str, str] = {
    "test_query_operator[mongomock-eq-true-is-not-1]": _BOOL,
    "test_booleans_are_not_numbers[mongomock]": _BOOL,
    "test_query_operator[mongomock-eq-1-is-not-true]": _BOOL,
    "test_query_operator[mongomock-eq-false-is-not-0]": _BOOL,
    "test_query_operator[mongomock-$in-true]": _BOOL,
    "test_query_operator[mongomock-$in-1]": _BOOL,
    "test_query_operator[mongomock-$not-top-level-two-fields]": _BOOL + " (inside the negated $and)",
    "test_query_operator[mongomock-array-element-is-array]": "M9: an array operand matches an equal array element",
    "test_query_operator[mongomock-array-$in-whole-array]": "M4: $in matches a whole array equal to a member",
    "test_query_operator[mongomock-dotted-none-matches-missing-parent]": "M1: a path through null is missing",
    "test_regex_semantics[mongomock-query9-expected9]": _REGEX,
    "test_search_folds_like_a_case_insensitive_regex[mongomock-istanbul-expected3]": _REGEX,
    "test_nan_inside_objects_is_a_number[mongomock]": "S3: NaN sorts below every number, inside objects too",
    "test_arrays_sort_by_smallest_or_largest_element[mongomock-v-expected0]": _SORT,
    "test_paths_through_arrays_use_every_reached_value[mongomock-a.b-expected0]": _SORT,
    "test_paths_through_arrays_use_every_reached_value[mongomock--a.b-expected1]": _SORT,
    "test_a_numeric_segment_indexes_the_array[mongomock]": "M8/S4: a numeric segment reaches offset 0 of the array",
    "test_update_many_clash_writes_nothing[mongomock]": _UPDATE_INDEX,
    "test_by_id_and_find_one_and_update_clash[mongomock]": _UPDATE_INDEX,
    # the mixin's integration suite (tests/dbmixin/)
    "test_a_unique_clash_reached_by_inc_does_not_reveal_the_hidden_value[mongomock-None]": _UPDATE_INDEX,
    "test_a_unique_clash_reached_by_inc_does_not_reveal_the_hidden_value[mongomock-validator1]": _UPDATE_INDEX,
}

MONGOMOCK_SKIPS: dict[str, str] = {
    # mongomock matches $regex with Python's backtracking re: the ReDoS case of the suite takes minutes there. MongoDB
    # uses PCRE (backtracking too, bounded by its match limit): what a server answers is for the MONGO_URI run to tell.
    "test_regex_semantics[mongomock-query0-expected0]": "R2: ^(a+)+$ backtracks exponentially in Python's re",
}


def _mongomock() -> BaseAdapter:
    from mongomock_motor import AsyncMongoMockClient

    from adapters.mongo import MongoAdapter

    return MongoAdapter(AsyncMongoMockClient(), "items", "conformance")


def _server() -> BaseAdapter:
    from adapters.mongo import MongoAdapter

    assert MONGO_URI is not None
    return MongoAdapter(MONGO_URI, f"items_{uuid.uuid4().hex[:12]}", "dbmixin_test")


def mongo_factories() -> list[tuple[str, Callable[[], BaseAdapter]]]:
    """The Mongo factories available here (none without pymongo/mongomock-motor installed)."""
    try:
        import mongomock_motor  # noqa: F401
        import pymongo  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs both
        return []
    factories: list[tuple[str, Callable[[], BaseAdapter]]] = [("mongomock", _mongomock)]
    if MONGO_URI:
        factories.append(("mongo-server", _server))
    return factories


def mark_mongomock_differences(items: list[pytest.Item]) -> None:
    """Mark the listed cases, on the ``mongomock`` factory only, as strict expected failures."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "[mongomock" not in item.nodeid:
            continue
        name = item.nodeid.split("::", 1)[-1]
        if name in MONGOMOCK_SKIPS:
            item.add_marker(pytest.mark.skip(reason=f"mongomock differs from MongoDB: {MONGOMOCK_SKIPS[name]}"))
        reason = MONGOMOCK_DIFFERS.get(name)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"mongomock differs from MongoDB: {reason}"))
