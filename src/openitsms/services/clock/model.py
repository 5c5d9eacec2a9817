"""The SLA clock's inputs and outputs, and the rules that read them.

How a ticket's status history drives a clock (the same rules in :mod:`.reference` and
:mod:`.bulk`):

* The clock starts at the first status-history entry, the instant the ticket was opened.
  Entries are taken in time order (entries at the same instant keep their given order) and
  entries after ``as_of`` are ignored. Timestamps are floored to whole seconds.
* A history whose entries carry sequence numbers (``StatusChange.seq``: the order in which
  the source system recorded the changes, e.g. ServiceNow's ``sys_mod_count``) is taken in
  sequence order instead (ties by time), and is checked first: it is *bad input* when its
  timestamps go backwards along the sequence (``"out_of_order"``), when its last entry is
  earlier than its first (``"ends_before_start"``, reported in preference), or when only some
  entries are numbered (``"incomplete_sequence"``). The check covers the whole history,
  including entries after ``as_of``. A bad history gives no clock numbers: the reference
  reports the problem in ``ClockResult.error`` and the bulk clock in ``BulkClockResults.error``
  for that ticket, and every other ticket is computed as usual. Without sequence numbers there
  is no order to contradict: the entries are simply sorted by time.
* Each entry's status holds until the next entry, the last one until ``as_of``; while the
  ticket is still open at ``as_of`` the clock counts up to ``as_of``.
* A *stop* status ends the clock and takes precedence over a pause status.
  - Response clock: stops for good at the first entry whose status is in
    ``stop_statuses_response``; a later reopen does not restart it.
  - Resolution clock: stops on entering a status in ``stop_statuses_resolution``. Leaving a
    stop status for any other status is a *reopen*: with ``reopen="resume"`` the clock goes
    on from the elapsed time it had; with ``reopen="restart"`` everything before the last
    reopen instant is forgotten — elapsed, calendar and paused time start again from zero
    and the clock's start becomes that reopen instant.
  Time spent stopped is neither elapsed nor paused.
* While the status is in ``pause_statuses`` (and not a stop status) the clock is paused: the
  working time that passes is reported as ``paused_s`` and pushes the deadline out.
* Elapsed time is working time of the calendar while running; ``elapsed_calendar_s`` is the
  same running time counted 24×7 (so it is never smaller).
* ``breached`` is ``elapsed_business_s > target`` (strictly); ``percent`` is
  ``100 * elapsed / target`` and may exceed 100.
* The deadline is the instant at which the business elapsed time reaches the target when the
  running intervals of the actual history are followed, from a *projection point* on, by
  uninterrupted running. The projection point is ``as_of`` while the clock is live (running
  or paused) at ``as_of`` — a paused clock is projected as if it resumed now — and otherwise
  the instant it stopped (``stopped_at``). A clock that has reached its target has its actual
  deadline from history; a clock that stopped short of it keeps the deadline that was in force
  when it stopped, which does not move as ``as_of`` passes. ``None`` only when the calendar
  offers too little working time within ``SEARCH_LIMIT`` after the projection point.
* The target is the strictest one (fewest seconds) for the clock's kind and the ticket's
  *current* priority: the latest priority change at or before ``as_of``. A priority change
  only swaps the target; the elapsed time comes from the one replayed history, so pending time
  is never lost.

OLA clocks (one per assignment group) follow the same rules, counting only the time the
group held the ticket: a group's clock is live while the group holds the ticket and the
ticket's clock is live, starts the first time the group holds it (after the last reopen under
``"restart"``) and stops when the group hands the ticket on. Its response kind counts the
group's share of the time before the ticket's first response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast, get_args

from .intervals import whole_second

TargetKind = Literal["response", "resolution"]
ReopenPolicy = Literal["resume", "restart"]

TARGET_KINDS: tuple[TargetKind, ...] = get_args(TargetKind)

HistoryProblem = Literal["out_of_order", "ends_before_start", "incomplete_sequence"]
HISTORY_PROBLEMS: tuple[HistoryProblem, ...] = get_args(HistoryProblem)
HISTORY_PROBLEM_MESSAGES: dict[HistoryProblem, str] = {
    "out_of_order": "The status history is out of order: a later change has an earlier time.",
    "ends_before_start": "The status history ends before it starts.",
    "incomplete_sequence": "Only some changes of the status history have a sequence number.",
}


@dataclass(frozen=True)
class StatusChange:
    """The ticket entered ``status`` at ``at``, held by assignment group ``group`` from then on.

    A reassignment without a status change is an entry with the same status and a new group.
    ``seq`` is the change's sequence number in the source system, when it has one; giving it
    lets the clock report a history whose timestamps contradict it (see the module docs).
    """

    at: datetime
    status: str
    group: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class PriorityChange:
    """The ticket's priority became ``priority`` at ``at``; the first entry is the initial one."""

    at: datetime
    priority: str


@dataclass(frozen=True)
class Target:
    """A time to respond or to resolve for one priority, always in whole seconds.

    Keeping a single unit is deliberate: comparing seconds with a bare number of hours or days
    is one of the classic clock bugs. Use :meth:`of` or :meth:`from_timedelta` to convert.
    """

    kind: TargetKind
    priority: str
    seconds: int

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"target kind {self.kind!r} is not one of {TARGET_KINDS}")
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int):
            raise TypeError(f"target seconds must be an int, got {self.seconds!r}")
        if self.seconds <= 0:
            raise ValueError("a target must be a positive number of seconds")

    @classmethod
    def from_timedelta(cls, kind: TargetKind, priority: str, duration: timedelta) -> Target:
        """A target of ``duration`` of service time (whole seconds only)."""
        if duration % timedelta(seconds=1):
            raise ValueError(f"{duration!r} is not a whole number of seconds")
        return cls(kind, priority, duration // timedelta(seconds=1))

    @classmethod
    def of(
        cls,
        kind: TargetKind,
        priority: str,
        *,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
        day_length: timedelta = timedelta(hours=24),
    ) -> Target:
        """A target given in days, hours, minutes and seconds of service time.

        A "day" of a business-hours target is usually a working day, not 24 hours: pass
        ``day_length`` (e.g. ``timedelta(hours=8)`` for a 09:00–17:00 calendar) to say so.
        """
        total = day_length * days + timedelta(hours=hours, minutes=minutes, seconds=seconds)
        return cls.from_timedelta(kind, priority, total)


@dataclass(frozen=True)
class ClockPolicy:
    """Which statuses pause or stop the clocks, and what a reopen does (see module docs)."""

    pause_statuses: frozenset[str]
    stop_statuses_response: frozenset[str]
    stop_statuses_resolution: frozenset[str]
    reopen: ReopenPolicy = "resume"

    def __post_init__(self) -> None:
        if self.reopen not in get_args(ReopenPolicy):
            raise ValueError(f"reopen policy {self.reopen!r} is not 'resume' or 'restart'")


@dataclass(frozen=True)
class ClockResult:
    """One clock of one ticket as of some instant. Durations are whole seconds.

    ``started_at`` is where the clock starts counting (the opening, the last reopen under
    ``"restart"``, or for an OLA clock the group's first hold). ``stopped_at`` is ``None``
    while the clock is live at ``as_of``. ``group`` is set for OLA clocks only.

    ``error`` names the problem of a bad history (see the module docs). Such a result carries
    no clock: its durations are 0, ``deadline`` and ``stopped_at`` are ``None``, ``percent``
    is NaN, ``breached`` is false and ``started_at`` is the first entry's time.
    """

    kind: TargetKind
    priority: str
    target_s: int
    started_at: datetime
    elapsed_business_s: int
    elapsed_calendar_s: int
    paused_s: int
    deadline: datetime | None
    stopped_at: datetime | None
    breached: bool
    percent: float
    group: str | None = None
    error: HistoryProblem | None = None


def ordered_history(
    history: Sequence[StatusChange],
) -> tuple[list[StatusChange], HistoryProblem | None]:
    """The history in the order the clock replays it, and its problem if it is bad input.

    Timestamps are floored to whole seconds. Without sequence numbers the entries are sorted
    by time (equal times keep their given order) and there is no problem to find; with them
    they are sorted by sequence number, then time, and checked as the module docs say.
    """
    changes = [
        StatusChange(whole_second(change.at), change.status, change.group, change.seq)
        for change in history
    ]
    numbered = sum(change.seq is not None for change in changes)
    if numbered == 0:
        return sorted(changes, key=lambda change: change.at), None
    if numbered < len(changes):
        return changes, "incomplete_sequence"
    changes.sort(key=lambda change: (cast(int, change.seq), change.at))
    if changes[-1].at < changes[0].at:
        return changes, "ends_before_start"
    if any(later.at < earlier.at for earlier, later in zip(changes, changes[1:], strict=False)):
        return changes, "out_of_order"
    return changes, None


def history_problem(history: Sequence[StatusChange]) -> HistoryProblem | None:
    """The problem that makes ``history`` bad input, or ``None`` (see the module docs)."""
    return ordered_history(history)[1]


def strictest(targets: Iterable[Target]) -> Target | None:
    """The target with the fewest seconds (the first of equals), or ``None`` if there is none.

    When several agreements apply to one ticket, the shortest target wins.
    """
    best: Target | None = None
    for target in targets:
        if best is None or target.seconds < best.seconds:
            best = target
    return best


def current_priority(priorities: Sequence[PriorityChange], as_of: datetime) -> str | None:
    """The priority in force at ``as_of``: the latest change at or before it (last of equals)."""
    cutoff = whole_second(as_of)
    in_force: PriorityChange | None = None
    for change in sorted(priorities, key=lambda change: whole_second(change.at)):
        if whole_second(change.at) <= cutoff:
            in_force = change
    return None if in_force is None else in_force.priority


def target_for(targets: Iterable[Target], kind: TargetKind, priority: str | None) -> Target | None:
    """The strictest target of ``kind`` for ``priority`` (``None`` when nothing matches)."""
    if priority is None:
        return None
    return strictest(t for t in targets if t.kind == kind and t.priority == priority)


def percent_of(elapsed_s: int, target_s: int) -> float:
    """Elapsed as a percentage of the target, computed the same way on both clock paths."""
    return 100.0 * elapsed_s / target_s
