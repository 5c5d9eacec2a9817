"""SLA, OLA and underpinning-contract clocks: elapsed service time against targets.

Pure Python + numpy; no Django. The rules for how a status history drives a clock are in
:mod:`.model`; :func:`compute_clock` is the per-ticket specification and
:func:`compute_clocks_bulk` the vectorised path for many tickets, tested to agree to the
second.
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
    ClockPolicy,
    ClockResult,
    PriorityChange,
    ReopenPolicy,
    StatusChange,
    Target,
    TargetKind,
    current_priority,
    strictest,
    target_for,
)
from .reference import compute_clock, ola_clocks

__all__ = [
    "MISSING",
    "SEARCH_LIMIT",
    "BulkClockResults",
    "BusinessCalendar",
    "ClockColumns",
    "ClockPolicy",
    "ClockResult",
    "CumulativeIntervals",
    "PriorityChange",
    "ReopenPolicy",
    "StatusChange",
    "Target",
    "TargetKind",
    "columns_from_histories",
    "compute_clock",
    "compute_clocks_bulk",
    "current_priority",
    "from_epoch",
    "instant_at",
    "intersect",
    "normalise",
    "ola_clocks",
    "resolve_wall_time",
    "strictest",
    "subtract",
    "target_for",
    "target_seconds",
    "to_epoch",
    "total_seconds",
]
