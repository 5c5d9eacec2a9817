"""SLA, OLA and underpinning-contract clocks: elapsed service time against targets.

Pure Python + numpy; no Django. The rules for how a status history drives a clock are in
:mod:`.model`; :func:`compute_clock` is the per-ticket specification and
:func:`compute_clocks_bulk` the vectorised path for many tickets, tested to agree to the
second; likewise :func:`ola_clocks` and :func:`compute_ola_clocks_bulk` for the OLA clocks of
assignment groups.
A history that contradicts its own sequence numbers is reported per ticket (``error``),
never raised (see :mod:`.model`).
"""

from .bulk import (
    BulkClockResults,
    ClockColumns,
    columns_from_histories,
    compute_clocks_bulk,
    target_seconds,
)
from .calendar import SEARCH_LIMIT, BusinessCalendar, resolve_wall_time
from .intervals import (
    MISSING,
    CumulativeIntervals,
    from_epoch,
    instant_at,
    intersect,
    normalise,
    subtract,
    to_epoch,
    total_seconds,
)
from .model import (
    HISTORY_PROBLEM_MESSAGES,
    HISTORY_PROBLEMS,
    ClockPolicy,
    ClockResult,
    HistoryProblem,
    PriorityChange,
    ReopenPolicy,
    StatusChange,
    Target,
    TargetKind,
    current_priority,
    history_problem,
    ordered_history,
    strictest,
    target_for,
)
from .ola import BulkOlaResults, compute_ola_clocks_bulk, ola_target_seconds
from .reference import compute_clock, ola_clocks

__all__ = [
    "HISTORY_PROBLEMS",
    "HISTORY_PROBLEM_MESSAGES",
    "MISSING",
    "SEARCH_LIMIT",
    "BulkClockResults",
    "BulkOlaResults",
    "BusinessCalendar",
    "ClockColumns",
    "ClockPolicy",
    "ClockResult",
    "HistoryProblem",
    "CumulativeIntervals",
    "PriorityChange",
    "ReopenPolicy",
    "StatusChange",
    "Target",
    "TargetKind",
    "columns_from_histories",
    "compute_clock",
    "compute_clocks_bulk",
    "compute_ola_clocks_bulk",
    "current_priority",
    "from_epoch",
    "history_problem",
    "instant_at",
    "intersect",
    "normalise",
    "ola_clocks",
    "ola_target_seconds",
    "ordered_history",
    "resolve_wall_time",
    "strictest",
    "subtract",
    "target_for",
    "target_seconds",
    "to_epoch",
    "total_seconds",
]
