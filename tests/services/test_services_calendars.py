"""Business calendars: segments, time zones, holidays, closures, the built-in 24×7 calendar,
the conversion to the clock library's calendar and the week picture."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from openitsms.audit.models import AuditEvent
from openitsms.services import actions
from openitsms.services.charts import week_picture
from openitsms.services.models import Calendar, CalendarClosure, CalendarSegment
from openitsms.tenancy.scoping import org_scope


def test_overlapping_segments_are_refused_with_the_segment_they_overlap(org, office) -> None:
    with org_scope(org), pytest.raises(ValidationError) as refused:
        actions.add_segments(calendar=office, weekdays=[2], starts_at=time(16), ends_at=time(18))
    assert refused.value.message_dict == {
        "starts_at": ["Wednesday: This overlaps Wednesday 09:00–17:00."]
    }
    assert office.segments.count() == 5


def test_a_night_segment_crossing_midnight_overlaps_the_next_mornings_hours(org, office) -> None:
    with org_scope(org):
        actions.add_segments(calendar=office, weekdays=[6], starts_at=time(22), ends_at=time(6))
        with pytest.raises(ValidationError, match="Monday: This overlaps Sunday 22:00–06:00"):
            actions.add_segments(calendar=office, weekdays=[0], starts_at=time(5), ends_at=time(8))
        # Touching is fine: Sunday night ends at 06:00, Monday early shift starts at 06:00.
        actions.add_segments(calendar=office, weekdays=[0], starts_at=time(6), ends_at=time(8))
    assert office.segments.filter(weekday=0).count() == 2


def test_an_empty_segment_is_refused_but_00_00_to_24_00_is_the_whole_day(org, office) -> None:
    with org_scope(org):
        with pytest.raises(ValidationError, match="This segment is empty"):
            actions.add_segments(calendar=office, weekdays=[5], starts_at=time(9), ends_at=time(9))
        actions.add_segments(calendar=office, weekdays=[5], starts_at=time(0), ends_at=time(0))
    saturday = office.segments.get(weekday=5)
    assert saturday.hours == 24 and saturday.ends_label == "24:00"


def test_the_database_refuses_an_empty_segment_by_its_named_constraint(org, office) -> None:
    with org_scope(org), transaction.atomic(), pytest.raises(IntegrityError):
        CalendarSegment.objects.create(
            calendar=office, weekday=6, starts_at=time(10), ends_at=time(10)
        )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"time_zone": "Europe/Londres"}, "time_zone", "is not a time zone we know"),
        ({"holiday_country": "XX"}, "holiday_country", "is not a country with public holidays"),
        (
            {"holiday_country": "GB", "holiday_subdivision": "XYZ"},
            "holiday_subdivision",
            "Known: ENG, NIR, SCT, WLS",
        ),
        ({"holiday_subdivision": "ENG"}, "holiday_subdivision", "Choose the country"),
    ],
)
def test_unknown_zones_countries_and_subdivisions_are_refused_on_their_field(
    org, fields, field, message
) -> None:
    calendar = Calendar(**{"name": "Bad", "time_zone": "Europe/London", **fields})
    with org_scope(org), pytest.raises(ValidationError) as refused:
        actions.save_calendar(calendar=calendar, organisation=org)
    assert message in " ".join(refused.value.message_dict[field])
    with org_scope(org):
        assert not Calendar.objects.filter(name="Bad").exists()


def test_country_codes_are_normalised_to_upper_case(org) -> None:
    with org_scope(org):
        calendar = actions.save_calendar(
            calendar=Calendar(
                name="NY",
                time_zone="America/New_York",
                holiday_country="us",
                holiday_subdivision="ny",
            ),
            organisation=org,
        )
    assert (calendar.holiday_country, calendar.holiday_region) == ("US", "US-NY")


def test_the_calendar_converts_to_the_clock_library_with_holidays_and_closures(org, office) -> None:
    with org_scope(org):
        actions.save_closure(
            closure=CalendarClosure(
                name="Shutdown", starts_on=date(2024, 12, 27), ends_on=date(2024, 12, 31)
            ),
            calendar=office,
        )
        business = Calendar.objects.with_details().get(pk=office.pk).to_business_calendar([2024])
    assert business.tz == "Europe/London"
    assert date(2024, 12, 25) in business.holidays  # Christmas, from the holidays package
    assert date(2024, 12, 30) in business.holidays  # the closure
    # Christmas week 2024: Mon 23, Tue 24 open; 25, 26 bank holidays; 27 closed.
    week = business.business_seconds(
        datetime(2024, 12, 23, tzinfo=UTC), datetime(2024, 12, 30, tzinfo=UTC)
    )
    assert week == 2 * 8 * 3600


def test_the_built_in_24x7_calendar_is_created_once_and_cannot_change(org) -> None:
    with org_scope(org):
        first = actions.ensure_builtin_calendar(organisation=org)
        again = actions.ensure_builtin_calendar(organisation=org)
        assert first == again and first.is_builtin and first.time_zone == "Europe/London"
        assert first.business_day_seconds() == 86_400
        assert (
            first.to_business_calendar().business_seconds(
                datetime(2024, 3, 31, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
            )
            == 86_400
        )
        with pytest.raises(ValidationError, match="cannot be changed"):
            actions.save_calendar(calendar=first, organisation=org)
        with pytest.raises(ValidationError, match="cannot be deleted"):
            actions.delete_calendar(calendar=first)
        with pytest.raises(ValidationError, match="cannot be changed"):
            actions.add_segments(calendar=first, weekdays=[0], starts_at=time(9), ends_at=time(17))


def test_a_business_day_is_the_most_common_working_day(org, office) -> None:
    with org_scope(org):
        actions.add_segments(calendar=office, weekdays=[5], starts_at=time(9), ends_at=time(13))
    assert office.business_day_seconds() == 8 * 3600


def test_a_calendar_in_use_cannot_be_deleted(org, sla, office) -> None:
    with org_scope(org), pytest.raises(ValidationError, match="SLA-001"):
        actions.delete_calendar(calendar=office)


def test_calendar_changes_are_in_the_audit_trail(org, office) -> None:
    with org_scope(org):
        segment = actions.add_segments(
            calendar=office, weekdays=[5], starts_at=time(10), ends_at=time(12)
        )[0]
    assert AuditEvent.objects.for_object(segment).filter(action="create").exists()


def test_the_week_picture_marks_holidays_and_shades_working_hours(org, office) -> None:
    with org_scope(org):
        actions.save_closure(
            closure=CalendarClosure(
                name="Shutdown", starts_on=date(2024, 12, 27), ends_on=date(2024, 12, 27)
            ),
            calendar=office,
        )
        calendar = Calendar.objects.with_details().get(pk=office.pk)
        picture = week_picture(calendar, date(2024, 12, 25))
    assert picture.week_start == date(2024, 12, 23)
    rows = {day.day: day for day in picture.days}
    assert rows[date(2024, 12, 23)].hours_text == ["09:00–17:00"]
    assert rows[date(2024, 12, 25)].closed_because == "Public holiday: Christmas Day"
    assert rows[date(2024, 12, 25)].hours_text == []
    assert rows[date(2024, 12, 27)].closed_because == "Closed: Shutdown"
    svg = str(picture.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg
    assert "style=" not in svg and "<script" not in svg
    assert "Monday 09:00–17:00" in svg  # the tooltip of a shaded block


def test_the_week_picture_follows_the_wall_clock_across_a_dst_change(org) -> None:
    with org_scope(org):
        night = actions.save_calendar(
            calendar=Calendar(name="Nights", time_zone="Europe/London"), organisation=org
        )
        actions.add_segments(calendar=night, weekdays=[5], starts_at=time(22), ends_at=time(6))
        picture = week_picture(Calendar.objects.with_details().get(pk=night.pk), date(2024, 3, 30))
    saturday, sunday = picture.days[5], picture.days[6]
    assert saturday.hours_text == ["22:00–24:00"]
    # The night of the spring change: 00:00 to 06:00 on the wall clock (five real hours).
    assert sunday.hours_text == ["00:00–06:00"]
