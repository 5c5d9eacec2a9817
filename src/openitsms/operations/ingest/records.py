"""What the ingest library hands to its caller: normalised records and rejected rows.

Every value here is already in our vocabulary (statuses, priorities, levels, change types,
outcomes) and every instant is an aware UTC ``datetime``; the Django layer stores them as
they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, NamedTuple, get_args

Kind = Literal["incident", "request", "problem", "change"]
Status = Literal["new", "in_progress", "pending", "resolved", "closed", "cancelled"]
Priority = Literal["P1", "P2", "P3", "P4", "P5"]
Level = Literal["high", "medium", "low"]
ChangeType = Literal["normal", "standard", "emergency"]
Approval = Literal["not_requested", "requested", "approved", "rejected"]
Outcome = Literal["successful", "successful_with_issues", "unsuccessful"]
HistorySource = Literal["audit_log", "milestones"]

KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
CHANGE_TYPES: Final[tuple[ChangeType, ...]] = get_args(ChangeType)
APPROVALS: Final[tuple[Approval, ...]] = get_args(Approval)
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)

# Statuses in which the ticket is paused (its resolution clock waits) and those that end it.
PAUSE_STATUSES: Final[frozenset[Status]] = frozenset({"pending"})
DONE_STATUSES: Final[frozenset[Status]] = frozenset({"resolved", "closed", "cancelled"})


class IngestError(Exception):
    """The file cannot be read at all (no usable header, wrong encoding, missing column...).

    Unlike a :class:`Rejection`, which concerns one row, this stops the whole run. The
    message is written for the person who chose the file; ``row_number`` is set when the
    problem was found at a particular row.
    """

    def __init__(self, message: str, *, row_number: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row_number = row_number


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row of the file that gave no record, and why.

    ``row_number`` is the row as a spreadsheet shows it: the header is row 1, the first data
    row is row 2, and a value spanning several lines in a CSV file is still one row.
    ``columns`` names the source columns at fault, when the problem is in particular cells.
    """

    row_number: int
    source_id: str | None
    reason: str
    columns: tuple[str, ...] = ()


class StatusEntry(NamedTuple):
    """The record entered ``status`` at ``at`` (UTC), held by ``group`` from then on.

    ``source_status`` is the value as the source wrote it (``Awaiting User Info``), kept so
    that a finer policy can tell kinds of pause apart; ``seq`` is the source's update number
    (ServiceNow's ``sys_mod_count``) and ``row_number`` the row it came from, when the entry
    comes from a row rather than from a milestone column. (A named tuple: histories are
    built by the hundred thousand.)
    """

    at: datetime
    status: Status
    group: str | None = None
    source_status: str | None = None
    seq: int | None = None
    row_number: int | None = None


class PriorityEntry(NamedTuple):
    """The record's priority became ``priority`` at ``at`` (UTC); the first is the initial one."""

    at: datetime
    priority: Priority


@dataclass(slots=True)
class NormalisedRecord:
    """One incident, request, problem or change, in our words, as the source last knew it.

    Common fields come first; the change fields (``change_type`` .. ``rolled_back``) are set
    only for changes and the problem fields (``root_cause`` .. ``known_error``) only for
    problems, when the source has them. Links hold the source's own ids (``problem_id`` is
    the problem an incident is linked to; ``change_id`` the change an incident or problem is
    linked to or fixed by; ``caused_by_change`` the change that caused an incident).

    ``history`` is the status history in time order: rebuilt from the rows of an audit-log
    export (``history_source == "audit_log"``), or, for one row per record, from the
    milestone columns (opened, responded, resolved, closed) and the current status at the
    last update (``"milestones"``). Consecutive entries never repeat the same status and
    group. ``priority_history`` lists the priority changes the same way.

    ``made_sla`` (ServiceNow), ``response_remaining_s`` and ``resolution_remaining_s`` (Jira:
    negative when breached), ``response_breached`` and ``resolution_breached`` (iTop) are the
    source's own SLA verdicts, for comparison with ours.
    ``row_number`` is the row the final state came from and ``rows`` how many rows the record
    was built from; ``notes`` says what was done about odd but usable input.
    """

    source: str
    kind: Kind
    source_id: str
    status: Status
    opened_at: datetime
    row_number: int
    rows: int = 1
    source_status: str | None = None
    title: str | None = None
    service: str | None = None
    configuration_item: str | None = None
    priority: Priority | None = None
    impact: Level | None = None
    urgency: Level | None = None
    category: str | None = None
    assignment_group: str | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    reassignment_count: int | None = None
    reopen_count: int | None = None
    resolution_code: str | None = None
    problem_id: str | None = None
    change_id: str | None = None
    caused_by_change: str | None = None
    made_sla: bool | None = None
    response_remaining_s: int | None = None
    resolution_remaining_s: int | None = None
    response_breached: bool | None = None
    resolution_breached: bool | None = None
    change_type: ChangeType | None = None
    risk: Level | None = None
    cab_required: bool | None = None
    approval: Approval | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    outcome: Outcome | None = None
    rolled_back: bool | None = None
    root_cause: str | None = None
    workaround: str | None = None
    known_error: bool | None = None
    history: tuple[StatusEntry, ...] = ()
    priority_history: tuple[PriorityEntry, ...] = ()
    history_source: HistorySource = "milestones"
    notes: tuple[str, ...] = field(default=())
