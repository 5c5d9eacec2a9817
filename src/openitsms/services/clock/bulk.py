"""The SLA clock for many tickets at once, vectorised with numpy.

Same rules and same numbers as :mod:`.reference` (see :mod:`.model`), to the second. The
speed comes from the calendar's cached prefix-sum table of working time
(:meth:`BusinessCalendar.cumulative_table`): the business seconds of every status segment of
every ticket are two ``np.searchsorted`` look-ups, and per-ticket sums, maxima and cumulative
sums are ``np.add.reduceat`` / ``np.maximum.reduceat`` over rows sorted by ticket.

Input is columnar, one row per status change (:class:`ClockColumns`); the statuses are
already reduced to the flags the clock needs, so a database query can fill the columns
directly. :func:`columns_from_histories` builds them from ``StatusChange`` lists. Output is
columnar too (:class:`BulkClockResults`), one row per ticket, instants as epoch seconds with
``MISSING`` (numpy's NaT pattern) for "none".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from .calendar import FIRST_SEARCH_WINDOW, SEARCH_LIMIT_S, BusinessCalendar
from .intervals import MISSING, CumulativeIntervals, IntArray, to_epoch
from .model import (
    ClockPolicy,
    PriorityChange,
    ReopenPolicy,
    StatusChange,
    Target,
    TargetKind,
    current_priority,
    target_for,
)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_FIRST_WINDOW_S = int(FIRST_SEARCH_WINDOW.total_seconds())


@dataclass(frozen=True)
class ClockColumns:
    """Status histories of many tickets as parallel columns, one row per status change.

    ``ticket`` is the ticket's index (``0 <= ticket < n_tickets``), ``at`` the change's epoch
    seconds. Rows may come in any order: they are taken by ticket, then time, keeping the given
    order of changes at the same instant. ``status`` and ``group`` are codes into ``statuses``
    and ``groups`` (``-1`` for no group) for the caller's use; the clock reads only the flags,
    which say what the row's status means under the policy, and ``reopen``.
    """

    n_tickets: int
    ticket: IntArray
    at: IntArray
    is_pause: BoolArray
    is_stop_response: BoolArray
    is_stop_resolution: BoolArray
    status: npt.NDArray[np.int32]
    group: npt.NDArray[np.int32]
    statuses: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    reopen: ReopenPolicy = "resume"

    def __post_init__(self) -> None:
        rows = np.asarray(self.ticket).shape
        columns = (
            ("ticket", np.int64),
            ("at", np.int64),
            ("is_pause", np.bool_),
            ("is_stop_response", np.bool_),
            ("is_stop_resolution", np.bool_),
            ("status", np.int32),
            ("group", np.int32),
        )
        for name, dtype in columns:
            column = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            if column.shape != rows or column.ndim != 1:
                raise ValueError(f"column {name} must be one-dimensional with one entry per row")
            object.__setattr__(self, name, column)
        if self.ticket.size and (self.ticket.min() < 0 or self.ticket.max() >= self.n_tickets):
            raise ValueError("ticket indexes must lie in 0 .. n_tickets - 1")


@dataclass(frozen=True)
class BulkClockResults:
    """One clock per ticket as columns; instants are epoch seconds, ``MISSING`` for none.

    Rows without a clock (no status change by ``as_of``, or no target) have
    ``has_clock`` false, zero durations, ``MISSING`` instants, ``breached`` false and a NaN
    ``percent``. ``array.view("datetime64[s]")`` turns an instant column into datetimes
    with NaT for ``MISSING``.
    """

    has_clock: BoolArray
    started_at: IntArray
    elapsed_business_s: IntArray
    elapsed_calendar_s: IntArray
    paused_s: IntArray
    deadline: IntArray
    stopped_at: IntArray
    breached: BoolArray
    percent: FloatArray

    @classmethod
    def empty(cls, n_tickets: int) -> BulkClockResults:
        """Results for ``n_tickets`` tickets that have no clock (yet)."""
        return cls(
            has_clock=np.zeros(n_tickets, dtype=np.bool_),
            started_at=np.full(n_tickets, MISSING, dtype=np.int64),
            elapsed_business_s=np.zeros(n_tickets, dtype=np.int64),
            elapsed_calendar_s=np.zeros(n_tickets, dtype=np.int64),
            paused_s=np.zeros(n_tickets, dtype=np.int64),
            deadline=np.full(n_tickets, MISSING, dtype=np.int64),
            stopped_at=np.full(n_tickets, MISSING, dtype=np.int64),
            breached=np.zeros(n_tickets, dtype=np.bool_),
            percent=np.full(n_tickets, np.nan, dtype=np.float64),
        )


def columns_from_histories(
    histories: Sequence[Sequence[StatusChange]], policy: ClockPolicy
) -> ClockColumns:
    """Columns for ``histories`` (ticket ``i`` is ``histories[i]``) under ``policy``."""
    status_codes: dict[str, int] = {}
    group_codes: dict[str, int] = {}
    tickets: list[int] = []
    instants: list[int] = []
    statuses: list[int] = []
    groups: list[int] = []
    for ticket, history in enumerate(histories):
        for change in history:
            tickets.append(ticket)
            instants.append(to_epoch(change.at))
            statuses.append(status_codes.setdefault(change.status, len(status_codes)))
            groups.append(
                -1
                if change.group is None
                else group_codes.setdefault(change.group, len(group_codes))
            )
    names = tuple(status_codes)
    status = np.asarray(statuses, dtype=np.int32)

    def flags(wanted: frozenset[str]) -> BoolArray:
        by_code = np.asarray([name in wanted for name in names], dtype=np.bool_)
        return by_code[status] if names else np.zeros(0, dtype=np.bool_)

    return ClockColumns(
        n_tickets=len(histories),
        ticket=np.asarray(tickets, dtype=np.int64),
        at=np.asarray(instants, dtype=np.int64),
        is_pause=flags(policy.pause_statuses),
        is_stop_response=flags(policy.stop_statuses_response),
        is_stop_resolution=flags(policy.stop_statuses_resolution),
        status=status,
        group=np.asarray(groups, dtype=np.int32),
        statuses=names,
        groups=tuple(group_codes),
        reopen=policy.reopen,
    )


def target_seconds(
    priorities: Sequence[Sequence[PriorityChange]],
    targets: Sequence[Target],
    kind: TargetKind,
    as_of: datetime,
) -> IntArray:
    """Each ticket's target in seconds for its priority at ``as_of`` (0 for none).

    ``priorities[i]`` is ticket ``i``'s priority history; the same ``targets`` apply to all.
    """
    result = np.zeros(len(priorities), dtype=np.int64)
    for ticket, changes in enumerate(priorities):
        target = target_for(targets, kind, current_priority(changes, as_of))
        if target is not None:
            result[ticket] = target.seconds
    return result


def compute_clocks_bulk(
    columns: ClockColumns,
    *,
    kind: TargetKind,
    target_s: npt.ArrayLike,
    calendar: BusinessCalendar,
    as_of: datetime | npt.ArrayLike,
) -> BulkClockResults:
    """One ``kind`` clock per ticket, as the reference clock would compute it.

    ``target_s`` is the target in seconds per ticket (or one for all); tickets with a
    target of 0 or less get no clock. ``as_of`` is an aware datetime, or epoch seconds for
    all tickets or per ticket.
    """
    n_tickets = columns.n_tickets
    results = BulkClockResults.empty(n_tickets)
    cutoff = _per_ticket(as_of, n_tickets)
    goals: IntArray = np.broadcast_to(np.asarray(target_s, dtype=np.int64), (n_tickets,))

    keep = (columns.at <= cutoff[columns.ticket]) & (goals[columns.ticket] > 0)
    rows = np.flatnonzero(keep)
    # Two stable sorts give ticket-then-time order with ties left as given.
    rows = rows[np.argsort(columns.at[rows], kind="stable")]
    rows = rows[np.argsort(columns.ticket[rows], kind="stable")]
    n_rows = rows.size
    if n_rows == 0:
        return results

    ticket = columns.ticket[rows]
    at = columns.at[rows]
    is_pause = columns.is_pause[rows]
    index = np.arange(n_rows, dtype=np.int64)
    boundary = ticket[1:] != ticket[:-1]
    first = np.flatnonzero(np.concatenate(([True], boundary)))  # first row of each ticket
    last = np.flatnonzero(np.concatenate((boundary, [True])))  # last row of each ticket
    present = ticket[first]
    owner = np.repeat(np.arange(present.size), last - first + 1)  # row -> position in present
    ticket_cutoff = cutoff[present]

    # A row's status holds until the ticket's next row, the last one until as_of.
    seg_end = np.empty_like(at)
    seg_end[:-1] = at[1:]
    seg_end[last] = ticket_cutoff

    if kind == "response":
        # The response clock stops for good at the first response-stop status.
        hits = np.cumsum(columns.is_stop_response[rows], dtype=np.int64)
        hits_before = hits[first] - columns.is_stop_response[rows][first]
        stopped = (hits - hits_before[owner]) > 0
        start_row = first
    else:
        stopped = columns.is_stop_resolution[rows]
        start_row = first
        if columns.reopen == "restart":
            previous_stopped = np.concatenate(([False], stopped[:-1]))
            reopened = ~stopped & previous_stopped
            reopened[first] = False  # the row before a first row is another ticket's
            candidate = np.where(reopened, index, first[owner])
            start_row = np.maximum.reduceat(candidate, first)
    live = (index >= start_row[owner]) & ~stopped
    running = live & ~is_pause
    pausing = live & is_pause

    table = calendar.cumulative_table(int(at.min()), int(ticket_cutoff.max()))
    measured_start = table.measure_until(at)
    business = table.measure_until(seg_end) - measured_start
    run_business = np.where(running, business, 0)
    elapsed = np.add.reduceat(run_business, first)
    elapsed_calendar = np.add.reduceat(np.where(running, seg_end - at, 0), first)
    paused = np.add.reduceat(np.where(pausing, business, 0), first)

    # The clock is live at as_of when its last row is live; otherwise it stopped where its
    # last live row ended, or at its start if it never was live.
    last_live = np.maximum.reduceat(np.where(live, index, -1), first)
    live_now = last_live == last
    started = at[start_row]
    ended = np.where(last_live >= 0, at[np.minimum(last_live + 1, n_rows - 1)], started)
    stopped_at = np.where(live_now, MISSING, ended)
    projection_from = np.where(live_now, ticket_cutoff, ended)
    goal = goals[present]

    deadline = np.full(present.size, MISSING, dtype=np.int64)
    # Reached in history: the one running row whose cumulative business time crosses the goal.
    cumulative = np.cumsum(run_business) - run_business
    before = cumulative - cumulative[first][owner]
    goal_row = goal[owner]
    crossing = np.flatnonzero(running & (before < goal_row) & (before + run_business >= goal_row))
    deadline[owner[crossing]] = table.instant_at(
        measured_start[crossing] + goal_row[crossing] - before[crossing]
    )
    short = elapsed < goal
    deadline[short] = _projected_deadlines(
        calendar, table, projection_from[short], goal[short] - elapsed[short]
    )

    results.has_clock[present] = True
    results.started_at[present] = started
    results.elapsed_business_s[present] = elapsed
    results.elapsed_calendar_s[present] = elapsed_calendar
    results.paused_s[present] = paused
    results.deadline[present] = deadline
    results.stopped_at[present] = stopped_at
    results.breached[present] = elapsed > goal
    results.percent[present] = 100.0 * elapsed / goal
    return results


def _projected_deadlines(
    calendar: BusinessCalendar,
    table: CumulativeIntervals,
    projection_from: IntArray,
    remaining: IntArray,
) -> IntArray:
    """When ``remaining`` more working seconds have run from each projection point.

    Widens the calendar's table as needed, up to ``SEARCH_LIMIT`` past each point; a deadline
    further out than that is ``MISSING``, as in the reference clock.
    """
    found = np.full(projection_from.size, MISSING, dtype=np.int64)
    limit = projection_from + SEARCH_LIMIT_S
    pending = np.arange(projection_from.size)
    while pending.size:
        wanted = table.measure_until(projection_from[pending]) + remaining[pending]
        found[pending] = table.instant_at(wanted)
        pending = pending[found[pending] == MISSING]
        furthest = int(limit[pending].max()) if pending.size else 0
        if not pending.size or table.window_end >= furthest:
            break
        span = table.window_end - table.window_start
        window_end = min(furthest, table.window_end + max(3 * span, _FIRST_WINDOW_S))
        table = calendar.cumulative_table(table.window_start, window_end)
    result: IntArray = np.where(found > limit, MISSING, found)
    return result


def _per_ticket(as_of: datetime | npt.ArrayLike, n_tickets: int) -> IntArray:
    if isinstance(as_of, datetime):
        return np.full(n_tickets, to_epoch(as_of), dtype=np.int64)
    result: IntArray = np.array(
        np.broadcast_to(np.asarray(as_of, dtype=np.int64), (n_tickets,)), dtype=np.int64
    )
    return result
