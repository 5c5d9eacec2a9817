"""Service-hours calendars: DST, midnight-crossing segments, holidays and closures.

Expected values are worked out by hand from the zone rules: in 2024 London moves its
clocks on 31 March (01:00 GMT → 02:00 BST) and 27 October (02:00 BST → 01:00 GMT); New York
on 10 March (02:00 EST → 03:00 EDT) and 3 November (02:00 EDT → 01:00 EST).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import businesstimedelta
import numpy as np
import pytest
import pytz  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from openitsms.services.clock import BusinessCalendar, resolve_wall_time, to_epoch

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600

DST_DAYS = [
    ("Europe/London", date(2024, 3, 31)),
    ("Europe/London", date(2024, 10, 27)),
    ("America/New_York", date(2024, 3, 10)),
    ("America/New_York", date(2024, 11, 3)),
]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local_day(tz: str, day: date) -> tuple[datetime, datetime]:
    """From local midnight to the next local midnight."""
    zone = ZoneInfo(tz)
    return (
        datetime.combine(day, time(0), zone),
        datetime.combine(day + timedelta(days=1), time(0), zone),
    )


def every_day(*segments: tuple[time, time], tz: str = "Europe/London") -> BusinessCalendar:
    return BusinessCalendar(tz, {day: list(segments) for day in range(7)})


@pytest.mark.parametrize(("tz", "day"), DST_DAYS)
def test_nine_to_five_is_eight_hours_on_both_dst_days(tz: str, day: date) -> None:
    calendar = every_day((time(9), time(17)), tz=tz)
    assert calendar.business_seconds(*local_day(tz, day)) == 8 * HOUR


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [(tz, day, 23 if day.month == 3 else 25) for tz, day in DST_DAYS],
)
def test_a_24x7_day_lasts_23_or_25_hours_across_dst(tz: str, day: date, hours: int) -> None:
    assert BusinessCalendar.always(tz).business_seconds(*local_day(tz, day)) == hours * HOUR


def test_24x7_calendar_has_no_holes_at_local_midnights() -> None:
    calendar = BusinessCalendar.always("America/New_York")
    start, end = utc(2024, 3, 1), utc(2024, 4, 1)
    assert calendar.working_intervals(start, end) == [(start, end)]


@pytest.mark.parametrize("tz", ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe"])
def test_the_24x7_shortcut_gives_what_the_day_by_day_walk_gives(tz: str) -> None:
    """A 24×7 calendar skips the walk over local days; the same week with a closure long
    before the window takes the walk, across a year of DST changes."""
    always = BusinessCalendar.always(tz)
    walked = dataclasses.replace(always, closures=[(utc(1990, 1, 1), utc(1990, 1, 2))])
    assert always.around_the_clock and not walked.around_the_clock
    start, end = utc(2024, 1, 3, 7, 45), utc(2025, 2, 1, 12)
    assert walked.working_intervals(start, end) == always.working_intervals(start, end)
    assert walked.business_seconds(start, end) == int((end - start).total_seconds())
    assert always.cumulative_table(to_epoch(start), to_epoch(end)).between(
        to_epoch(start), to_epoch(end)
    )[0].tolist() == [to_epoch(start)]


def test_wall_time_in_spring_gap_moves_to_the_end_of_the_gap() -> None:
    # 02:30 does not exist in London on 31 March; the gap ends at 01:00 UTC (02:00 BST).
    assert resolve_wall_time(datetime(2024, 3, 31, 1, 30), LONDON) == utc(2024, 3, 31, 1)
    # New York: 02:00–03:00 does not exist on 10 March; 03:00 EDT is 07:00 UTC.
    assert resolve_wall_time(datetime(2024, 3, 10, 2, 30), NEW_YORK) == utc(2024, 3, 10, 7)
    london = every_day((time(0, 30), time(1, 30)))
    start, end = local_day("Europe/London", date(2024, 3, 31))
    # 00:30 GMT until the gap ends at 01:00 UTC: half an hour.
    assert london.working_intervals(start, end) == [(utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1))]


def test_segment_wholly_inside_the_gap_is_empty_that_day() -> None:
    calendar = every_day((time(1, 10), time(1, 50)))
    assert calendar.business_seconds(*local_day("Europe/London", date(2024, 3, 31))) == 0
    assert calendar.business_seconds(*local_day("Europe/London", date(2024, 4, 1))) == 40 * 60


def test_ambiguous_wall_time_means_its_first_occurrence() -> None:
    # 01:30 happens twice in London on 27 October; the first time is 00:30 UTC (BST).
    assert resolve_wall_time(datetime(2024, 10, 27, 1, 30), LONDON) == utc(2024, 10, 27, 0, 30)
    london = every_day((time(1, 30), time(2, 30)))
    start, end = local_day("Europe/London", date(2024, 10, 27))
    # From the first 01:30 (00:30 UTC) to 02:30 GMT (02:30 UTC): two hours of real time.
    assert london.business_seconds(start, end) == 2 * HOUR
    new_york = every_day((time(1, 30), time(3)), tz="America/New_York")
    start, end = local_day("America/New_York", date(2024, 11, 3))
    # 01:30 EDT (05:30 UTC) to 03:00 EST (08:00 UTC).
    assert new_york.business_seconds(start, end) == int(2.5 * HOUR)


def test_segment_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    nights = BusinessCalendar("Europe/London", {day: [(time(22), time(6))] for day in range(5)})
    # Week of Monday 3 June 2024: Mon–Fri nights, each 8 h, the Friday one ending Saturday.
    week = nights.working_intervals(
        datetime(2024, 6, 3, tzinfo=LONDON), datetime(2024, 6, 10, tzinfo=LONDON)
    )
    assert len(week) == 5
    assert week[0] == (utc(2024, 6, 3, 21), utc(2024, 6, 4, 5))
    assert week[-1] == (utc(2024, 6, 7, 21), utc(2024, 6, 8, 5))
    # Sunday has no segment, so early Monday morning is closed.
    assert (
        nights.business_seconds(
            datetime(2024, 6, 10, 0, tzinfo=LONDON), datetime(2024, 6, 10, 6, tzinfo=LONDON)
        )
        == 0
    )


def test_night_segment_across_dst_change_follows_the_wall_clock() -> None:
    nights = every_day((time(22), time(6)), tz="America/New_York")
    fall = nights.business_seconds(
        datetime(2024, 11, 2, 22, tzinfo=NEW_YORK), datetime(2024, 11, 3, 12, tzinfo=NEW_YORK)
    )
    spring = nights.business_seconds(
        datetime(2024, 3, 9, 22, tzinfo=NEW_YORK), datetime(2024, 3, 10, 12, tzinfo=NEW_YORK)
    )
    assert (fall, spring) == (9 * HOUR, 7 * HOUR)


def test_whole_day_segment_and_several_segments_a_day() -> None:
    whole_day = every_day((time(0), time(0)))
    assert whole_day.business_seconds(utc(2024, 6, 3), utc(2024, 6, 5)) == 48 * HOUR
    split = BusinessCalendar(
        "Europe/London", {day: [(time(9), time(12)), (time(13), time(17))] for day in range(5)}
    )
    monday = datetime(2024, 6, 3, tzinfo=LONDON)
    assert split.business_seconds(monday, monday + timedelta(days=1)) == 7 * HOUR
    # 11:00–14:00 local spans the lunch break: 11–12 and 13–14.
    assert split.business_seconds(monday.replace(hour=11), monday.replace(hour=14)) == 2 * HOUR


def test_england_christmas_from_the_holidays_package(london_office: BusinessCalendar) -> None:
    assert {date(2024, 12, 25), date(2024, 12, 26)} <= london_office.holidays
    # Mon 23 – Fri 27 December 2024: Christmas Day and Boxing Day are closed.
    week = london_office.business_seconds(
        datetime(2024, 12, 23, 9, tzinfo=LONDON), datetime(2024, 12, 27, 17, tzinfo=LONDON)
    )
    assert week == 3 * 8 * HOUR


def test_holiday_closes_the_part_of_a_night_segment_past_its_midnight() -> None:
    nights = BusinessCalendar(
        "Europe/London",
        {day: [(time(22), time(6))] for day in range(7)},
        holidays=frozenset({date(2024, 12, 25)}),
    )
    # 24th 22:00 → 25th 06:00 keeps only 22:00–24:00; the 25th's own night is closed until
    # midnight and opens again on the 26th.
    assert nights.business_seconds(utc(2024, 12, 24, 12), utc(2024, 12, 26, 12)) == 2 * HOUR + (
        6 * HOUR
    )


def test_closures_are_subtracted(london_office: BusinessCalendar) -> None:
    wednesday = datetime(2024, 6, 5, tzinfo=LONDON)
    closed = BusinessCalendar(
        london_office.tz,
        london_office.weekly,
        london_office.holidays,
        closures=[(wednesday.replace(hour=12), wednesday.replace(hour=14))],
    )
    day = (wednesday, wednesday + timedelta(days=1))
    assert london_office.business_seconds(*day) == 8 * HOUR
    assert closed.business_seconds(*day) == 6 * HOUR


def test_add_business_seconds(london_office: BusinessCalendar) -> None:
    friday_four = datetime(2024, 6, 7, 16, tzinfo=LONDON)
    assert london_office.add_business_seconds(friday_four, 2 * HOUR) == datetime(
        2024, 6, 10, 10, tzinfo=LONDON
    )
    # Used up exactly at closing time: the deadline is 17:00, not Monday 09:00.
    assert london_office.add_business_seconds(friday_four, HOUR) == friday_four.replace(hour=17)
    assert london_office.add_business_seconds(friday_four, 0) == friday_four
    # Christmas 2024 week: Tue 24th 16:00 + 2 h skips Wed 25th and Thu 26th.
    assert london_office.add_business_seconds(
        datetime(2024, 12, 24, 16, tzinfo=LONDON), 2 * HOUR
    ) == datetime(2024, 12, 27, 10, tzinfo=LONDON)


def test_add_business_seconds_on_a_calendar_that_never_opens_fails() -> None:
    closed = BusinessCalendar("UTC", {})
    assert not closed.has_service_hours
    with pytest.raises(ValueError, match="fewer than"):
        closed.add_business_seconds(utc(2024, 1, 1), 1)


def test_epoch_variant_matches_and_reuses_its_cached_table(
    london_office: BusinessCalendar,
) -> None:
    start, end = utc(2024, 3, 1), utc(2024, 11, 30)
    starts, ends = london_office.working_intervals_epoch(to_epoch(start), to_epoch(end))
    expected = london_office.working_intervals(start, end)
    assert starts.tolist() == [to_epoch(s) for s, _ in expected]
    assert ends.tolist() == [to_epoch(e) for _, e in expected]
    table = london_office.cumulative_table(to_epoch(start), to_epoch(end))
    assert london_office.cumulative_table(to_epoch(utc(2024, 6, 1)), to_epoch(end)) is table
    assert int(np.diff(table.measure_until([to_epoch(start), to_epoch(end)]))[0]) == sum(
        (e - s) // timedelta(seconds=1) for s, e in expected
    )


def test_calendars_are_values() -> None:
    first = every_day((time(9), time(17)))
    second = every_day((time(9), time(17)))
    assert first == second
    assert hash(first) == hash(second)
    assert first != every_day((time(9), time(18)))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"tz": "UTC", "weekly": {7: []}}, "weekday"),
        ({"tz": "UTC", "weekly": {0: [(time(9, tzinfo=UTC), time(17))]}}, "naive"),
        ({"tz": "UTC", "weekly": {0: [(time(9, 0, 0, 5), time(17))]}}, "whole seconds"),
        (
            {"tz": "UTC", "weekly": {}, "closures": [(datetime(2024, 1, 1), utc(2024, 1, 2))]},
            "naive",
        ),
    ],
)
def test_invalid_calendars_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**arguments)  # type: ignore[arg-type]


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(Exception, match="Nowhere"):
        BusinessCalendar("Europe/Nowhere", {})


# --- agreement with businesstimedelta ---------------------------------------------------

# businesstimedelta maps a wall time inside a DST gap differently (pytz's is_dst=False), and
# ends a holiday 24 h after it starts; segments between 04:00 and 23:00 avoid both cases.
segment_hours = st.tuples(st.integers(4 * 4, 21 * 4), st.integers(1, 8 * 4)).map(
    lambda quarter: (
        time(quarter[0] // 4, quarter[0] % 4 * 15),
        time(min(quarter[0] + quarter[1], 92) // 4, min(quarter[0] + quarter[1], 92) % 4 * 15),
    )
)
YEAR_2024 = utc(2024, 1, 1)
PUBLIC_HOLIDAYS = {"Europe/London": ("GB", "ENG"), "America/New_York": ("US", None)}


@settings(max_examples=150, deadline=None, database=None)
@given(
    tz=st.sampled_from(sorted(PUBLIC_HOLIDAYS)),
    segment=segment_hours,
    working_days=st.sets(st.integers(0, 6), min_size=1),
    offset=st.integers(0, 340 * 86_400),
    span=st.integers(0, 40 * 86_400),
)
def test_business_seconds_match_businesstimedelta(
    tz: str, segment: tuple[time, time], working_days: set[int], offset: int, span: int
) -> None:
    country, subdiv = PUBLIC_HOLIDAYS[tz]
    # Holidays reach past the window: businesstimedelta looks up to five years ahead.
    calendar = BusinessCalendar(tz, {day: [segment] for day in working_days}).with_public_holidays(
        country, subdiv, years=range(2023, 2031)
    )
    rule = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=segment[0],
                end_time=segment[1],
                working_days=sorted(working_days),
                tz=pytz.timezone(tz),
            ),
            businesstimedelta.HolidayRule(calendar.holidays, tz=pytz.timezone(tz)),
        ]
    )
    start = YEAR_2024 + timedelta(seconds=offset)
    end = start + timedelta(seconds=span)
    theirs = rule.difference(start, end).timedelta
    assert calendar.business_seconds(start, end) == theirs // timedelta(seconds=1)
