"""Availability of a service within its committed service hours (ISO/IEC 20000-1 8.7.1).

The figures use the SLA clock's interval algebra (:mod:`openitsms.services.clock.intervals`)
and its calendars, so service hours, holidays, closures and daylight-saving changes are
handled exactly as they are for ticket clocks:

* committed uptime = the service hours of the period (up to now, for a period that has not
  ended), from the business calendar of the SLA covering the service, or 24×7 in the
  organisation's time zone when no SLA covers it;
* downtime = the unplanned outages, less their overlap with planned outages, within those
  hours; an outage still open counts until now. Planned outages and degradations are reported
  beside it and do not count;
* availability % = (committed uptime − downtime) / committed uptime;
* outages = the unplanned outages with some downtime counted in the period;
  MTBF = (committed uptime − downtime) / outages; MTRS = downtime / outages (none without
  outages);
* periods are a month, a quarter, a year, or rolling 30 days / 12 months up to now. Calendar
  periods start and end at local midnight in the service hours' time zone; the monthly target
  applies to a month and to rolling 30 days, the quarterly to a quarter, the yearly to a year
  and to rolling 12 months.

When several SLAs cover the service during a period, the one whose availability target for
the period is the strictest (highest) decides the service hours and the target; without any
such target, the most recently started SLA does. :func:`service_availability` can also be
given one agreement (an OLA or underpinning contract too) to measure against its hours and
targets, as the service report does for each agreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from openitsms.services.choices import AgreementKind, AvailabilityPeriod, OutageKind
from openitsms.services.clock import BusinessCalendar, intersect, resolve_wall_time, subtract
from openitsms.services.clock import total_seconds as interval_seconds
from openitsms.services.models import Agreement, AvailabilityTarget, Outage, Service

ROLLING_30_DAYS = "rolling-30-days"
ROLLING_12_MONTHS = "rolling-12-months"
PERIOD_CHOICES = [
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("year", "This year"),
    (ROLLING_30_DAYS, "Last 30 days"),
    (ROLLING_12_MONTHS, "Last 12 months"),
]
PERIOD_HELP = (
    "month, quarter, year (the current one, up to now), rolling-30-days, rolling-12-months, "
    "or a past period: 2024-03, 2024-Q1, 2024"
)
PERCENT_PLACES = Decimal("0.001")
Span = tuple[datetime, datetime]


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A reporting period. Calendar periods are whole local dates ``first_day``..``last_day``
    whose instants depend on the time zone (:meth:`bounds`); rolling periods end at ``now``."""

    key: str
    label: str
    kind: str  # "month", "quarter", "year", ROLLING_30_DAYS or ROLLING_12_MONTHS
    first_day: date
    last_day: date
    now: datetime
    target_period: AvailabilityPeriod

    def bounds(self, zone: ZoneInfo) -> Span:
        """``[start, end)`` in UTC for service hours in ``zone``, the end no later than now."""
        if self.kind == ROLLING_30_DAYS:
            return self.now - timedelta(days=30), self.now
        if self.kind == ROLLING_12_MONTHS:
            local = self.now.astimezone(zone)
            start_day = _add_months(local.date(), -12)
            start = resolve_wall_time(datetime.combine(start_day, local.time()), zone)
            return start, self.now
        start = resolve_wall_time(datetime.combine(self.first_day, time(0)), zone)
        end = resolve_wall_time(datetime.combine(self.last_day + timedelta(days=1), time(0)), zone)
        return start, min(end, self.now)

    @property
    def is_complete(self) -> bool:
        """Whether the period has ended (a rolling period never has)."""
        if self.kind in (ROLLING_30_DAYS, ROLLING_12_MONTHS):
            return False
        return self.last_day < timezone.localdate(self.now)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier if negative), on the month's last day if shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _month_end(year, month + 1).day
    return date(year, month + 1, min(day.day, last))


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def month_period(year: int, month: int, *, now: datetime | None = None) -> Period:
    """The calendar month ``year``-``month``."""
    now = now or timezone.now()
    first = date(year, month, 1)
    return Period(
        key=f"{year:04d}-{month:02d}",
        label=first.strftime("%B %Y"),
        kind="month",
        first_day=first,
        last_day=_month_end(year, month),
        now=now,
        target_period=AvailabilityPeriod.MONTH,
    )


def quarter_period(year: int, quarter: int, *, now: datetime | None = None) -> Period:
    first = date(year, 3 * quarter - 2, 1)
    return Period(
        key=f"{year:04d}-Q{quarter}",
        label=f"Q{quarter} {year}",
        kind="quarter",
        first_day=first,
        last_day=_month_end(year, 3 * quarter),
        now=now or timezone.now(),
        target_period=AvailabilityPeriod.QUARTER,
    )


def year_period(year: int, *, now: datetime | None = None) -> Period:
    return Period(
        key=f"{year:04d}",
        label=str(year),
        kind="year",
        first_day=date(year, 1, 1),
        last_day=date(year, 12, 31),
        now=now or timezone.now(),
        target_period=AvailabilityPeriod.YEAR,
    )


def parse_period(value: str, *, now: datetime | None = None) -> Period:
    """A period from its key (see ``PERIOD_HELP``); raises ``ValueError`` with a message.

    "The current month" and the rolling periods are reckoned in the active time zone (the
    organisation's on its pages and in its API).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    text = (value or "month").strip()
    if text == "month":
        return month_period(today.year, today.month, now=now)
    if text == "quarter":
        return quarter_period(today.year, (today.month - 1) // 3 + 1, now=now)
    if text == "year":
        return year_period(today.year, now=now)
    if text == ROLLING_30_DAYS:
        return Period(
            ROLLING_30_DAYS,
            "The last 30 days",
            ROLLING_30_DAYS,
            today - timedelta(days=30),
            today,
            now,
            AvailabilityPeriod.MONTH,
        )
    if text == ROLLING_12_MONTHS:
        return Period(
            ROLLING_12_MONTHS,
            "The last 12 months",
            ROLLING_12_MONTHS,
            _add_months(today, -12),
            today,
            now,
            AvailabilityPeriod.YEAR,
        )
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and year >= 1900:
            return month_period(year, month, now=now)
    match = re.fullmatch(r"(\d{4})-Q([1-4])", text, flags=re.IGNORECASE)
    if match and int(match[1]) >= 1900:
        return quarter_period(int(match[1]), int(match[2]), now=now)
    if re.fullmatch(r"\d{4}", text) and int(text) >= 1900:
        return year_period(int(text), now=now)
    raise ValueError(f"“{value}” is not a period. Use {PERIOD_HELP}.")


def last_months(count: int, *, ending: date, now: datetime | None = None) -> list[Period]:
    """``count`` calendar months, oldest first, the last one being ``ending``'s month."""
    months = []
    for back in range(count - 1, -1, -1):
        day = _add_months(ending.replace(day=1), -back)
        months.append(month_period(day.year, day.month, now=now))
    return months


# --- the figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityFigures:
    """Availability figures for one period; durations in whole seconds."""

    committed_s: int
    downtime_s: int
    planned_s: int
    degraded_s: int
    outages: int

    @property
    def uptime_s(self) -> int:
        return self.committed_s - self.downtime_s

    @property
    def percent(self) -> Decimal | None:
        """Availability in %, rounded down to 3 places so it never reads better than it is;
        ``None`` when the period has no service hours."""
        if not self.committed_s:
            return None
        exact = Decimal(self.uptime_s) * 100 / Decimal(self.committed_s)
        return exact.quantize(PERCENT_PLACES, rounding=ROUND_DOWN)

    @property
    def mtbf_s(self) -> int | None:
        """Mean time between failures: uptime per outage (whole seconds)."""
        return self.uptime_s // self.outages if self.outages else None

    @property
    def mtrs_s(self) -> int | None:
        """Mean time to restore service: downtime per outage (whole seconds)."""
        return self.downtime_s // self.outages if self.outages else None

    def meets(self, percent: Decimal) -> bool | None:
        """Whether availability is at least ``percent``, compared exactly (no rounding);
        ``None`` without service hours."""
        if not self.committed_s:
            return None
        return Decimal(self.uptime_s) * 100 >= percent * Decimal(self.committed_s)


@dataclass(frozen=True)
class OutageSpan:
    """An outage reduced to what the figures need; ``end`` is ``None`` while it is open."""

    start: datetime
    end: datetime | None
    kind: str


def compute_availability(
    outages: Iterable[OutageSpan], calendar: BusinessCalendar, start: datetime, end: datetime
) -> AvailabilityFigures:
    """The figures for ``[start, end)`` under ``calendar`` (see the module docs).

    An open outage counts until ``end``, which callers cap at now.
    """
    # Everything in UTC: Python subtracts two datetimes of the same zone by wall clock, which
    # would be an hour off across a daylight-saving change.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return AvailabilityFigures(0, 0, 0, 0, 0)
    hours = calendar.working_intervals(start, end)
    spans: dict[str, list[Span]] = {kind: [] for kind in OutageKind.values}
    for outage in outages:
        outage_end = end if outage.end is None else outage.end.astimezone(UTC)
        clipped = (max(outage.start.astimezone(UTC), start), min(outage_end, end))
        if clipped[0] < clipped[1]:
            spans[outage.kind].append(clipped)
    planned = spans[OutageKind.PLANNED]
    counted_each = [
        interval_seconds(intersect(subtract([span], planned), hours))
        for span in spans[OutageKind.UNPLANNED]
    ]
    return AvailabilityFigures(
        committed_s=interval_seconds(hours),
        downtime_s=interval_seconds(
            intersect(subtract(spans[OutageKind.UNPLANNED], planned), hours)
        ),
        planned_s=interval_seconds(intersect(planned, hours)),
        degraded_s=interval_seconds(intersect(spans[OutageKind.DEGRADATION], hours)),
        outages=sum(1 for seconds in counted_each if seconds > 0),
    )


# --- for a service -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceAvailability:
    """A service's availability in one period, with the agreement and target it is held to."""

    service: Service
    period: Period
    start: datetime
    end: datetime
    agreement: Agreement | None
    hours_name: str
    time_zone: str
    figures: AvailabilityFigures
    target: AvailabilityTarget | None

    @property
    def target_met(self) -> bool | None:
        """``None`` without a target or without service hours."""
        if self.target is None:
            return None
        return self.figures.meets(self.target.percent)

    @property
    def allowed_downtime_s(self) -> int | None:
        """Downtime the target allows in the period's service hours."""
        if self.target is None:
            return None
        share = (100 - self.target.percent) / 100
        return int(share * self.figures.committed_s)


def governing_agreement(
    agreements: Sequence[Agreement], period: Period
) -> tuple[Agreement | None, AvailabilityTarget | None]:
    """Of the SLAs in force during ``period``, the one holding the service to the strictest
    availability target for it; without targets, the most recently started. Targets prefetched.
    """
    current = [
        agreement
        for agreement in agreements
        if agreement.kind == AgreementKind.SLA
        and agreement.valid_from <= period.last_day
        and (agreement.valid_until is None or agreement.valid_until >= period.first_day)
    ]
    targeted = [
        (agreement, target)
        for agreement in current
        if (target := agreement.availability_target_for(period.target_period)) is not None
    ]
    if targeted:
        return max(targeted, key=lambda pair: (pair[1].percent, pair[0].valid_from))
    if current:
        return max(current, key=lambda agreement: agreement.valid_from), None
    return None, None


def _agreements_of(service: Service) -> list[Agreement]:
    return list(
        Agreement.objects.covering(service)
        .select_related("calendar")
        .prefetch_related("availability_targets", "calendar__segments", "calendar__closures")
        .order_by("reference")
    )


def _spans(outages: Iterable[Outage]) -> list[OutageSpan]:
    return [OutageSpan(o.starts_at, o.ends_at, o.kind) for o in outages]


def _measure(
    service: Service,
    periods: Sequence[Period],
    agreements: Sequence[Agreement],
    *,
    only: Agreement | None,
) -> list[ServiceAvailability]:
    """Availability for each period, with one query for the outages of all of them."""
    if not periods:
        return []
    years = range(
        min(p.first_day.year for p in periods) - 1, max(p.last_day.year for p in periods) + 2
    )
    calendars: dict[int, BusinessCalendar] = {}
    plans: list[tuple[Period, Agreement | None, AvailabilityTarget | None, Span]] = []
    for period in periods:
        if only is not None:
            agreement: Agreement | None = only
            target = only.availability_target_for(period.target_period)
        else:
            agreement, target = governing_agreement(agreements, period)
        zone = ZoneInfo(
            agreement.calendar.time_zone if agreement else service.organisation.time_zone
        )
        plans.append((period, agreement, target, period.bounds(zone)))
    earliest = min(bounds[0] for *_rest, bounds in plans)
    latest = max(bounds[1] for *_rest, bounds in plans)
    outages = _spans(
        Outage.objects.filter(service=service).overlapping(earliest, latest).order_by("starts_at")
    )
    results = []
    for period, agreement, target, (start, end) in plans:
        if agreement is None:
            calendar = BusinessCalendar.always(service.organisation.time_zone)
            hours_name = "24×7 (no SLA covers the service)"
            tz = service.organisation.time_zone
        else:
            if agreement.calendar_id not in calendars:
                calendars[agreement.calendar_id] = agreement.calendar.to_business_calendar(years)
            calendar = calendars[agreement.calendar_id]
            hours_name = agreement.calendar.name
            tz = agreement.calendar.time_zone
        relevant = [o for o in outages if o.start < end and (o.end is None or o.end > start)]
        results.append(
            ServiceAvailability(
                service=service,
                period=period,
                start=start,
                end=max(start, end),
                agreement=agreement,
                hours_name=hours_name,
                time_zone=tz,
                figures=compute_availability(relevant, calendar, start, end),
                target=target,
            )
        )
    return results


def service_availability(
    service: Service, period: Period, *, agreement: Agreement | None = None
) -> ServiceAvailability:
    """The service's availability in ``period``: against ``agreement``'s service hours and
    target when given, else against the governing SLA's (see the module docs)."""
    agreements = [] if agreement is not None else _agreements_of(service)
    return _measure(service, [period], agreements, only=agreement)[0]


def availability_trend(
    service: Service,
    *,
    months: int = 12,
    ending: date,
    now: datetime | None = None,
    agreement: Agreement | None = None,
) -> list[ServiceAvailability]:
    """Month by month, oldest first, the last being ``ending``'s month."""
    periods = last_months(months, ending=ending, now=now)
    agreements = [] if agreement is not None else _agreements_of(service)
    return _measure(service, periods, agreements, only=agreement)


def summary(service: Service, *, now: datetime | None = None) -> list[ServiceAvailability]:
    """The figures of the service page: this month, last month, this quarter, this year and
    the two rolling periods."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_month = _add_months(today.replace(day=1), -1)
    periods = [
        parse_period("month", now=now),
        month_period(last_month.year, last_month.month, now=now),
        parse_period("quarter", now=now),
        parse_period("year", now=now),
        parse_period(ROLLING_30_DAYS, now=now),
        parse_period(ROLLING_12_MONTHS, now=now),
    ]
    return _measure(service, periods, _agreements_of(service), only=None)
