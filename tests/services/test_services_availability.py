"""Availability within committed service hours, checked by hand (ISO/IEC 20000-1 8.7.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from openitsms.services import actions
from openitsms.services.availability import (
    AvailabilityFigures,
    OutageSpan,
    availability_trend,
    compute_availability,
    month_period,
    parse_period,
    service_availability,
)
from openitsms.services.clock import BusinessCalendar
from openitsms.services.models import Agreement, AvailabilityTarget, Outage
from openitsms.tenancy.scoping import org_scope
from tests.services.conftest import london

HOUR = 3600
ALWAYS_LONDON = BusinessCalendar.always("Europe/London")
OFFICE = BusinessCalendar(
    "Europe/London", {day: [(time(9), time(17))] for day in range(5)}
).with_public_holidays("GB", "ENG", years=range(2023, 2026))


def month(year: int, number: int) -> tuple[datetime, datetime]:
    following = date(year + number // 12, number % 12 + 1, 1)
    return london(year, number, 1), london(following.year, following.month, 1)


def unplanned(start: datetime, end: datetime | None) -> OutageSpan:
    return OutageSpan(start, end, "unplanned")


def test_a_24x7_month_with_the_spring_change_has_743_hours_and_counts_real_time() -> None:
    start, end = month(2024, 3)
    # 00:30 GMT to 03:30 BST on 31 March is two real hours: the clocks skip 01:00–02:00.
    outage = unplanned(london(2024, 3, 31, 0, 30), london(2024, 3, 31, 3, 30))
    figures = compute_availability([outage], ALWAYS_LONDON, start, end)
    assert figures.committed_s == 743 * HOUR
    assert figures.downtime_s == 2 * HOUR
    assert figures.percent == Decimal("99.730")  # 741 / 743 = 99.7308…, rounded down
    assert (figures.outages, figures.mtbf_s, figures.mtrs_s) == (1, 741 * HOUR, 2 * HOUR)


def test_a_24x7_month_with_the_autumn_change_has_745_hours() -> None:
    assert compute_availability([], ALWAYS_LONDON, *month(2024, 10)).committed_s == 745 * HOUR


def test_office_hours_are_eight_hours_a_day_on_the_dst_change_days_too() -> None:
    # March 2024: 21 weekdays less Good Friday (29th) = 20 days of 8 hours.
    assert compute_availability([], OFFICE, *month(2024, 3)).committed_s == 160 * HOUR
    # May 2024: 23 weekdays less the two bank holidays (6th and 27th).
    assert compute_availability([], OFFICE, *month(2024, 5)).committed_s == 168 * HOUR


def test_unplanned_downtime_less_its_overlap_with_planned_within_service_hours() -> None:
    # Tuesday 4 June 2024: unplanned 08:00–12:00, planned 10:00–11:00. Before 09:00 is
    # outside the hours; 10:00–11:00 is planned: 09:00–10:00 and 11:00–12:00 count.
    outages = [
        unplanned(london(2024, 6, 4, 8), london(2024, 6, 4, 12)),
        OutageSpan(london(2024, 6, 4, 10), london(2024, 6, 4, 11), "planned"),
    ]
    figures = compute_availability(outages, OFFICE, *month(2024, 6))
    assert figures.committed_s == 160 * HOUR  # 20 weekdays, no bank holiday
    assert (figures.downtime_s, figures.planned_s, figures.outages) == (2 * HOUR, HOUR, 1)
    assert figures.percent == Decimal("98.750")
    assert (figures.mtbf_s, figures.mtrs_s) == (158 * HOUR, 2 * HOUR)


def test_an_unplanned_outage_inside_maintenance_or_outside_hours_is_no_failure() -> None:
    outages = [
        unplanned(london(2024, 6, 4, 10, 15), london(2024, 6, 4, 10, 45)),
        OutageSpan(london(2024, 6, 4, 10), london(2024, 6, 4, 11), "planned"),
        unplanned(london(2024, 6, 8, 10), london(2024, 6, 8, 16)),  # a Saturday
        unplanned(london(2024, 6, 5, 18), london(2024, 6, 6, 8)),  # overnight
    ]
    figures = compute_availability(outages, OFFICE, *month(2024, 6))
    assert (figures.downtime_s, figures.outages) == (0, 0)
    assert figures.percent == Decimal("100.000")
    assert figures.mtbf_s is None and figures.mtrs_s is None


def test_degradations_are_reported_but_do_not_count() -> None:
    outages = [OutageSpan(london(2024, 6, 4, 9), london(2024, 6, 4, 10), "degradation")]
    figures = compute_availability(outages, OFFICE, *month(2024, 6))
    assert (figures.downtime_s, figures.degraded_s, figures.outages) == (0, HOUR, 0)


def test_overlapping_unplanned_outages_count_their_time_once() -> None:
    outages = [
        unplanned(london(2024, 6, 4, 9), london(2024, 6, 4, 11)),
        unplanned(london(2024, 6, 4, 10), london(2024, 6, 4, 12)),
    ]
    figures = compute_availability(outages, OFFICE, *month(2024, 6))
    assert (figures.downtime_s, figures.outages) == (3 * HOUR, 2)


def test_an_outage_across_the_period_edge_and_an_open_one_are_clipped() -> None:
    start, end = month(2024, 6)
    outages = [
        unplanned(london(2024, 5, 31, 16), london(2024, 6, 3, 10)),  # Fri to Mon
        unplanned(london(2024, 6, 28, 16), None),  # still open: counts until the end
    ]
    figures = compute_availability(outages, OFFICE, start, end)
    assert figures.downtime_s == HOUR + HOUR
    assert figures.outages == 2


def test_a_target_is_met_at_exactly_the_allowed_downtime_and_missed_a_second_later() -> None:
    start, end = month(2024, 6)  # 160 h; 0.5 % of it is 48 minutes
    at_limit = [unplanned(london(2024, 6, 4, 9), london(2024, 6, 4, 9, 48))]
    beyond = [unplanned(london(2024, 6, 4, 9), london(2024, 6, 4, 9, 48, 1))]
    assert compute_availability(at_limit, OFFICE, start, end).meets(Decimal("99.5")) is True
    assert compute_availability(beyond, OFFICE, start, end).meets(Decimal("99.5")) is False


def test_a_period_without_service_hours_has_no_percentage() -> None:
    figures = AvailabilityFigures(0, 0, 0, 0, 0)
    assert figures.percent is None and figures.meets(Decimal(99)) is None


@pytest.mark.parametrize(
    ("value", "key", "first", "last"),
    [
        ("2024-03", "2024-03", date(2024, 3, 1), date(2024, 3, 31)),
        ("2024-Q1", "2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-q4", "2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024", "2024", date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_periods_by_name(value: str, key: str, first: date, last: date) -> None:
    period = parse_period(value, now=datetime(2025, 1, 15, 12, tzinfo=UTC))
    assert (period.key, period.first_day, period.last_day) == (key, first, last)
    assert period.is_complete


@pytest.mark.parametrize("value", ["2024-13", "March", "24-03", "2024-Q5", "rolling"])
def test_an_unknown_period_is_refused_with_the_accepted_forms(value: str) -> None:
    with pytest.raises(ValueError, match="is not a period. Use month, quarter, year"):
        parse_period(value)


def test_rolling_periods_end_now_and_the_current_month_runs_up_to_now() -> None:
    now = datetime(2024, 6, 20, 12, tzinfo=UTC)
    with timezone.override("Europe/London"):
        thirty = parse_period("rolling-30-days", now=now)
        year = parse_period("rolling-12-months", now=now)
        current = parse_period("month", now=now)
    zone = OFFICE.zone
    assert thirty.bounds(zone) == (now - timedelta(days=30), now)
    assert year.bounds(zone) == (datetime(2023, 6, 20, 12, tzinfo=UTC), now)
    assert current.bounds(zone) == (london(2024, 6, 1), now)
    assert not current.is_complete and not thirty.is_complete
    assert (thirty.target_period, year.target_period) == ("month", "year")


# --- for a service, from the database ------------------------------------------------------


def _outage(service, start, end, kind="unplanned"):  # type: ignore[no-untyped-def]
    return actions.save_outage(
        outage=Outage(service=service, kind=kind, title="down", starts_at=start, ends_at=end),
        organisation=service.organisation,
    )


def test_a_service_without_an_sla_is_measured_24x7_in_the_organisation_zone(org, portal) -> None:
    with org_scope(org):
        _outage(portal, london(2024, 3, 5, 12), london(2024, 3, 5, 13))
        result = service_availability(portal, month_period(2024, 3))
    assert result.agreement is None and result.target is None and result.target_met is None
    assert result.hours_name.startswith("24×7")
    assert result.figures.committed_s == 743 * HOUR
    assert result.figures.downtime_s == HOUR


def test_the_slas_calendar_and_monthly_target_decide(org, portal, sla) -> None:
    with org_scope(org):
        _outage(portal, london(2024, 6, 4, 8), london(2024, 6, 4, 12))  # 3 h in hours
        _outage(portal, london(2024, 6, 4, 10), london(2024, 6, 4, 11), "planned")
        result = service_availability(portal, month_period(2024, 6))
    assert result.agreement == sla
    assert result.figures.committed_s == 160 * HOUR
    assert result.figures.downtime_s == 2 * HOUR
    assert result.target is not None and result.target.percent == Decimal("99.5")
    assert result.target_met is False
    assert result.allowed_downtime_s == 48 * 60


def test_of_several_slas_the_strictest_availability_target_decides(
    org, portal, sla, office
) -> None:
    with org_scope(org):
        builtin = actions.ensure_builtin_calendar(organisation=org)
        stricter = actions.save_agreement(
            agreement=Agreement(
                reference="SLA-002",
                title="Premium",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=builtin,
            ),
            organisation=org,
            services=[portal],
        )
        actions.save_availability_target(
            target=AvailabilityTarget(period="month", percent=Decimal("99.9")),
            agreement=stricter,
        )
        result = service_availability(portal, month_period(2024, 6))
        # An SLA that ended before the month does not apply at all.
        stricter.valid_until = date(2024, 5, 31)
        actions.save_agreement(agreement=stricter, organisation=org)
        later = service_availability(portal, month_period(2024, 6))
    assert result.agreement == stricter and result.figures.committed_s == 720 * HOUR
    assert later.agreement == sla


def test_the_trend_is_twelve_months_oldest_first_with_one_query_for_outages(
    org, portal, sla, django_assert_max_num_queries
) -> None:
    with org_scope(org):
        _outage(portal, london(2024, 2, 6, 9), london(2024, 2, 6, 17))
        with django_assert_max_num_queries(8):
            trend = availability_trend(
                portal, ending=date(2024, 6, 1), now=datetime(2024, 7, 2, tzinfo=UTC)
            )
    assert [row.period.key for row in trend][:2] == ["2023-07", "2023-08"]
    assert trend[-1].period.key == "2024-06" and len(trend) == 12
    february = next(row for row in trend if row.period.key == "2024-02")
    assert february.figures.downtime_s == 8 * HOUR and february.target_met is False
    for row in trend:
        if row.period.key.startswith("2023"):  # before the SLA: 24×7, no target
            assert row.agreement is None and row.target_met is None
        elif row.period.key != "2024-02":
            assert row.agreement == sla and row.target_met is True
