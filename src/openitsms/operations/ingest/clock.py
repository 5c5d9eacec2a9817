"""Normalised records as input for the SLA clock's bulk path.

:func:`clock_columns` turns a batch of records into :class:`ClockColumns` (ticket ``i`` is
``records[i]``), the same columns as :func:`openitsms.services.clock.columns_from_histories`
of their :func:`status_changes` gives, built directly;
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
    to_epoch,
)
from openitsms.services.clock.bulk import columns_from_codes

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
    # What columns_from_histories(map(status_changes, records), policy) gives, without a
    # StatusChange per entry (a batch has tens of thousands): entries carry no sequence
    # number, so there is no ``seq`` column.
    status_codes: dict[str, int] = {}
    group_codes: dict[str, int] = {}
    tickets: list[int] = []
    instants: list[int] = []
    statuses: list[int] = []
    groups: list[int] = []
    for ticket, record in enumerate(records):
        history = record.history
        tickets.extend([ticket] * len(history))
        for entry in history:
            instants.append(to_epoch(entry.at))
            statuses.append(status_codes.setdefault(entry.status, len(status_codes)))
            group = entry.group
            groups.append(-1 if group is None else group_codes.setdefault(group, len(group_codes)))
    return columns_from_codes(
        n_tickets=len(records),
        tickets=tickets,
        instants=instants,
        statuses=statuses,
        groups=groups,
        status_codes=status_codes,
        group_codes=group_codes,
        policy=policy,
    )


def priority_histories(records: Sequence[NormalisedRecord]) -> list[list[PriorityChange]]:
    """Each record's priority history for ``target_seconds`` (``P1`` .. ``P5``)."""
    return [
        [PriorityChange(entry.at, entry.priority) for entry in record.priority_history]
        for record in records
    ]
