"""Normalised records as input for the SLA clock's bulk path.

:func:`clock_columns` turns a batch of records into :class:`ClockColumns` (ticket ``i`` is
``records[i]``) through :func:`openitsms.services.clock.columns_from_histories`;
:func:`priority_histories` gives the matching input of
:func:`openitsms.services.clock.target_seconds`. The histories are already in time order
and checked by :mod:`.history`, so the entries are passed without sequence numbers (the
clock sorts by time, keeping the given order of equal times — the same order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from openitsms.services.clock import (
    ClockColumns,
    ClockPolicy,
    PriorityChange,
    StatusChange,
    columns_from_histories,
)

from .records import DONE_STATUSES, PAUSE_STATUSES, NormalisedRecord

DEFAULT_CLOCK_POLICY: Final = ClockPolicy(
    pause_statuses=frozenset(PAUSE_STATUSES),
    # Any move out of "new" is a response: someone took the ticket, asked the user something
    # (pending) or solved it outright.
    stop_statuses_response=frozenset({"in_progress", *PAUSE_STATUSES, *DONE_STATUSES}),
    stop_statuses_resolution=frozenset(DONE_STATUSES),
)
"""The clock policy for our status vocabulary: pending pauses, resolved/closed/cancelled stop."""


def status_changes(record: NormalisedRecord) -> list[StatusChange]:
    """The record's status history as the clock's ``StatusChange`` entries."""
    return [StatusChange(entry.at, entry.status, entry.group) for entry in record.history]


def clock_columns(
    records: Sequence[NormalisedRecord], policy: ClockPolicy = DEFAULT_CLOCK_POLICY
) -> ClockColumns:
    """Columnar status histories of ``records`` for ``compute_clocks_bulk``, under ``policy``.

    A policy written for source statuses can be used as well: pass one whose status sets
    hold our statuses (``new``, ``in_progress``, ``pending``, ``resolved``, ``closed``,
    ``cancelled``), since those are what the histories carry.
    """
    return columns_from_histories([status_changes(record) for record in records], policy)


def priority_histories(records: Sequence[NormalisedRecord]) -> list[list[PriorityChange]]:
    """Each record's priority history for ``target_seconds`` (``P1`` .. ``P5``)."""
    return [
        [PriorityChange(entry.at, entry.priority) for entry in record.priority_history]
        for record in records
    ]
