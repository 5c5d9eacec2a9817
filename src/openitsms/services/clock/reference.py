"""The per-ticket SLA clock: plain, slow and easy to check — the specification.

It replays one ticket's status history segment by segment with the interval algebra on
aware datetimes. A bad history (see :mod:`.model`) gives results that carry its ``error``
instead of clock numbers. :mod:`.bulk` computes the same numbers for many tickets at once and is
tested against this module. The rules are described in :mod:`.model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .calendar import FIRST_SEARCH_WINDOW, SEARCH_LIMIT, BusinessCalendar
from .intervals import instant_at, intersect, total_seconds, whole_second
from .model import (
    TARGET_KINDS,
    ClockPolicy,
    ClockResult,
    HistoryProblem,
    PriorityChange,
    StatusChange,
    Target,
    TargetKind,
    current_priority,
    ordered_history,
    percent_of,
    target_for,
)


@dataclass(frozen=True)
class _Segment:
    """One status held from ``start`` until ``end``, as one clock kind sees it."""

    start: datetime
    end: datetime
    group: str | None
    stopped: bool
    paused: bool


def compute_clock(
    history: Sequence[StatusChange],
    priorities: Sequence[PriorityChange],
    targets: Sequence[Target],
    calendar: BusinessCalendar,
    policy: ClockPolicy,
    as_of: datetime,
) -> list[ClockResult]:
    """The ticket's response and resolution clocks as of ``as_of``.

    One result per kind that has a target for the ticket's current priority, response first.
    Empty when the ticket had no status entry or no priority by ``as_of``. A bad history gives
    one result per such kind with ``error`` set and no clock numbers; it never raises.
    """
    as_of = whole_second(as_of)
    priority = current_priority(priorities, as_of)
    ordered, problem = ordered_history(history)
    results: list[ClockResult] = []
    for kind in TARGET_KINDS:
        target = target_for(targets, kind, priority)
        if target is None:
            continue
        if problem is not None:
            results.append(_bad_history(ordered, target, problem, group=None))
            continue
        result = _run_clock(ordered, target, calendar, policy, as_of, group=None)
        if result is not None:
            results.append(result)
    return results


def ola_clocks(
    history: Sequence[StatusChange],
    priorities: Sequence[PriorityChange],
    targets_by_group: Mapping[str, Sequence[Target]],
    calendar: BusinessCalendar,
    policy: ClockPolicy,
    as_of: datetime,
) -> list[ClockResult]:
    """One clock per assignment group and target kind, counting only the group's holds.

    A group gets a result when it has a target for the current priority and has held the
    ticket by ``as_of``. Results follow the order of ``targets_by_group``. A bad history gives
    an ``error`` result for each group with a target that appears anywhere in it.
    """
    as_of = whole_second(as_of)
    priority = current_priority(priorities, as_of)
    ordered, problem = ordered_history(history)
    results: list[ClockResult] = []
    for group, group_targets in targets_by_group.items():
        for kind in TARGET_KINDS:
            target = target_for(group_targets, kind, priority)
            if target is None:
                continue
            if problem is not None:
                if any(change.group == group for change in ordered):
                    results.append(_bad_history(ordered, target, problem, group=group))
                continue
            result = _run_clock(ordered, target, calendar, policy, as_of, group=group)
            if result is not None:
                results.append(result)
    return results


def _bad_history(
    ordered: Sequence[StatusChange],
    target: Target,
    problem: HistoryProblem,
    *,
    group: str | None,
) -> ClockResult:
    """The result that reports a bad history: no clock numbers, the problem in ``error``."""
    return ClockResult(
        kind=target.kind,
        priority=target.priority,
        target_s=target.seconds,
        started_at=ordered[0].at,
        elapsed_business_s=0,
        elapsed_calendar_s=0,
        paused_s=0,
        deadline=None,
        stopped_at=None,
        breached=False,
        percent=float("nan"),
        group=group,
        error=problem,
    )


def _segments(
    history: Sequence[StatusChange], kind: TargetKind, policy: ClockPolicy, as_of: datetime
) -> list[_Segment]:
    """The history up to ``as_of`` as consecutive segments, from where the clock starts."""
    events = sorted(
        (StatusChange(whole_second(change.at), change.status, change.group) for change in history),
        key=lambda change: change.at,
    )
    events = [change for change in events if change.at <= as_of]
    segments: list[_Segment] = []
    responded = False
    for index, change in enumerate(events):
        end = events[index + 1].at if index + 1 < len(events) else as_of
        if kind == "response":
            responded = responded or change.status in policy.stop_statuses_response
            stopped = responded
        else:
            stopped = change.status in policy.stop_statuses_resolution
        paused = change.status in policy.pause_statuses
        segments.append(_Segment(change.at, end, change.group, stopped, paused))
    if kind == "resolution" and policy.reopen == "restart":
        last_reopen = 0
        for index in range(1, len(segments)):
            if segments[index - 1].stopped and not segments[index].stopped:
                last_reopen = index
        segments = segments[last_reopen:]
    return segments


def _run_clock(
    history: Sequence[StatusChange],
    target: Target,
    calendar: BusinessCalendar,
    policy: ClockPolicy,
    as_of: datetime,
    *,
    group: str | None,
) -> ClockResult | None:
    segments = _segments(history, target.kind, policy, as_of)
    if group is not None:
        segments_held = [segment for segment in segments if segment.group == group]
        if not segments_held:
            return None
        started_at = segments_held[0].start
    elif segments:
        started_at = segments[0].start
    else:
        return None

    def is_live(segment: _Segment) -> bool:
        return not segment.stopped and (group is None or segment.group == group)

    running = [(s.start, s.end) for s in segments if is_live(s) and not s.paused]
    pausing = [(s.start, s.end) for s in segments if is_live(s) and s.paused]
    working = calendar.working_intervals(started_at, as_of)
    elapsed = total_seconds(intersect(running, working))
    paused = total_seconds(intersect(pausing, working))

    stopped_at: datetime | None = None
    if not is_live(segments[-1]):
        stopped_at = started_at
        for segment in segments:
            if is_live(segment):
                stopped_at = segment.end
    projection_from = as_of if stopped_at is None else stopped_at

    return ClockResult(
        kind=target.kind,
        priority=target.priority,
        target_s=target.seconds,
        started_at=started_at,
        elapsed_business_s=elapsed,
        elapsed_calendar_s=total_seconds(running),
        paused_s=paused,
        deadline=_deadline(running, projection_from, started_at, target.seconds, calendar),
        stopped_at=stopped_at,
        breached=elapsed > target.seconds,
        percent=percent_of(elapsed, target.seconds),
        group=group,
    )


def _deadline(
    running: list[tuple[datetime, datetime]],
    projection_from: datetime,
    started_at: datetime,
    target_s: int,
    calendar: BusinessCalendar,
) -> datetime | None:
    """When business elapsed time reaches the target: history, then running from the projection.

    The search window grows until the deadline is found or reaches ``SEARCH_LIMIT``.
    """
    window = FIRST_SEARCH_WINDOW
    while True:
        horizon = projection_from + window
        would_run = [*running, (projection_from, horizon)]
        working = calendar.working_intervals(started_at, horizon)
        found = instant_at(intersect(would_run, working), target_s)
        if found is not None:
            return found
        if window >= SEARCH_LIMIT:
            return None
        window = min(window * 4, SEARCH_LIMIT)
