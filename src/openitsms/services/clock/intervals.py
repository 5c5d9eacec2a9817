"""One interval algebra for every SLA clock computation.

Every question the clock asks — "how much service time lies between these two instants",
"how much of it was paused", "when does the elapsed time reach the target" — is answered
with the same few operations on half-open intervals ``[start, end)``. Tools that keep a
separate code path per unit (days, hours, pending time) double count; we keep one.

Two representations share the algebra:

* lists of ``(start, end)`` pairs of aware ``datetime`` or of ``int`` epoch seconds (UTC),
  used by the per-ticket reference clock and by the calendar;
* :class:`CumulativeIntervals`, numpy prefix sums over sorted disjoint epoch-second
  intervals, used by the bulk clock to answer the same questions for many instants at once
  with ``np.searchsorted``.

The clock's resolution is one whole second: instants are expected on whole seconds, and
lengths are returned as whole seconds (a fraction of a second is floored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

Instant = TypeVar("Instant", datetime, int)

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ONE_SECOND: Final = timedelta(seconds=1)

# Bit pattern of numpy's NaT: an int64 array of epoch seconds holding MISSING shows NaT when
# viewed as ``datetime64[s]``, and no real ticket timestamp can collide with it.
MISSING: Final = int(np.iinfo(np.int64).min)

IntArray = npt.NDArray[np.int64]


def to_epoch(instant: datetime) -> int:
    """Whole epoch seconds (UTC) of an aware datetime, floored."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: the clock only accepts aware datetimes")
    return (instant - EPOCH) // ONE_SECOND


def whole_second(instant: datetime) -> datetime:
    """An aware datetime in UTC, floored to the whole second (the clock's resolution)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: the clock only accepts aware datetimes")
    return instant.astimezone(UTC).replace(microsecond=0)


def from_epoch(seconds: int) -> datetime:
    """The aware UTC datetime of whole epoch seconds."""
    return EPOCH + timedelta(seconds=int(seconds))


def length_seconds(start: Instant, end: Instant) -> int:
    """Whole seconds from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start) // ONE_SECOND
    if isinstance(start, int) and isinstance(end, int):
        return end - start
    raise TypeError("an interval's ends must both be datetimes or both be ints")


def shift(instant: Instant, seconds: int) -> Instant:
    """``instant`` moved by ``seconds`` of real (elapsed) time."""
    if isinstance(instant, datetime):
        return instant + timedelta(seconds=seconds)
    return instant + seconds


def normalise(intervals: Iterable[tuple[Instant, Instant]]) -> list[tuple[Instant, Instant]]:
    """Sort, drop empty intervals and merge the ones that overlap or touch.

    The result is the canonical form every other function here returns: sorted, disjoint,
    non-empty, and with no two intervals sharing an end point.
    """
    ordered = sorted((start, end) for start, end in intervals if end > start)
    merged: list[tuple[Instant, Instant]] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(
    first: Iterable[tuple[Instant, Instant]], second: Iterable[tuple[Instant, Instant]]
) -> list[tuple[Instant, Instant]]:
    """The instants that lie in both interval sets."""
    left, right = normalise(first), normalise(second)
    result: list[tuple[Instant, Instant]] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(
    kept: Iterable[tuple[Instant, Instant]], removed: Iterable[tuple[Instant, Instant]]
) -> list[tuple[Instant, Instant]]:
    """The instants of ``kept`` that are not in ``removed``."""
    left, right = normalise(kept), normalise(removed)
    result: list[tuple[Instant, Instant]] = []
    j = 0
    for start, end in left:
        # ``left`` is sorted, so a removed interval that ends before this one starts can be
        # skipped for good.
        while j < len(right) and right[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(right) and right[k][0] < end:
            if right[k][0] > cursor:
                result.append((cursor, right[k][0]))
            cursor = max(cursor, right[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def total_seconds(intervals: Iterable[tuple[Instant, Instant]]) -> int:
    """Total length in whole seconds; overlapping input is counted once."""
    return sum(length_seconds(start, end) for start, end in normalise(intervals))


def instant_at(intervals: Iterable[tuple[Instant, Instant]], seconds: int) -> Instant | None:
    """The earliest instant at which the cumulative length of ``intervals`` reaches ``seconds``.

    Cumulative length grows only inside the intervals, so the answer lies in one of them; when
    the amount is reached exactly at an interval's end, that end is the answer (not the next
    interval's start). ``seconds <= 0`` gives the first interval's start. ``None`` when the
    intervals are too short in total.
    """
    remaining = max(seconds, 0)
    for start, end in normalise(intervals):
        length = length_seconds(start, end)
        if remaining <= length:
            return shift(start, remaining)
        remaining -= length
    return None


# Look-ups of at least this many instants go through an hourly index (see
# ``CumulativeIntervals._first_ending_after``); fewer use a plain binary search.
_BUCKETED_FROM: Final = 4096
_BUCKET_S: Final = 3600


class CumulativeIntervals:
    """Prefix sums over sorted disjoint epoch-second intervals, for vectorised look-ups.

    ``measure_until(t)`` is the total length of the intervals before ``t``; the business
    seconds between any two instants is the difference of two look-ups, each O(log n) with
    ``np.searchsorted``. ``instant_at(amount)`` inverts it. Answers are exact only inside the
    window ``[window_start, window_end]`` the intervals were computed for: past the window's
    end, ``measure_until`` stays at the window's total.
    """

    __slots__ = (
        "_before_padded",
        "_bucket_first",
        "_ends_padded",
        "_starts_padded",
        "cumulative",
        "ends",
        "lengths",
        "starts",
        "window_end",
        "window_start",
    )

    def __init__(
        self, starts: IntArray, ends: IntArray, *, window_start: int, window_end: int
    ) -> None:
        self.starts: IntArray = np.ascontiguousarray(starts, dtype=np.int64)
        self.ends: IntArray = np.ascontiguousarray(ends, dtype=np.int64)
        if self.starts.shape != self.ends.shape or self.starts.ndim != 1:
            raise ValueError("starts and ends must be one-dimensional and of equal length")
        self.lengths: IntArray = self.ends - self.starts
        if np.any(self.lengths <= 0) or np.any(self.starts[1:] < self.ends[:-1]):
            raise ValueError("intervals must be non-empty, sorted and disjoint")
        self.cumulative: IntArray = np.cumsum(self.lengths, dtype=np.int64)
        # One sentinel interval past the end, so that look-ups need no special cases.
        total = self.cumulative[-1:] if self.cumulative.size else np.zeros(1, dtype=np.int64)
        self._before_padded: IntArray = np.concatenate((self.cumulative - self.lengths, total))
        self._starts_padded: IntArray = np.append(self.starts, np.iinfo(np.int64).max)
        self._ends_padded: IntArray = np.append(self.ends, np.iinfo(np.int64).max)
        self._bucket_first: IntArray | None = None
        self.window_start = window_start
        self.window_end = window_end

    @classmethod
    def from_pairs(
        cls, pairs: Sequence[tuple[int, int]], *, window_start: int, window_end: int
    ) -> CumulativeIntervals:
        """Build the table from normalised ``(start, end)`` epoch pairs."""
        array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        return cls(array[:, 0], array[:, 1], window_start=window_start, window_end=window_end)

    @property
    def total(self) -> int:
        """Total length of all the intervals, in seconds."""
        return int(self.cumulative[-1]) if self.cumulative.size else 0

    def covers(self, start: int, end: int) -> bool:
        """Whether look-ups between ``start`` and ``end`` are exact."""
        return self.window_start <= start and end <= self.window_end

    def measure_until(self, instants: npt.ArrayLike) -> IntArray:
        """Total interval length before each instant."""
        at = np.asarray(instants, dtype=np.int64)
        # The first interval that ends after ``at``: all before it count in full, and it
        # counts from its start up to ``at`` (nothing when ``at`` is before its start).
        index = self._first_ending_after(at)
        # ``at - min(at, start)`` is ``max(at - start, 0)`` without overflowing the sentinel.
        inside = at - np.minimum(at, self._starts_padded[index])
        result: IntArray = self._before_padded[index] + inside
        return result

    def _first_ending_after(self, at: IntArray) -> IntArray:
        """``np.searchsorted(self.ends, at, side="right")``, faster for many unsorted instants.

        A binary search per instant jumps around memory; instead an hourly index gives each
        instant's position to within the few intervals that end inside its hour, and the
        instants behind an interval's end step forward until none is.
        """
        if at.ndim != 1 or at.size < _BUCKETED_FROM or self.ends.size == 0:
            return np.searchsorted(self.ends, at, side="right")
        origin = int(self.starts[0])
        if self._bucket_first is None:
            n_buckets = (int(self.ends[-1]) - origin) // _BUCKET_S + 1
            bounds = origin + _BUCKET_S * np.arange(n_buckets, dtype=np.int64)
            self._bucket_first = np.searchsorted(self.ends, bounds, side="right")
        bucket = at - origin
        bucket //= _BUCKET_S
        np.maximum(bucket, 0, out=bucket)
        np.minimum(bucket, self._bucket_first.size - 1, out=bucket)
        index: IntArray = self._bucket_first[bucket]
        behind = np.flatnonzero(self._ends_padded[index] <= at)
        while behind.size:
            index[behind] += 1
            behind = behind[self._ends_padded[index[behind]] <= at[behind]]
        return index

    def instant_at(self, amounts: npt.ArrayLike) -> IntArray:
        """Earliest instant at which the cumulative length reaches each amount.

        Same rule as :func:`instant_at`; ``MISSING`` where the amount exceeds the total.
        """
        wanted = np.maximum(np.asarray(amounts, dtype=np.int64), 0)
        if self.starts.size == 0:
            return np.full(wanted.shape, MISSING, dtype=np.int64)
        index = np.searchsorted(self.cumulative, wanted, side="left")
        found = index < self.cumulative.size
        safe = np.minimum(index, self.cumulative.size - 1)
        before = self.cumulative[safe] - self.lengths[safe]
        result: IntArray = np.where(found, self.starts[safe] + (wanted - before), MISSING).astype(
            np.int64
        )
        return result

    def between(self, start: int, end: int) -> tuple[IntArray, IntArray]:
        """The intervals clipped to ``[start, end)``, as start and end arrays."""
        first = int(np.searchsorted(self.ends, start, side="right"))
        stop = int(np.searchsorted(self.starts, end, side="left"))
        starts = np.maximum(self.starts[first:stop], start)
        ends = np.minimum(self.ends[first:stop], end)
        keep = ends > starts
        return starts[keep], ends[keep]
