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
from typing import Any

import numpy as np
import numpy.typing as npt

from .calendar import FIRST_SEARCH_WINDOW, SEARCH_LIMIT_S, BusinessCalendar
from .intervals import MISSING, CumulativeIntervals, IntArray, to_epoch
from .model import (
    HISTORY_PROBLEMS,
    ClockPolicy,
    HistoryProblem,
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
    seconds. Rows of different tickets may come in any order; one ticket's rows are taken by
    time, keeping the given order of changes at the same instant — or, when ``seq`` is given,
    by sequence number, then time, and checked for bad input as :mod:`.model` says (``MISSING``
    in ``seq`` marks a change without a number). Input already in that order is used as it
    is, without sorting. ``status`` and ``group`` are codes into ``statuses`` and ``groups``
    (``-1`` for no group) for the caller's use; the clock reads only the flags, which say what
    the row's status means under the policy, and ``reopen``.
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
    seq: IntArray | None = None

    def __post_init__(self) -> None:
        rows = np.asarray(self.ticket).shape
        columns = [
            ("ticket", np.int64),
            ("at", np.int64),
            ("is_pause", np.bool_),
            ("is_stop_response", np.bool_),
            ("is_stop_resolution", np.bool_),
            ("status", np.int32),
            ("group", np.int32),
        ]
        if self.seq is not None:
            columns.append(("seq", np.int64))
        for name, dtype in columns:
            column: npt.NDArray[Any] = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            if column.shape != rows or column.ndim != 1:
                raise ValueError(f"column {name} must be one-dimensional with one entry per row")
            object.__setattr__(self, name, column)
        if self.ticket.size and (self.ticket.min() < 0 or self.ticket.max() >= self.n_tickets):
            raise ValueError("ticket indexes must lie in 0 .. n_tickets - 1")


@dataclass(frozen=True)
class BulkClockResults:
    """One clock per ticket as columns; instants are epoch seconds, ``MISSING`` for none.

    Rows without a clock (no status change by ``as_of``, no target, or a bad history) have
    ``has_clock`` false, zero durations, ``MISSING`` instants, ``breached`` false and a NaN
    ``percent``. ``array.view("datetime64[s]")`` turns an instant column into datetimes
    with NaT for ``MISSING``. ``error`` is 0 for a good history and otherwise ``1 + `` the
    index of its problem in ``HISTORY_PROBLEMS`` (:meth:`problem` names it); it is set for
    every ticket, whether or not it has a target.
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
    error: npt.NDArray[np.int8]

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
            error=np.zeros(n_tickets, dtype=np.int8),
        )

    def problem(self, ticket: int) -> HistoryProblem | None:
        """The problem of ticket ``ticket``'s history, or ``None`` when it is good."""
        code = int(self.error[ticket])
        return None if code == 0 else HISTORY_PROBLEMS[code - 1]


def columns_from_histories(
    histories: Sequence[Sequence[StatusChange]], policy: ClockPolicy
) -> ClockColumns:
    """Columns for ``histories`` (ticket ``i`` is ``histories[i]``) under ``policy``.

    The ``seq`` column is filled when any change has a sequence number.
    """
    status_codes: dict[str, int] = {}
    group_codes: dict[str, int] = {}
    tickets: list[int] = []
    instants: list[int] = []
    statuses: list[int] = []
    groups: list[int] = []
    sequence: list[int] = []
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
            sequence.append(MISSING if change.seq is None else change.seq)
    numbered = any(value != MISSING for value in sequence)
    return columns_from_codes(
        n_tickets=len(histories),
        tickets=tickets,
        instants=instants,
        statuses=statuses,
        groups=groups,
        status_codes=status_codes,
        group_codes=group_codes,
        policy=policy,
        sequence=sequence if numbered else None,
    )


def columns_from_codes(
    *,
    n_tickets: int,
    tickets: Sequence[int] | npt.NDArray[Any],
    instants: Sequence[int] | npt.NDArray[Any],
    statuses: Sequence[int] | npt.NDArray[Any],
    groups: Sequence[int] | npt.NDArray[Any],
    status_codes: dict[str, int],
    group_codes: dict[str, int],
    policy: ClockPolicy,
    sequence: Sequence[int] | None = None,
) -> ClockColumns:
    """Columns from histories already flattened into codes: one entry per status change
    (its ticket, epoch second, status code, group code or -1), the code tables in the order
    the codes were given, and the policy that says which statuses pause and stop."""
    names = tuple(status_codes)
    status = np.asarray(statuses, dtype=np.int32)

    def flags(wanted: frozenset[str]) -> BoolArray:
        by_code = np.asarray([name in wanted for name in names], dtype=np.bool_)
        return by_code[status] if names else np.zeros(0, dtype=np.bool_)

    return ClockColumns(
        n_tickets=n_tickets,
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
        seq=None if sequence is None else np.asarray(sequence, dtype=np.int64),
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
    all tickets or per ticket. A ticket with a bad history gets its ``error`` code and no
    clock; the others are computed as usual.
    """
    n_tickets = columns.n_tickets
    results = BulkClockResults.empty(n_tickets)
    if columns.ticket.size == 0:
        return results
    cutoff, one_cutoff = _per_ticket(as_of, n_tickets)
    goal_values = np.asarray(target_s, dtype=np.int64)
    goals: IntArray = np.broadcast_to(goal_values, (n_tickets,))
    if goal_values.ndim == 0:
        wanted = None if int(goal_values) > 0 else np.zeros(n_tickets, dtype=np.bool_)
    else:
        wanted = goals > 0
    replay = _replay(columns, cutoff, one_cutoff, results.error, wanted)
    if replay is None:
        return results
    live, start_row = _liveness(replay, columns, kind)
    present = replay.present
    goal = goals[present]
    clocks = _clocks_from_rows(
        replay.at,
        replay.first,
        replay.last,
        live,
        replay.take(columns.is_pause),
        replay.at[start_row],
        cutoff[present],
        goal,
        calendar,
    )
    results.has_clock[present] = True
    results.started_at[present] = replay.at[start_row]
    results.elapsed_business_s[present] = clocks.elapsed
    results.elapsed_calendar_s[present] = clocks.elapsed_calendar
    results.paused_s[present] = clocks.paused
    results.deadline[present] = clocks.deadline
    results.stopped_at[present] = clocks.stopped_at
    results.breached[present] = clocks.elapsed > goal
    results.percent[present] = 100.0 * clocks.elapsed / goal
    return results


@dataclass(frozen=True)
class _Replay:
    """The rows a clock replays: kept rows in replay order, grouped by ticket.

    ``rows`` are the kept rows' indexes into the columns (``None``: every row, as given);
    ``first``/``last``/``counts`` delimit each ticket's run of rows and ``present`` names it.
    """

    rows: IntArray | None
    ticket: IntArray
    at: IntArray
    first: IntArray
    last: IntArray
    counts: IntArray
    present: IntArray

    def take(self, column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """``column`` for the kept rows, in replay order."""
        return column if self.rows is None else column[self.rows]


def _replay(
    columns: ClockColumns,
    cutoff: IntArray,
    one_cutoff: int | None,
    error: npt.NDArray[np.int8],
    wanted: BoolArray | None,
) -> _Replay | None:
    """The rows at or before each ticket's ``as_of`` of good tickets in ``wanted``, in order.

    Writes every ticket's problem code into ``error`` (the check covers all rows); ``None``
    when no row is left. ``wanted`` (per ticket, ``None`` for all) spares the work for
    tickets that need no clock.
    """
    # Every row in replay order (ticket, then time or sequence); ``order`` is None when the
    # rows already are, which spares the sort for input that comes from an ordered query.
    order = _replay_order(columns)
    ticket_all = columns.ticket if order is None else columns.ticket[order]
    at_all = columns.at if order is None else columns.at[order]
    keep = at_all <= (one_cutoff if one_cutoff is not None else cutoff[ticket_all])
    if wanted is not None:
        keep &= wanted[ticket_all]
    if columns.seq is not None:
        seq_all = columns.seq if order is None else columns.seq[order]
        _check_sequences(ticket_all, at_all, seq_all, error)
        bad = error != 0
        if bad.any():
            keep &= ~bad[ticket_all]
    if keep.all():
        rows, ticket, at = order, ticket_all, at_all
    else:
        kept = np.flatnonzero(keep)
        rows = kept if order is None else order[kept]
        ticket, at = ticket_all[kept], at_all[kept]
    n_rows = at.size
    if n_rows == 0:
        return None
    starts_ticket = np.empty(n_rows, dtype=np.bool_)
    starts_ticket[0] = True
    np.not_equal(ticket[1:], ticket[:-1], out=starts_ticket[1:])
    first = np.flatnonzero(starts_ticket)  # first row of each ticket
    last = np.empty_like(first)  # last row of each ticket
    last[:-1] = first[1:] - 1
    last[-1] = n_rows - 1
    return _Replay(rows, ticket, at, first, last, last - first + 1, ticket[first])


def _liveness(
    replay: _Replay, columns: ClockColumns, kind: TargetKind
) -> tuple[BoolArray, IntArray]:
    """Which rows the ticket's ``kind`` clock is live in, and the row where it starts."""
    first, counts = replay.first, replay.counts
    n_rows = replay.at.size
    start_row = first
    if kind == "response":
        # The response clock stops for good at the first response-stop status.
        stop = replay.take(columns.is_stop_response)
        hits = np.cumsum(stop, dtype=np.int64)
        hits_before = hits[first] - stop[first]
        live: BoolArray = hits == np.repeat(hits_before, counts)
    else:
        stopped = replay.take(columns.is_stop_resolution)
        live = ~stopped
        if columns.reopen == "restart":
            # A reopen is a live row after a stopped one; the clock starts at the last one.
            reopened = live.copy()
            reopened[1:] &= stopped[:-1]
            reopened[first] = False  # the row before a first row is another ticket's
            candidate = np.where(reopened, np.arange(n_rows, dtype=np.int64), 0)
            start_row = np.maximum(np.maximum.reduceat(candidate, first), first)
            live &= np.arange(n_rows, dtype=np.int64) >= np.repeat(start_row, counts)
    return live, start_row


@dataclass(frozen=True)
class _Clocks:
    """The numbers of many clocks, one entry per clock."""

    elapsed: IntArray
    elapsed_calendar: IntArray
    paused: IntArray
    stopped_at: IntArray
    deadline: IntArray


def _clocks_from_rows(
    at: IntArray,
    first: IntArray,
    last: IntArray,
    live: BoolArray,
    is_pause: BoolArray,
    started: IntArray,
    cutoff: IntArray,
    goal: IntArray,
    calendar: BusinessCalendar,
) -> _Clocks:
    """The clock of each run of rows ``first .. last``: the heart of the bulk clock.

    A row's status holds until the next row of its run, the last one until the run's
    ``cutoff`` (``as_of``); the clock counts the rows flagged ``live`` (paused when
    ``is_pause``) and starts at ``started``, no later than its first live row.
    """
    n_rows = at.size
    counts = last - first + 1
    running = live & ~is_pause
    pausing = live & is_pause

    table = calendar.cumulative_table(int(at[first].min()), int(cutoff.max()))
    # A row's status holds until the ticket's next row, the last one until as_of; so the
    # measure at a row's end is the measure at the next row's start.
    measured_start = table.measure_until(at)
    measured_end = np.empty_like(measured_start)
    measured_end[:-1] = measured_start[1:]
    measured_end[last] = table.measure_until(cutoff)
    business = measured_end - measured_start
    run_business = business * running
    elapsed = np.add.reduceat(run_business, first)
    paused = np.add.reduceat(business * pausing, first)
    held = np.empty_like(at)
    held[:-1] = at[1:] - at[:-1]
    held[last] = cutoff - at[last]
    elapsed_calendar = np.add.reduceat(held * running, first)

    # The clock is live at as_of when its last row is live; otherwise it stopped where its
    # last live row ended, or at its start if it never was live.
    live_now = live[last]
    stopped_at = np.full(first.size, MISSING, dtype=np.int64)
    projection_from = cutoff.copy()
    ended_tickets = np.flatnonzero(~live_now)
    if ended_tickets.size:
        last_live = np.maximum.reduceat(np.where(live, np.arange(n_rows), -1), first)[ended_tickets]
        ended = np.where(
            last_live >= 0, at[np.minimum(last_live + 1, n_rows - 1)], started[ended_tickets]
        )
        stopped_at[ended_tickets] = ended
        projection_from[ended_tickets] = ended

    deadline = np.full(first.size, MISSING, dtype=np.int64)
    # Reached in history: the one running row whose cumulative business time crosses the goal.
    reached = np.flatnonzero(elapsed >= goal)
    if reached.size:
        reached_counts = counts[reached]
        sub = np.repeat(first[reached] - np.cumsum(reached_counts) + reached_counts, reached_counts)
        sub += np.arange(sub.size)  # the rows of the tickets that reached their goal
        sub_business = run_business[sub]
        before = np.cumsum(sub_business) - sub_business
        offsets = np.cumsum(reached_counts) - reached_counts
        before -= np.repeat(before[offsets], reached_counts)
        goal_row = np.repeat(goal[reached], reached_counts)
        crossing = np.flatnonzero((before < goal_row) & (before + sub_business >= goal_row))
        crossed_ticket = np.repeat(reached, reached_counts)[crossing]
        deadline[crossed_ticket] = table.instant_at(
            measured_start[sub[crossing]] + goal_row[crossing] - before[crossing]
        )
    short = np.flatnonzero(elapsed < goal)
    if short.size:
        deadline[short] = _projected_deadlines(
            calendar, table, projection_from[short], goal[short] - elapsed[short]
        )
    return _Clocks(elapsed, elapsed_calendar, paused, stopped_at, deadline)


def _replay_order(columns: ClockColumns) -> IntArray | None:
    """Row indexes in replay order, or ``None`` when the rows are in that order already.

    Replay order is by ticket, then by time (without ``seq``) or by sequence number and
    time (with it); rows with equal keys keep their given order.
    """
    ticket, at, seq = columns.ticket, columns.at, columns.seq
    same = ticket[1:] == ticket[:-1]
    if np.all(ticket[1:] >= ticket[:-1]):
        if seq is None:
            in_order = not np.any(same & (at[1:] < at[:-1]))
        else:
            rising = (seq[1:] > seq[:-1]) | ((seq[1:] == seq[:-1]) & (at[1:] >= at[:-1]))
            in_order = not np.any(same & ~rising)
        if in_order:
            return None
    # One stable sort on a packed key is about twice as fast as np.lexsort; pack when the
    # values fit in 64 bits, which they do for any real set of tickets.
    at_span = int(at.max()) - int(at.min())
    if ticket.size and columns.n_tickets < 2**31 and at_span < 2**32:
        by_ticket_and_time = (ticket << 32) | (at - at.min())
        if seq is None:
            packed: IntArray = np.argsort(by_ticket_and_time, kind="stable")
            return packed
        if not np.any(seq == MISSING) and int(seq.max()) - int(seq.min()) < 2**31:
            by_time = np.argsort(by_ticket_and_time, kind="stable")
            by_sequence = (ticket[by_time] << 31) | (seq[by_time] - seq.min())
            sequenced: IntArray = by_time[np.argsort(by_sequence, kind="stable")]
            return sequenced
    keys = (at, ticket) if seq is None else (at, seq, ticket)
    order: IntArray = np.lexsort(keys).astype(np.int64, copy=False)
    return order


def _check_sequences(
    ticket: IntArray, at: IntArray, seq: IntArray, error: npt.NDArray[np.int8]
) -> None:
    """Write each bad history's problem code into ``error`` (rows in replay order).

    Mirrors :func:`.model.ordered_history`: only some rows numbered, else the last entry
    before the first, else time going backwards along the sequence. Tickets without any
    sequence number are sorted by time and never bad.
    """
    starts = np.empty(ticket.size, dtype=np.bool_)
    starts[0] = True
    np.not_equal(ticket[1:], ticket[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    last = np.empty_like(first)
    last[:-1] = first[1:] - 1
    last[-1] = ticket.size - 1
    present = ticket[first]
    missing = seq == MISSING
    n_missing = np.add.reduceat(missing.astype(np.int64), first)
    numbered = n_missing == 0
    backwards = np.zeros(ticket.size, dtype=np.bool_)
    backwards[1:] = (at[1:] < at[:-1]) & ~starts[1:]
    any_backwards = np.logical_or.reduceat(backwards, first)
    code = np.zeros(present.size, dtype=np.int8)
    code[numbered & any_backwards] = HISTORY_PROBLEMS.index("out_of_order") + 1
    code[numbered & (at[last] < at[first])] = HISTORY_PROBLEMS.index("ends_before_start") + 1
    code[(n_missing > 0) & (n_missing < last - first + 1)] = (
        HISTORY_PROBLEMS.index("incomplete_sequence") + 1
    )
    error[present] = code


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


def _per_ticket(as_of: datetime | npt.ArrayLike, n_tickets: int) -> tuple[IntArray, int | None]:
    """``as_of`` per ticket as epoch seconds, and the single value when all share one."""
    if isinstance(as_of, datetime):
        one = to_epoch(as_of)
        return np.full(n_tickets, one, dtype=np.int64), one
    values = np.asarray(as_of, dtype=np.int64)
    result: IntArray = np.array(np.broadcast_to(values, (n_tickets,)), dtype=np.int64)
    return result, int(values) if values.ndim == 0 else None
