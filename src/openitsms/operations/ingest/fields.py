"""Our normalised fields: what each holds, how its cells are read, and the headers that mean it.

A column mapping (:data:`ColumnMapping`) names, for some of these fields, the source column
that fills it: ``{"source_id": "Ref", "opened_at": "Start date"}``. It is a plain dict of
strings, so the Django layer saves it as JSON under a name.

Two fields are not on :class:`~.records.NormalisedRecord`: ``kind`` (read per row when the
export mixes kinds) and ``sequence`` (the update number of an audit-log row, ServiceNow's
``sys_mod_count``, which orders a record's rows). ``response_breached`` and
``resolution_breached`` are the source's own SLA verdicts (iTop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

FieldType = Literal[
    "text",
    "timestamp",
    "int",
    "bool",
    "duration",
    "kind",
    "status",
    "priority",
    "level",
    "change_type",
    "approval",
    "outcome",
]
ColumnMapping = dict[str, str]
"""Field name -> source column header."""

# Types read through a value map (source value -> our value), per source and overridable.
MAPPED_TYPES: Final[frozenset[FieldType]] = frozenset(
    {"kind", "status", "priority", "level", "change_type", "approval", "outcome"}
)


@dataclass(frozen=True)
class FieldSpec:
    """One normalised field.

    ``synonyms`` are header names (normalised by :func:`header_key`) that suggest the field
    in a file from an unknown tool, best first; ``required`` fields must be mapped.
    """

    name: str
    type: FieldType
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    kinds: frozenset[str] | None = None  # the kinds the field is meant for; None = all


_CHANGE: Final = frozenset({"change"})
_PROBLEM: Final = frozenset({"problem"})

FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(
        "source_id",
        "text",
        "Source id",
        (
            "number",
            "issue key",
            "ref",
            "reference",
            "key",
            "id",
            "ticket",
            "ticket id",
            "ticket number",
            "incident number",
            "incident id",
            "request number",
            "case number",
            "case id",
            "change number",
            "problem number",
            "ticket no",
            "sys id",
        ),
        required=True,
    ),
    FieldSpec(
        "kind",
        "kind",
        "Kind",
        ("type", "issue type", "ticket type", "record type", "request type", "kind"),
    ),
    FieldSpec(
        "title",
        "text",
        "Title",
        ("short description", "summary", "title", "subject", "name", "description"),
    ),
    FieldSpec(
        "status",
        "status",
        "Status",
        ("status", "state", "incident state", "ticket status", "problem state"),
        required=True,
    ),
    FieldSpec("priority", "priority", "Priority", ("priority", "prio", "severity")),
    FieldSpec("impact", "level", "Impact", ("impact",)),
    FieldSpec("urgency", "level", "Urgency", ("urgency",)),
    FieldSpec(
        "category",
        "text",
        "Category",
        ("category", "categories", "itilcategories id", "incident category", "cat item"),
    ),
    FieldSpec(
        "service",
        "text",
        "Service",
        (
            "service",
            "business service",
            "affected service",
            "affected services",
            "service id",
            "service name",
            "it service",
        ),
    ),
    FieldSpec(
        "configuration_item",
        "text",
        "Configuration item",
        ("configuration item", "cmdb ci", "ci", "affected ci", "asset", "component"),
    ),
    FieldSpec(
        "assignment_group",
        "text",
        "Assignment group",
        (
            "assignment group",
            "assigned group",
            "support group",
            "resolver group",
            "group",
            "team",
            "assigned to group",
            "team id",
            "queue",
        ),
    ),
    FieldSpec(
        "opened_at",
        "timestamp",
        "Opened",
        (
            "opened at",
            "opened",
            "created",
            "created at",
            "sys created on",
            "sys created at",
            "creation date",
            "opening date",
            "date opened",
            "open date",
            "date created",
            "reported",
            "submitted",
            "start date",
            "date",
        ),
        required=True,
    ),
    FieldSpec(
        "responded_at",
        "timestamp",
        "Responded",
        (
            "responded at",
            "responded",
            "first response",
            "first response date",
            "takeintoaccountdate",
            "take into account date",
            "assignment date",
            "acknowledged",
        ),
    ),
    FieldSpec(
        "resolved_at",
        "timestamp",
        "Resolved",
        ("resolved at", "resolved", "resolution date", "solvedate", "solved", "date resolved"),
    ),
    FieldSpec(
        "closed_at",
        "timestamp",
        "Closed",
        ("closed at", "closed", "close date", "closedate", "closing date", "date closed"),
    ),
    FieldSpec(
        "updated_at",
        "timestamp",
        "Last updated",
        (
            "updated",
            "updated at",
            "sys updated on",
            "sys updated at",
            "last update",
            "last updated",
            "last modified",
            "modified",
            "date mod",
        ),
    ),
    FieldSpec(
        "sequence",
        "int",
        "Update number",
        ("sys mod count", "update number", "updates", "version", "mod count"),
    ),
    FieldSpec(
        "reassignment_count",
        "int",
        "Reassignment count",
        ("reassignment count", "reassignments", "times reassigned"),
    ),
    FieldSpec("reopen_count", "int", "Reopen count", ("reopen count", "reopens", "times reopened")),
    FieldSpec(
        "resolution_code",
        "text",
        "Resolution code",
        ("resolution code", "close code", "closed code", "resolution"),
    ),
    FieldSpec(
        "problem_id",
        "text",
        "Problem",
        ("problem", "problem id", "parent problem", "related problem", "parent problem id"),
    ),
    FieldSpec(
        "change_id",
        "text",
        "Change",
        ("change", "change request", "rfc", "related change", "parent change", "change id"),
    ),
    FieldSpec(
        "caused_by_change",
        "text",
        "Caused by change",
        ("caused by", "caused by change", "causing change"),
    ),
    FieldSpec("made_sla", "bool", "Made SLA", ("made sla", "sla met", "within sla")),
    FieldSpec(
        "response_remaining_s",
        "duration",
        "Time to first response (remaining)",
        ("time to first response", "remaining time to respond"),
    ),
    FieldSpec(
        "resolution_remaining_s",
        "duration",
        "Time to resolution (remaining)",
        ("time to resolution", "remaining time to resolve"),
    ),
    FieldSpec("response_breached", "bool", "Response SLA breached", ("sla tto passed",)),
    FieldSpec("resolution_breached", "bool", "Resolution SLA breached", ("sla ttr passed",)),
    FieldSpec("change_type", "change_type", "Change type", ("change type", "type"), kinds=_CHANGE),
    FieldSpec("risk", "level", "Risk", ("risk", "change risk", "risk level"), kinds=_CHANGE),
    FieldSpec("cab_required", "bool", "CAB required", ("cab required",), kinds=_CHANGE),
    FieldSpec(
        "approval",
        "approval",
        "Approval",
        ("approval", "cab approval", "approval status"),
        kinds=_CHANGE,
    ),
    FieldSpec(
        "planned_start",
        "timestamp",
        "Planned start",
        ("planned start", "planned start date", "scheduled start", "change start date"),
        kinds=_CHANGE,
    ),
    FieldSpec(
        "planned_end",
        "timestamp",
        "Planned end",
        ("planned end", "planned end date", "scheduled end", "change completion date", "end date"),
        kinds=_CHANGE,
    ),
    FieldSpec(
        "actual_start",
        "timestamp",
        "Actual start",
        ("actual start", "work start", "implementation start"),
        kinds=_CHANGE,
    ),
    FieldSpec(
        "actual_end",
        "timestamp",
        "Actual end",
        ("actual end", "work end", "implementation end"),
        kinds=_CHANGE,
    ),
    FieldSpec(
        "outcome", "outcome", "Outcome", ("outcome", "change outcome", "result"), kinds=_CHANGE
    ),
    FieldSpec(
        "rolled_back",
        "bool",
        "Rolled back",
        ("rolled back", "backed out", "rollback"),
        kinds=_CHANGE,
    ),
    FieldSpec(
        "root_cause",
        "text",
        "Root cause",
        ("root cause", "cause notes", "cause", "root cause analysis"),
        kinds=_PROBLEM,
    ),
    FieldSpec("workaround", "text", "Workaround", ("workaround",), kinds=_PROBLEM),
    FieldSpec("known_error", "bool", "Known error", ("known error",), kinds=_PROBLEM),
)

FIELD_BY_NAME: Final[dict[str, FieldSpec]] = {spec.name: spec for spec in FIELDS}
REQUIRED_FIELDS: Final[tuple[str, ...]] = tuple(spec.name for spec in FIELDS if spec.required)

_SEPARATORS = re.compile(r"[\s_\-./()\[\]:#]+")
_PREFIXES: Final = ("custom field ", "cf ", "u ")


def header_key(header: str) -> str:
    """A header reduced for matching: case-folded, separators as single spaces.

    ``sys_created_on``, ``Sys Created On`` and ``SYS-CREATED-ON`` all give
    ``sys created on``; ``Custom field (Request Type)`` gives ``custom field request type``.
    """
    return _SEPARATORS.sub(" ", header.casefold()).strip()


def bare_key(header: str) -> str:
    """:func:`header_key` without a tool's custom-field prefix (Jira's, ServiceNow's ``u_``)."""
    key = header_key(header)
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return key
