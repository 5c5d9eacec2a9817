"""Normalised records as the SLA clock's bulk input: the same numbers as the reference clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np

from openitsms.operations.ingest import (
    DEFAULT_CLOCK_POLICY,
    NormalisedRecord,
    Rejection,
    clock_columns,
    open_records,
    priority_histories,
    status_changes,
)
from openitsms.services.clock import (
    BusinessCalendar,
    Target,
    compute_clock,
    compute_clocks_bulk,
    from_epoch,
    target_seconds,
)

WriteFile = Callable[..., Path]
Split = Callable[[list], tuple[list[NormalisedRecord], list[Rejection]]]

AS_OF = datetime(2016, 3, 31, tzinfo=UTC)
TARGETS = [
    Target.of("response", "P2", hours=1),
    Target.of("resolution", "P2", hours=8),
    Target.of("response", "P3", hours=4),
    Target.of("resolution", "P3", hours=16),
]


def records_of(path: Path, split: Split) -> list[NormalisedRecord]:
    with open_records(path, source="servicenow", kind="incident", tz="Europe/Amsterdam") as s:
        records, rejections = split(list(s))
    assert rejections == []
    return records


def office() -> BusinessCalendar:
    return BusinessCalendar("Europe/Amsterdam", {day: [(time(8), time(18))] for day in range(5)})


def test_columns_hold_every_history_entry_with_our_status_flags(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        "number,incident_state,sys_mod_count,opened_at,sys_updated_at,assignment_group,priority\n"
        "INC1,New,0,01-03-2016 09:00,01-03-2016 09:00,L1,3 - Moderate\n"
        "INC1,Awaiting User Info,1,01-03-2016 09:00,01-03-2016 10:00,L1,3 - Moderate\n"
        "INC1,Active,2,01-03-2016 09:00,01-03-2016 13:00,L2,2 - High\n"
        "INC1,Resolved,3,01-03-2016 09:00,02-03-2016 09:00,L2,2 - High\n"
        "INC2,New,0,01-03-2016 11:00,01-03-2016 11:00,L1,3 - Moderate\n"
    )
    records = records_of(path, split_items)

    columns = clock_columns(records)

    assert columns.n_tickets == 2
    assert columns.ticket.tolist() == [0, 0, 0, 0, 1]
    assert [columns.statuses[code] for code in columns.status] == [
        "new",
        "pending",
        "in_progress",
        "resolved",
        "new",
    ]
    assert columns.is_pause.tolist() == [False, True, False, False, False]
    assert columns.is_stop_response.tolist() == [False, True, True, True, False]
    assert columns.is_stop_resolution.tolist() == [False, False, False, True, False]
    assert [columns.groups[code] for code in columns.group] == ["L1", "L1", "L2", "L2", "L1"]
    assert from_epoch(int(columns.at[0])) == datetime(2016, 3, 1, 8, 0, tzinfo=UTC)
    assert priority_histories(records)[0][-1].priority == "P2"


def test_bulk_clocks_from_records_agree_with_the_reference_clock(
    servicenow_sample: Path, split_items: Split
) -> None:
    with open_records(servicenow_sample, source="servicenow", kind="incident") as stream:
        records, _ = split_items(list(stream))
    calendar = office()
    columns = clock_columns(records)
    priorities = priority_histories(records)

    for kind in ("response", "resolution"):
        targets = target_seconds(priorities, TARGETS, kind, AS_OF)
        bulk = compute_clocks_bulk(
            columns, kind=kind, target_s=targets, calendar=calendar, as_of=AS_OF
        )
        assert bulk.has_clock.sum() > 700  # most sample incidents are P2 or P3
        for index in np.flatnonzero(bulk.has_clock)[::37]:
            record = records[index]
            (reference,) = [
                result
                for result in compute_clock(
                    status_changes(record),
                    priorities[index],
                    TARGETS,
                    calendar,
                    DEFAULT_CLOCK_POLICY,
                    AS_OF,
                )
                if result.kind == kind
            ]
            assert int(bulk.elapsed_business_s[index]) == reference.elapsed_business_s
            assert int(bulk.paused_s[index]) == reference.paused_s
            assert bool(bulk.breached[index]) == reference.breached
