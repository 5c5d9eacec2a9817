"""Source values -> our values: the per-source tables and how a cell is looked up.

A value map is a plain dict ``{source value: our value}``. Lookups ignore case, surrounding
blanks, repeated blanks and the difference between ``_`` and a space, so ``Awaiting User
Info``, ``awaiting_user_info`` and ``AWAITING USER INFO`` are one key. Three layers, the
last winning: the common table of the field's type (:data:`COMMON_MAPS`), the profile's
table for the field, and the caller's. A value found in none is reported as a row rejection
naming the value — never silently dropped or guessed.

Besides exact keys, a profile may give patterns (``^awaiting\\b`` -> ``pending``) tried in
order after the table; a caller's exact key always wins over a pattern.

The status target ``keep_previous`` (:data:`KEEP_PREVIOUS`) means "this update says nothing
about the status": in an audit-log history the row keeps the status before it (and a first
row is ``new``); on a one-row-per-record export it is a rejection. ServiceNow's ``-100`` maps
to it by default: it is not a ServiceNow state, the event-log dataset does not define it, and
reading it as "no state recorded" keeps the incident rather than rejecting it. A caller who
prefers otherwise maps ``-100`` to a status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from .fields import FieldType
from .records import APPROVALS, CHANGE_TYPES, KINDS, LEVELS, OUTCOMES, PRIORITIES, STATUSES
from .values import EMPTY_MARKERS, ValueProblem

KEEP_PREVIOUS: Final = "keep_previous"

ValueMap = Mapping[str, str]
Patterns = Sequence[tuple[str, str]]

VOCABULARY: Final[dict[FieldType, tuple[str, ...]]] = {
    "kind": KINDS,
    "status": (*STATUSES, KEEP_PREVIOUS),
    "priority": PRIORITIES,
    "level": LEVELS,
    "change_type": CHANGE_TYPES,
    "approval": APPROVALS,
    "outcome": OUTCOMES,
}

_BLANKS = re.compile(r"[\s_]+")
_CACHE_LIMIT: Final = 4096


def map_key(value: str) -> str:
    """The lookup key of a source value (see the module docstring)."""
    return _BLANKS.sub(" ", value.casefold()).strip()


@dataclass
class ValueMapper:
    """Reads one column's cells through a value map; ``None`` for an empty cell.

    Raises :class:`~.values.ValueProblem` naming an unknown value. Results are cached by
    the raw cell text (few distinct values per column), within a bound.
    """

    label: str
    table: Mapping[str, str]
    patterns: Sequence[tuple[re.Pattern[str], str]] = ()
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)

    def __call__(self, raw: str) -> str | None:
        try:
            return self._cache[raw]
        except KeyError:
            pass
        result = self.lookup(raw)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[raw] = result
        return result

    def lookup(self, raw: str) -> str | None:
        value = raw.strip()
        if value in EMPTY_MARKERS:
            return None
        key = map_key(value)
        found = self.table.get(key)
        if found is not None:
            return found
        for pattern, target in self.patterns:
            match = pattern.search(key)
            if match:
                return match.expand(target)
        raise ValueProblem(f"unknown {self.label} {value!r} (add it to the {self.label} map)")


def build_mapper(
    label: str,
    field_type: FieldType,
    defaults: ValueMap,
    patterns: Patterns = (),
    overrides: ValueMap | None = None,
) -> ValueMapper:
    """A mapper for ``field_type`` from a profile's defaults and the caller's overrides.

    Raises ``ValueError`` when an override maps to something outside our vocabulary.
    """
    allowed = VOCABULARY[field_type]
    table = {map_key(key): value for key, value in defaults.items()}
    for key, value in (overrides or {}).items():
        if value not in allowed:
            raise ValueError(
                f"the {label} map sends {key!r} to {value!r}, which is not one of "
                + ", ".join(allowed)
            )
        table[map_key(key)] = value
    compiled = tuple((re.compile(pattern), target) for pattern, target in patterns)
    return ValueMapper(label, table, compiled)


# Defaults shared by several sources; each profile copies and adjusts them.

COMMON_STATUSES: Final[dict[str, str]] = {
    "new": "new",
    "open": "new",
    "opened": "new",
    "to do": "new",
    "logged": "new",
    "registered": "new",
    "in progress": "in_progress",
    "work in progress": "in_progress",
    "active": "in_progress",
    "assigned": "in_progress",
    "accepted": "in_progress",
    "investigating": "in_progress",
    "under investigation": "in_progress",
    "on hold": "pending",
    "pending": "pending",
    "waiting": "pending",
    "suspended": "pending",
    "resolved": "resolved",
    "solved": "resolved",
    "done": "resolved",
    "fixed": "resolved",
    "completed": "resolved",
    "closed": "closed",
    "closed complete": "closed",
    "complete": "closed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "rejected": "cancelled",
    "declined": "cancelled",
    "withdrawn": "cancelled",
}
COMMON_STATUS_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (r"^(awaiting|waiting|pending)\b", "pending"),
)

COMMON_PRIORITIES: Final[dict[str, str]] = {
    "critical": "P1",
    "highest": "P1",
    "urgent": "P1",
    "high": "P2",
    "moderate": "P3",
    "medium": "P3",
    "normal": "P3",
    "low": "P4",
    "lowest": "P5",
    "planning": "P5",
    "very low": "P5",
}
# "P3", "3", "3 - Moderate", "Priority 3": the digit is the priority.
COMMON_PRIORITY_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (r"^(?:p|priority )?([1-5])(?:\s*-.*)?$", r"P\1"),
)

COMMON_LEVELS: Final[dict[str, str]] = {
    "1 - high": "high",
    "2 - medium": "medium",
    "3 - low": "low",
    "1": "high",
    "2": "medium",
    "3": "low",
    "very high": "high",
    "critical": "high",
    "high": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "very low": "low",
    "minor": "low",
    # Jira Service Management's impact values
    "extensive / widespread": "high",
    "significant / large": "high",
    "moderate / limited": "medium",
    "minor / localized": "low",
}

COMMON_KINDS: Final[dict[str, str]] = {
    "incident": "incident",
    "incidents": "incident",
    "request": "request",
    "service request": "request",
    "service request with approvals": "request",
    "sc req item": "request",
    "requested item": "request",
    "problem": "problem",
    "problems": "problem",
    "change": "change",
    "change request": "change",
    "rfc": "change",
}
COMMON_KIND_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (r"^\[system\] (incident)$", r"\1"),
    (r"^\[system\] (problem|change)$", r"\1"),
    (r"^\[system\] service request.*$", "request"),
)

COMMON_CHANGE_TYPES: Final[dict[str, str]] = {
    "normal": "normal",
    "comprehensive": "normal",
    "standard": "standard",
    "routine": "standard",
    "pre-approved": "standard",
    "emergency": "emergency",
    "urgent": "emergency",
}

COMMON_APPROVALS: Final[dict[str, str]] = {
    "not requested": "not_requested",
    "not yet requested": "not_requested",
    "no longer required": "not_requested",
    "not required": "not_requested",
    "requested": "requested",
    "pending": "requested",
    "waiting for approval": "requested",
    "approved": "approved",
    "rejected": "rejected",
    "declined": "rejected",
}

COMMON_OUTCOMES: Final[dict[str, str]] = {
    "successful": "successful",
    "success": "successful",
    "successful issues": "successful_with_issues",
    "successful with issues": "successful_with_issues",
    "partially successful": "successful_with_issues",
    "unsuccessful": "unsuccessful",
    "failed": "unsuccessful",
    "failure": "unsuccessful",
    "backed out": "unsuccessful",
}

COMMON_MAPS: Final[dict[FieldType, dict[str, str]]] = {
    "kind": COMMON_KINDS,
    "status": COMMON_STATUSES,
    "priority": COMMON_PRIORITIES,
    "level": COMMON_LEVELS,
    "change_type": COMMON_CHANGE_TYPES,
    "approval": COMMON_APPROVALS,
    "outcome": COMMON_OUTCOMES,
}
COMMON_PATTERNS: Final[dict[FieldType, tuple[tuple[str, str], ...]]] = {
    "kind": COMMON_KIND_PATTERNS,
    "status": COMMON_STATUS_PATTERNS,
    "priority": COMMON_PRIORITY_PATTERNS,
}
