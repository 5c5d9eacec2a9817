"""OLA clocks for many tickets at once: one clock per (ticket, assignment group) pair.

Same rules and same numbers as :func:`.reference.ola_clocks` (see :mod:`.model`), to the
second. Each ticket is replayed once to find where its ``kind`` clock is live (response
before the first response, resolution outside stops and after the last reopen under
``"restart"``); then every (ticket, group) pair whose group holds the ticket by then becomes
a pseudo-ticket: the ticket's rows from the group's first hold on, live only where the group
holds the ticket and the ticket's clock is live. Rows held by another group (or by none)
count neither as elapsed nor as paused time, and the pseudo-tickets go through the same
vectorised clock as :func:`.bulk.compute_clocks_bulk`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from .bulk import (
    BoolArray,
    ClockColumns,
    FloatArray,
    _clocks_from_rows,
    _liveness,
    _per_ticket,
    _replay,
)
from .calendar import BusinessCalendar
from .intervals import MISSING, IntArray
from .model import (
    HISTORY_PROBLEMS,
    HistoryProblem,
    PriorityChange,
    Target,
    TargetKind,
    current_priority,
    target_for,
)

Int32Array = npt.NDArray[np.int32]


@dataclass(frozen=True)
class BulkOlaResults:
    """One OLA clock per (ticket, group) pair as columns, rows sorted by ticket and group.

    There is a row for every pair of a ticket and a group code (``>= 0``) that occurs
    anywhere in the ticket's history, even after ``as_of``: ``ticket`` is the ticket's index,
    ``group`` the group code (into ``groups``, the columns' group names) and ``target_s``
    the target that applied (0 for none). The other columns mean what they mean in
    :class:`.bulk.BulkClockResults`. A row has no clock (``has_clock`` false, zero durations,
    ``MISSING`` instants, NaN ``percent``) when the pair has no target, when the group did
    not hold the ticket by ``as_of`` (after the last reopen under ``"restart"``), or when the
    ticket's history is bad; ``error`` is the ticket's problem code on all of its rows.

    The reference :func:`.reference.ola_clocks` gives a result exactly for the rows with
    ``has_clock``, and for a bad history an ``error`` result for the rows with a target.
    """

    ticket: IntArray
    group: Int32Array
    groups: tuple[str, ...]
    target_s: IntArray
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
    def empty(
        cls, ticket: IntArray, group: Int32Array, groups: tuple[str, ...] = ()
    ) -> BulkOlaResults:
        """Rows for the pairs ``(ticket[i], group[i])`` that have no clock (yet)."""
        n = ticket.size
        return cls(
            ticket=ticket,
            group=group,
            groups=groups,
            target_s=np.zeros(n, dtype=np.int64),
            has_clock=np.zeros(n, dtype=np.bool_),
            started_at=np.full(n, MISSING, dtype=np.int64),
            elapsed_business_s=np.zeros(n, dtype=np.int64),
            elapsed_calendar_s=np.zeros(n, dtype=np.int64),
            paused_s=np.zeros(n, dtype=np.int64),
            deadline=np.full(n, MISSING, dtype=np.int64),
            stopped_at=np.full(n, MISSING, dtype=np.int64),
            breached=np.zeros(n, dtype=np.bool_),
            percent=np.full(n, np.nan, dtype=np.float64),
            error=np.zeros(n, dtype=np.int8),
        )

    def problem(self, row: int) -> HistoryProblem | None:
        """The problem of row ``row``'s ticket history, or ``None`` when it is good."""
        code = int(self.error[row])
        return None if code == 0 else HISTORY_PROBLEMS[code - 1]

    def group_name(self, row: int) -> str:
        """The name of row ``row``'s group (needs the columns' ``groups``)."""
        return self.groups[int(self.group[row])]

    def row(self, ticket: int, group: int) -> int | None:
        """The row of the pair (``ticket``, group code ``group``), or ``None`` if it has none."""
        key = np.searchsorted(self.ticket, ticket, side="left")
        end = np.searchsorted(self.ticket, ticket, side="right")
        hits = np.flatnonzero(self.group[key:end] == group)
        return int(key + hits[0]) if hits.size else None


def ola_target_seconds(
    priorities: Sequence[Sequence[PriorityChange]],
    targets_by_group: Mapping[str, Sequence[Target]],
    groups: Sequence[str],
    kind: TargetKind,
    as_of: datetime | Sequence[datetime],
) -> IntArray:
    """Each ticket's target in seconds per group code, shape ``(n_tickets, len(groups))``.

    ``priorities[i]`` is ticket ``i``'s priority history, ``groups`` the group names by code
    (``ClockColumns.groups``) and ``as_of`` one instant for all tickets or one per ticket.
    0 where the group has no target for the ticket's priority at ``as_of``.
    """
    result = np.zeros((len(priorities), len(groups)), dtype=np.int64)
    by_priority: dict[str | None, list[int]] = {}
    for ticket, changes in enumerate(priorities):
        instant = as_of if isinstance(as_of, datetime) else as_of[ticket]
        priority = current_priority(changes, instant)
        if priority not in by_priority:
            by_priority[priority] = [
                target.seconds
                if (target := target_for(targets_by_group.get(name, ()), kind, priority))
                else 0
                for name in groups
            ]
        result[ticket] = by_priority[priority]
    return result


def compute_ola_clocks_bulk(
    columns: ClockColumns,
    *,
    kind: TargetKind,
    target_s: npt.ArrayLike,
    calendar: BusinessCalendar,
    as_of: datetime | npt.ArrayLike,
) -> BulkOlaResults:
    """One ``kind`` OLA clock per (ticket, group) pair, as :func:`.reference.ola_clocks` has it.

    ``target_s`` is the target in seconds by ticket and group code: anything that broadcasts
    to ``(n_tickets, n_groups)`` — one number for all, a row of one per group code, a column
    of one per ticket, or the full matrix (:func:`ola_target_seconds` builds it from
    priorities and targets). Pairs with a target of 0 or less get no clock. ``as_of`` is an
    aware datetime, or epoch seconds for all tickets or per ticket. A ticket with a bad
    history gets its ``error`` code on all its rows and no clock; the others are computed as
    usual.
    """
    n_tickets = columns.n_tickets
    with_group = np.flatnonzero(columns.group >= 0)
    n_codes = int(columns.group[with_group].max()) + 1 if with_group.size else 0
    n_groups = max(len(columns.groups), n_codes)
    # Every (ticket, group) pair of the whole history, as one sorted key.
    width = max(n_groups, 1)
    keys = np.unique(columns.ticket[with_group] * width + columns.group[with_group])
    results = BulkOlaResults.empty(keys // width, (keys % width).astype(np.int32), columns.groups)
    if keys.size == 0:
        return results
    goals: IntArray = np.broadcast_to(np.asarray(target_s, dtype=np.int64), (n_tickets, n_groups))
    results.target_s[:] = np.maximum(goals[results.ticket, results.group], 0)

    cutoff, one_cutoff = _per_ticket(as_of, n_tickets)
    error = np.zeros(n_tickets, dtype=np.int8)
    wanted: BoolArray = np.any(goals > 0, axis=1)
    replay = _replay(columns, cutoff, one_cutoff, error, wanted)
    results.error[:] = error[results.ticket]
    if replay is None:
        return results
    live, start_row = _liveness(replay, columns, kind)
    group = replay.take(columns.group)
    n_rows = replay.at.size

    # A pair's clock starts at the group's first row from the ticket's clock start on.
    local = np.repeat(np.arange(replay.first.size), replay.counts)  # row -> its ticket's run
    holds = np.flatnonzero(
        (group >= 0) & (np.arange(n_rows) >= np.repeat(start_row, replay.counts))
    )
    pair_keys, first_hold = np.unique(
        replay.ticket[holds] * width + group[holds], return_index=True
    )
    pair_start = holds[first_hold]
    pair_ticket = replay.ticket[pair_start]
    pair_group = group[pair_start]
    goal = goals[pair_ticket, pair_group]
    chosen = np.flatnonzero(goal > 0)
    if chosen.size == 0:
        return results
    pair_keys, pair_start = pair_keys[chosen], pair_start[chosen]
    pair_ticket, pair_group, goal = pair_ticket[chosen], pair_group[chosen], goal[chosen]

    # Each pair's pseudo-ticket: its ticket's rows from the pair's start to the ticket's last.
    pair_last = replay.last[local[pair_start]]
    counts = pair_last - pair_start + 1
    first = np.cumsum(counts) - counts
    source = np.repeat(pair_start - first, counts) + np.arange(int(counts.sum()))
    held_by_pair = group[source] == np.repeat(pair_group, counts)
    is_pause = replay.take(columns.is_pause)
    clocks = _clocks_from_rows(
        replay.at[source],
        first,
        first + counts - 1,
        live[source] & held_by_pair,
        is_pause[source],
        replay.at[pair_start],
        cutoff[pair_ticket],
        goal,
        calendar,
    )

    out = np.searchsorted(keys, pair_keys)
    results.has_clock[out] = True
    results.started_at[out] = replay.at[pair_start]
    results.elapsed_business_s[out] = clocks.elapsed
    results.elapsed_calendar_s[out] = clocks.elapsed_calendar
    results.paused_s[out] = clocks.paused
    results.deadline[out] = clocks.deadline
    results.stopped_at[out] = clocks.stopped_at
    results.breached[out] = clocks.elapsed > goal
    results.percent[out] = 100.0 * clocks.elapsed / goal
    return results
