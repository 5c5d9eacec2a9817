"""The interval algebra, on ints, on datetimes, and as numpy prefix sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openitsms.services.clock import (
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

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_normalise_sorts_merges_touching_and_drops_empty() -> None:
    assert normalise([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10), (12, 11)]) == [(1, 4), (5, 9)]


def test_intersect_and_subtract_on_ints() -> None:
    working = [(0, 10), (20, 30)]
    assert intersect(working, [(5, 25)]) == [(5, 10), (20, 25)]
    assert subtract(working, [(5, 22), (25, 26)]) == [(0, 5), (22, 25), (26, 30)]
    assert subtract(working, []) == working
    assert intersect(working, []) == []


def test_the_same_functions_work_on_aware_datetimes_in_any_zone() -> None:
    plus_two = timezone(timedelta(hours=2))
    # 12:00+02:00 is 10:00 UTC, inside the first interval.
    cut = [(datetime(2024, 1, 1, 12, tzinfo=plus_two), at(22))]
    working = [(at(9), at(17)), (at(33), at(41))]
    assert subtract(working, cut) == [(at(9), at(10)), (at(33), at(41))]
    assert total_seconds(intersect(working, cut)) == 7 * 3600


def test_total_counts_overlaps_once() -> None:
    assert total_seconds([(0, 10), (5, 15)]) == 15


def test_instant_at_ends_at_an_interval_end_when_used_up_there() -> None:
    working = [(0, 10), (20, 30)]
    assert instant_at(working, 10) == 10  # not 20: reached at the end of the first interval
    assert instant_at(working, 11) == 21
    assert instant_at(working, 0) == 0
    assert instant_at(working, 21) is None
    assert instant_at([(at(9), at(17))], 3600) == at(10)


def test_epoch_conversion_floors_and_refuses_naive() -> None:
    assert to_epoch(datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)) == 1
    assert from_epoch(86_400) == datetime(1970, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2024, 1, 1))


def test_missing_is_numpys_not_a_time() -> None:
    assert np.isnat(np.array([MISSING], dtype=np.int64).view("datetime64[s]"))[0]


pairs = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 60)), max_size=12).map(
    lambda items: [(start, start + length) for start, length in items]
)


@settings(max_examples=200, deadline=None, database=None)
@given(first=pairs, second=pairs, probe=st.lists(st.integers(-10, 600), max_size=20))
def test_algebra_matches_a_set_of_seconds(
    first: list[tuple[int, int]], second: list[tuple[int, int]], probe: list[int]
) -> None:
    def seconds(intervals: list[tuple[int, int]]) -> set[int]:
        return {second for start, end in intervals for second in range(start, end)}

    assert seconds(normalise(first)) == seconds(first)
    assert seconds(intersect(first, second)) == seconds(first) & seconds(second)
    assert seconds(subtract(first, second)) == seconds(first) - seconds(second)
    assert total_seconds(first) == len(seconds(first))

    merged = normalise(first)
    table = CumulativeIntervals.from_pairs(merged, window_start=-10, window_end=600)
    measured = table.measure_until(np.asarray(probe, dtype=np.int64))
    for instant, value in zip(probe, measured, strict=True):
        assert value == total_seconds(intersect(merged, [(-10, instant)]))
    amounts = np.asarray(probe, dtype=np.int64)
    for amount, found in zip(probe, table.instant_at(amounts), strict=True):
        expected = instant_at(merged, amount)
        assert found == (MISSING if expected is None else expected)
