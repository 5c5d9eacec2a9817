"""Reading single values: timestamps (formats, order, zones, daylight saving) and the rest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openitsms.operations.ingest import TimestampParser, ValueProblem, detect_date_order
from openitsms.operations.ingest.values import (
    clean,
    parse_bool,
    parse_decimal,
    parse_duration,
    parse_int,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("29-02-2016 01:16", "day_first", utc(2016, 2, 29, 1, 16)),
        ("29/2/2016 01:16", "day_first", utc(2016, 2, 29, 1, 16)),
        ("29.02.2016 01:16:05", "day_first", utc(2016, 2, 29, 1, 16, 5)),
        ("29.02.16", "day_first", utc(2016, 2, 29)),
        ("2/29/2016 1:16 PM", "month_first", utc(2016, 2, 29, 13, 16)),
        ("2/29/2016 12:05 am", "month_first", utc(2016, 2, 29, 0, 5)),
        ("03/04/2016 10:00", "day_first", utc(2016, 4, 3, 10)),
        ("03/04/2016 10:00", "month_first", utc(2016, 3, 4, 10)),
        ("2016-02-29", "month_first", utc(2016, 2, 29)),
        ("2016-02-29T01:16:00", "month_first", utc(2016, 2, 29, 1, 16)),
        ("2016-02-29 01:16:00.250", "day_first", utc(2016, 2, 29, 1, 16, 0, 250000)),
        ("2016-02-29T01:16:00Z", "day_first", utc(2016, 2, 29, 1, 16)),
        ("2016-02-29T01:16:00+01:00", "day_first", utc(2016, 2, 29, 0, 16)),
        ("2016/02/29 01:16", "day_first", utc(2016, 2, 29, 1, 16)),
        ("12/Mar/24 9:05 AM", "day_first", utc(2024, 3, 12, 9, 5)),
        ("12/Mar/24 9:05 PM", "month_first", utc(2024, 3, 12, 21, 5)),
        ("12 March 2024 09:05", "day_first", utc(2024, 3, 12, 9, 5)),
        ("  01-03-2016 09:00  ", "day_first", utc(2016, 3, 1, 9)),
    ],
)
def test_timestamp_formats(text: str, order: str, expected: datetime) -> None:
    assert TimestampParser(order, "UTC").parse(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31-02-2016 10:00", "is not a valid date (day is out of range for month; read day-first)"),
        ("13/13/2016", "is not a valid date"),
        ("29-02-2016 25:00", "is not a time of day"),
        ("13:00 PM 01-01-2016", "is not a date and time this importer can read"),
        ("12/Mrz/24 9:05", "'Mrz' is not a month name"),
        ("01-01-2016 13:05 PM", "hour 13 does not go with PM"),
        ("yesterday", "is not a date and time this importer can read"),
    ],
)
def test_unreadable_timestamps_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        TimestampParser("day_first").parse(text)


def test_empty_timestamp_cells_are_none() -> None:
    parser = TimestampParser()
    assert parser.cell("?") is None
    assert parser.cell("") is None
    assert parser.cell("29-02-2016 01:16") == utc(2016, 2, 29, 1, 16)


def test_a_first_part_above_12_proves_day_first() -> None:
    assert detect_date_order(["01-02-2016 10:00", "29-02-2016 01:16"]) == ("day_first", None)


def test_a_second_part_above_12_proves_month_first() -> None:
    assert detect_date_order(["1/2/2016", "2/29/2016 1:16 PM", "?"]) == ("month_first", None)


def test_dates_that_prove_nothing_leave_the_order_open() -> None:
    assert detect_date_order(["01-02-2016 10:00", "12/11/2016", "2016-02-29"]) == (None, None)


def test_dates_that_disagree_follow_the_majority_with_a_warning() -> None:
    order, warning = detect_date_order(["13/01/2016", "14/01/2016", "01/13/2016"])

    assert order == "day_first"
    assert warning is not None
    assert "2 read only as day-first and 1 only as month-first" in warning


def test_naive_times_are_wall_clock_times_of_the_source_zone() -> None:
    parser = TimestampParser("day_first", "Europe/Amsterdam")

    assert parser.parse("29-02-2016 01:16") == utc(2016, 2, 29, 0, 16)  # CET, UTC+1
    assert parser.parse("01-07-2016 12:00") == utc(2016, 7, 1, 10, 0)  # CEST, UTC+2
    assert parser.parse("2016-07-01T12:00:00Z") == utc(2016, 7, 1, 12)  # an offset wins


def test_a_time_in_the_spring_forward_gap_moves_to_the_end_of_the_gap() -> None:
    # Europe/Amsterdam, 27 March 2016: clocks jump from 02:00 to 03:00 (01:00 UTC).
    parser = TimestampParser("day_first", "Europe/Amsterdam")

    assert parser.parse("27-03-2016 01:59") == utc(2016, 3, 27, 0, 59)
    assert parser.parse("27-03-2016 02:00") == utc(2016, 3, 27, 1, 0)
    assert parser.parse("27-03-2016 02:30") == utc(2016, 3, 27, 1, 0)
    assert parser.parse("27-03-2016 03:00") == utc(2016, 3, 27, 1, 0)
    assert parser.parse("27-03-2016 03:10") == utc(2016, 3, 27, 1, 10)
    assert parser.gaps == 2
    assert "2 time(s) fell in a daylight-saving gap" in parser.warnings()[0]


def test_a_time_in_the_fall_back_fold_is_its_first_occurrence_with_the_second_on_hand() -> None:
    # Europe/Amsterdam, 30 October 2016: 02:00-03:00 happens twice (00:00 and 01:00 UTC).
    parser = TimestampParser("day_first", "Europe/Amsterdam")

    first = parser.parse("30-10-2016 02:30")

    assert first == utc(2016, 10, 30, 0, 30)
    assert parser.second_occurrence(first) == utc(2016, 10, 30, 1, 30)
    assert parser.second_occurrence(utc(2016, 10, 30, 3, 0)) is None
    assert parser.folds == 1


def test_hours_next_to_a_transition_keep_their_own_offset() -> None:
    parser = TimestampParser("month_first", "America/New_York")

    # 6 November 2016: 01:00-02:00 EDT then again EST.
    assert parser.parse("11/06/2016 00:59") == utc(2016, 11, 6, 4, 59)
    assert parser.parse("11/06/2016 02:00") == utc(2016, 11, 6, 7, 0)
    assert parser.parse("11/06/2016 00:30") == utc(2016, 11, 6, 4, 30)  # cached hour


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        TimestampParser("day_first", "Mars/Olympus")


@pytest.mark.parametrize("marker", ["", "  ", "?", "NULL", "null", "#N/B", "#N/A", "#MULTIVALUE"])
def test_empty_markers_are_none(marker: str) -> None:
    assert clean(marker) is None


def test_values_are_stripped() -> None:
    assert clean("  Group 56 ") == "Group 56"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("TRUE", True), ("true", True), ("1", True), ("yes", True), ("Y", True)]
    + [("FALSE", False), ("false", False), ("0", False), ("No", False)],
)
def test_booleans(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


def test_a_word_that_is_not_a_boolean_is_named() -> None:
    with pytest.raises(ValueProblem, match="'maybe' is not a yes/no value"):
        parse_bool("maybe")


def test_decimal_commas_where_the_source_uses_them() -> None:
    assert parse_decimal("1,5", decimal_comma=True) == 1.5
    assert parse_decimal("1.234,5", decimal_comma=True) == 1234.5
    assert parse_decimal("1,234.5") == 1234.5
    assert parse_int("3,0", decimal_comma=True) == 3
    assert parse_int("1 234") == 1234
    with pytest.raises(ValueProblem, match="not a whole number"):
        parse_int("2.5")
    with pytest.raises(ValueProblem, match="not a number"):
        parse_decimal("abc")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:30", 5400),
        ("-1:30", -5400),
        ("0:05", 300),
        ("12:00:30", 43230),
        ("-0:01", -60),
        ("2d 3h", 183600),
        ("45m", 2700),
        ("90", 90),
        ("1,5", 2),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, decimal_comma=True) == seconds


def test_an_unreadable_duration_is_named() -> None:
    with pytest.raises(ValueProblem, match="'soon' is not a duration"):
        parse_duration("soon")
