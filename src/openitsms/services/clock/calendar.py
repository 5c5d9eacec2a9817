"""Service-hours calendars: when the SLA clock may run.

A :class:`BusinessCalendar` is a weekly pattern of wall-clock segments in one IANA time
zone, less whole local holiday dates and the organisation's own closures. Working time is
always built by walking *local dates* and converting each segment's wall-clock ends to UTC
with :mod:`zoneinfo`; a day is never taken to be 86,400 seconds, so a 09:00–17:00 day is
8 hours on both daylight-saving change days while a 24×7 day is 23 or 25 hours.

Wall-clock times that a daylight-saving change makes odd are resolved like this (the same
rule for a segment's start, its end, and a holiday's midnights):

* a wall time that does not exist (inside a spring-forward gap) moves forward to the
  instant the gap ends, i.e. the first instant that exists after it. A segment
  02:30–10:00 on a day whose clocks jump 02:00 → 03:00 therefore opens at 03:00, and a
  segment lying wholly inside the gap is empty that day;
* a wall time that occurs twice (inside a fall-back fold) means its first occurrence.

Because each boundary is resolved the same way wherever it appears, one day's end and the
next day's start always meet, so a 24×7 calendar has no holes or overlaps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import holidays as public_holidays

from .intervals import (
    CumulativeIntervals,
    IntArray,
    from_epoch,
    instant_at,
    intersect,
    normalise,
    subtract,
    to_epoch,
    total_seconds,
    whole_second,
)

ONE_DAY: Final = timedelta(days=1)  # a step between *local dates*, never between instants
MIDNIGHT: Final = time(0)

# How far past its starting point a deadline or ``add_business_seconds`` is looked for before
# the answer is "never" (a calendar with no service hours, or closed for years). It bounds
# real elapsed time, not a count of days.
SEARCH_LIMIT: Final = timedelta(days=5 * 366)
SEARCH_LIMIT_S: Final = int(SEARCH_LIMIT.total_seconds())
# First search window; it grows fourfold up to SEARCH_LIMIT.
FIRST_SEARCH_WINDOW: Final = timedelta(days=14)

# Extra margin, in seconds, added on both sides whenever the cached epoch table is rebuilt,
# so that a run of slightly wider requests does not rebuild it each time.
_TABLE_MARGIN_S: Final = 31 * 86_400


class _TableCache:
    """Mutable holder for the epoch table, so the frozen calendar can still cache it."""

    __slots__ = ("table",)

    def __init__(self) -> None:
        self.table: CumulativeIntervals | None = None


def resolve_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall-clock time, by the rule in the module docstring."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first occurrence when it is ambiguous
    # Inside a gap zoneinfo maps fold=0 and fold=1 to either side of the transition; the
    # first instant whose local wall time is at or after ``wall`` is where the gap ends.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = to_epoch(min(first, other)), to_epoch(max(first, other))
    while low < high:
        middle = (low + high) // 2
        if from_epoch(middle).astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle + 1
    return from_epoch(low)


@dataclass(frozen=True)
class BusinessCalendar:
    """Service hours in one time zone: weekly segments less holidays and closures.

    ``weekly`` maps a weekday (0 = Monday) to its segments of local wall-clock time. A
    segment whose end is at or before its start crosses midnight and ends on the next day
    (so ``(time(0), time(0))`` is a whole day); a day may have several segments, and days
    left out have none. ``holidays`` are local dates closed for the whole day, including any
    part of the previous evening's segment that runs past midnight into them.
    ``closures`` are the organisation's own closed periods, as aware datetimes.
    All times have whole-second resolution.
    """

    tz: str
    weekly: Mapping[int, Sequence[tuple[time, time]]]
    holidays: frozenset[date] = frozenset()
    closures: Sequence[tuple[datetime, datetime]] = ()
    _cache: _TableCache = field(default_factory=_TableCache, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # fail now on an unknown zone, not on first use
        weekly: dict[int, tuple[tuple[time, time], ...]] = {}
        for weekday, segments in self.weekly.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday!r} is not in 0 (Monday) .. 6 (Sunday)")
            for start, end in segments:
                for moment in (start, end):
                    if moment.tzinfo is not None or moment.microsecond:
                        raise ValueError(f"segment time {moment!r} must be naive whole seconds")
            if segments:  # a day without segments is the same as a day left out
                weekly[weekday] = tuple((start, end) for start, end in segments)
        closures = tuple(
            normalise((whole_second(start), whole_second(end)) for start, end in self.closures)
        )
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "closures", closures)

    def __hash__(self) -> int:
        return hash((self.tz, tuple(sorted(self.weekly.items())), self.holidays, self.closures))

    @classmethod
    def always(cls, tz: str = "UTC") -> BusinessCalendar:
        """The built-in 24×7 calendar (a local day still lasts 23 or 25 h across DST)."""
        return cls(tz=tz, weekly={day: [(MIDNIGHT, MIDNIGHT)] for day in range(7)})

    def with_public_holidays(
        self, country: str, subdiv: str | None = None, *, years: int | Iterable[int]
    ) -> BusinessCalendar:
        """A copy with the public holidays of ``country`` (ISO code) and ``subdiv`` added.

        ``years`` must cover every year the calendar will be asked about: the ``holidays``
        package only knows the years it is asked for.
        """
        wanted = [years] if isinstance(years, int) else list(years)
        found = public_holidays.country_holidays(country, subdiv=subdiv, years=wanted)
        return dataclasses.replace(self, holidays=self.holidays | frozenset(found.keys()))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def has_service_hours(self) -> bool:
        """False for a calendar whose week has no segments at all (it never opens)."""
        return any(self.weekly.values())

    @property
    def around_the_clock(self) -> bool:
        """Open all the time: a whole-day segment every day, no holidays, no closures."""
        whole_day = [(MIDNIGHT, MIDNIGHT)]
        return (
            not self.holidays
            and not self.closures
            and all(list(self.weekly.get(day, ())) == whole_day for day in range(7))
        )

    def working_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Working time within ``[start, end)`` as sorted disjoint UTC intervals."""
        start, end = whole_second(start), whole_second(end)
        if end <= start:
            return []
        if self.around_the_clock:
            # Whole local days end where the next begin, DST or not: one interval (what the
            # day-by-day walk below merges to, without resolving two wall times a day).
            return [(start, end)]
        zone = self.zone
        # The previous local day is included because its segment may run past midnight.
        day = start.astimezone(zone).date() - ONE_DAY
        last_day = end.astimezone(zone).date()
        opened: list[tuple[datetime, datetime]] = []
        closed: list[tuple[datetime, datetime]] = list(self.closures)
        while day <= last_day:
            for seg_start, seg_end in self.weekly.get(day.weekday(), ()):
                end_day = day if seg_end > seg_start else day + ONE_DAY
                opened.append(
                    (
                        resolve_wall_time(datetime.combine(day, seg_start), zone),
                        resolve_wall_time(datetime.combine(end_day, seg_end), zone),
                    )
                )
            if day in self.holidays:
                closed.append(
                    (
                        resolve_wall_time(datetime.combine(day, MIDNIGHT), zone),
                        resolve_wall_time(datetime.combine(day + ONE_DAY, MIDNIGHT), zone),
                    )
                )
            day += ONE_DAY
        return intersect(subtract(opened, closed), [(start, end)])

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Working seconds in ``[start, end)`` (0 if ``end`` is not after ``start``)."""
        return total_seconds(self.working_intervals(start, end))

    def add_business_seconds(self, start: datetime, seconds: int) -> datetime:
        """The earliest instant by which ``seconds`` of working time have passed since ``start``.

        Adding 0 returns ``start`` itself. A positive amount ends inside working time,
        exactly at a segment's end when it is used up there. Raises ``ValueError`` when the
        calendar does not provide that much working time within ``SEARCH_LIMIT``.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        start = whole_second(start)
        if seconds == 0:
            return start
        window = FIRST_SEARCH_WINDOW
        while True:
            found = instant_at(self.working_intervals(start, start + window), seconds)
            if found is not None:
                return found
            if window >= SEARCH_LIMIT:
                raise ValueError(
                    f"the calendar has fewer than {seconds} working seconds within "
                    f"{SEARCH_LIMIT.days} days of {start.isoformat()}"
                )
            window = min(window * 4, SEARCH_LIMIT)

    def cumulative_table(self, start_s: int, end_s: int) -> CumulativeIntervals:
        """Prefix-sum table of working time covering at least ``[start_s, end_s]`` (epoch s).

        Built once and cached on the calendar; a request outside the cached window rebuilds it
        over the union of both windows (plus a margin), so the bulk clock builds it once per
        run rather than once per ticket.
        """
        cached = self._cache.table
        if cached is not None and cached.covers(start_s, end_s):
            return cached
        low, high = start_s, end_s
        if cached is not None:
            low, high = min(low, cached.window_start), max(high, cached.window_end)
        low, high = low - _TABLE_MARGIN_S, high + _TABLE_MARGIN_S
        pairs = [
            (to_epoch(seg_start), to_epoch(seg_end))
            for seg_start, seg_end in self.working_intervals(from_epoch(low), from_epoch(high))
        ]
        table = CumulativeIntervals.from_pairs(pairs, window_start=low, window_end=high)
        self._cache.table = table
        return table

    def working_intervals_epoch(self, start_s: int, end_s: int) -> tuple[IntArray, IntArray]:
        """Working time within ``[start_s, end_s)`` as start and end arrays of epoch seconds."""
        return self.cumulative_table(start_s, end_s).between(start_s, end_s)
