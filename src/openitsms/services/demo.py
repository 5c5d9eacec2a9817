"""Demo data of the services app: a catalogue, an SLA, an OLA and an underpinning contract,
two business calendars in different time zones, and a year of outages ending last month in
which one month misses its availability target. Safe to run again: everything is looked up by
its natural key first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openitsms.services import actions
from openitsms.services.choices import (
    AgreementKind,
    AvailabilityPeriod,
    ClockKind,
    Comparator,
    Criticality,
    DurationUnit,
    Lifecycle,
    OutageKind,
    PartyKind,
    ReopenPolicy,
    WeekPattern,
)
from openitsms.services.clock import BusinessCalendar, resolve_wall_time
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    Calendar,
    CalendarClosure,
    MeasurableTarget,
    Outage,
    Party,
    Service,
    TimeTarget,
)
from openitsms.tenancy.models import Organisation


@dataclass(frozen=True)
class CalendarPlan:
    name: str
    time_zone: str
    country: str
    subdivision: str
    hours: list[tuple[range, time, time]]
    description: str


LONDON = CalendarPlan(
    "London office hours",
    "Europe/London",
    "GB",
    "ENG",
    [(range(5), time(8), time(18))],
    "The service desk in London: Monday to Friday, 08:00–18:00, closed on English bank holidays.",
)
NEW_YORK = CalendarPlan(
    "New York business hours",
    "America/New_York",
    "US",
    "NY",
    [(range(5), time(8), time(18)), (range(5, 6), time(9), time(13))],
    "The New York desk: weekdays 08:00–18:00 and Saturday mornings, closed on New York "
    "public holidays.",
)

# Per organisation: (home calendar, second calendar, names of customers, teams and suppliers).
SETTINGS: dict[str, dict[str, Any]] = {
    "Europe/London": {
        "home": LONDON,
        "other": NEW_YORK,
        "customers": ["Contoso Retail", "Fabrikam Logistics"],
        "teams": ["Network Operations", "Service Desk"],
        "suppliers": ["Blue Yonder Hosting", "Tailspin Telecom"],
    },
    "America/New_York": {
        "home": NEW_YORK,
        "other": LONDON,
        "customers": ["Harbour General Hospital", "Bayside Clinics"],
        "teams": ["Infrastructure Team", "Clinical Apps Support"],
        "suppliers": ["Northwind Cloud", "Litware Imaging"],
    },
}

TIME_TARGETS = [
    # (clock, priority, amount, unit)
    (ClockKind.RESPONSE, "P1", "15", DurationUnit.MINUTES),
    (ClockKind.RESPONSE, "P2", "30", DurationUnit.MINUTES),
    (ClockKind.RESPONSE, "P3", "2", DurationUnit.HOURS),
    (ClockKind.RESPONSE, "P4", "1", DurationUnit.BUSINESS_DAYS),
    (ClockKind.RESOLUTION, "P1", "4", DurationUnit.HOURS),
    (ClockKind.RESOLUTION, "P2", "8", DurationUnit.HOURS),
    (ClockKind.RESOLUTION, "P3", "3", DurationUnit.BUSINESS_DAYS),
    (ClockKind.RESOLUTION, "P4", "10", DurationUnit.BUSINESS_DAYS),
]

# Five months before last month, the portal's unplanned downtime misses the 99.5 % target.
MISSED_MONTHS_AGO = 5


def _party(name: str, kind: str, org: Organisation) -> Party:
    found = Party.objects.filter(name=name).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    return actions.save_party(party=Party(name=name, kind=kind), organisation=org)


def _calendar(plan: CalendarPlan, org: Organisation, *, today: date) -> Calendar:
    found = Calendar.objects.filter(name=plan.name).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    calendar = actions.save_calendar(
        calendar=Calendar(
            name=plan.name,
            description=plan.description,
            time_zone=plan.time_zone,
            holiday_country=plan.country,
            holiday_subdivision=plan.subdivision,
        ),
        organisation=org,
        pattern=WeekPattern.NONE,
    )
    for days, starts_at, ends_at in plan.hours:
        actions.add_segments(calendar=calendar, weekdays=days, starts_at=starts_at, ends_at=ends_at)
    for year in (today.year - 1, today.year):
        actions.save_closure(
            closure=CalendarClosure(
                name="Year-end shutdown",
                starts_on=date(year, 12, 29),
                ends_on=date(year, 12, 31),
            ),
            calendar=calendar,
        )
    return calendar


def _service(name: str, org: Organisation, links: dict[str, list[Any]], **fields: Any) -> Service:
    found = Service.objects.filter(name=name).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    return actions.save_service(service=Service(name=name, **fields), organisation=org, **links)


def _agreement(
    reference: str,
    org: Organisation,
    *,
    parties: list[Party],
    services: list[Service],
    times: Sequence[tuple[str, str, str, str]],
    availability: Sequence[tuple[str, str]],
    measurable: Sequence[tuple[str, str, str, str]],
    **fields: Any,
) -> Agreement:
    found = Agreement.objects.filter(reference=reference).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    agreement = actions.save_agreement(
        agreement=Agreement(reference=reference, **fields),
        organisation=org,
        parties=parties,
        services=services,
    )
    for kind, priority, amount, unit in times:
        actions.save_time_target(
            target=TimeTarget(kind=kind, priority=priority, amount=Decimal(amount), unit=unit),
            agreement=agreement,
        )
    for period, percent in availability:
        actions.save_availability_target(
            target=AvailabilityTarget(period=period, percent=Decimal(percent)),
            agreement=agreement,
        )
    for name, comparator, value, unit in measurable:
        actions.save_measurable_target(
            target=MeasurableTarget(
                name=name, comparator=comparator, value=Decimal(value), unit=unit
            ),
            agreement=agreement,
        )
    return agreement


def _working_day(year: int, month: int, nth: int) -> date:
    """The ``nth`` Tuesday, Wednesday or Thursday of the month (never a bank holiday Monday)."""
    day = date(year, month, 1)
    found = 0
    while True:
        if day.weekday() in (1, 2, 3):
            found += 1
            if found == nth:
                return day
        day += timedelta(days=1)


def _outage(
    service: Service,
    org: Organisation,
    *,
    zone: ZoneInfo,
    day: date,
    at: time,
    minutes: int,
    kind: str,
    title: str,
    cause: str,
    incident: str = "",
    change: str = "",
) -> None:
    starts_at = resolve_wall_time(datetime.combine(day, at), zone)
    if Outage.objects.filter(service=service, starts_at=starts_at).exists():
        return
    actions.save_outage(
        outage=Outage(
            service=service,
            kind=kind,
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            cause=cause,
            incident_ref=incident,
            change_ref=change,
        ),
        organisation=org,
    )


def _open_day(hours: BusinessCalendar, zone: ZoneInfo, year: int, month: int) -> date:
    """A day from the 15th on that is open from 09:30 to 16:30 (no holiday or closure)."""
    day = date(year, month, 15)
    while True:
        start = resolve_wall_time(datetime.combine(day, time(9, 30)), zone)
        if hours.business_seconds(start, start + timedelta(hours=7)) == 7 * 3600:
            return day
        day += timedelta(days=1)


def _a_year_of_outages(
    portal: Service,
    hosting: Service,
    org: Organisation,
    *,
    hours: BusinessCalendar,
    zone: ZoneInfo,
    today: date,
) -> None:
    """Twelve months ending last month: small unplanned outages in office hours, monthly
    maintenance on Saturday nights, one maintenance overrunning into an incident, and one bad
    month that misses the target."""
    first_of_this_month = today.replace(day=1)
    for back in range(12, 0, -1):
        index = first_of_this_month.year * 12 + first_of_this_month.month - 1 - back
        year, month = divmod(index, 12)
        month += 1
        tag = f"{year}{month:02d}"
        minutes = 15 + (back * 7) % 21  # 15 to 35 minutes: within 99.5 % of any month
        _outage(
            portal,
            org,
            zone=zone,
            day=_working_day(year, month, 2),
            at=time(10, 15),
            minutes=minutes,
            kind=OutageKind.UNPLANNED,
            title="Portal returned errors on checkout",
            cause="Connection pool exhausted on the application servers.",
            incident=f"INC{tag}01",
        )
        saturday = date(year, month, 1)
        while saturday.weekday() != 5:
            saturday += timedelta(days=1)
        saturday += timedelta(days=7)
        _outage(
            hosting,
            org,
            zone=zone,
            day=saturday,
            at=time(22),
            minutes=180,
            kind=OutageKind.PLANNED,
            title="Monthly patching of the hosting platform",
            cause="Planned maintenance window.",
            change=f"CHG{tag}07",
        )
        if back == MISSED_MONTHS_AGO:
            _outage(
                portal,
                org,
                zone=zone,
                day=_open_day(hours, zone, year, month),
                at=time(9, 30),
                minutes=7 * 60,
                kind=OutageKind.UNPLANNED,
                title="Portal down: database storage full",
                cause="The database volume filled up; restore needed a supplier engineer.",
                incident=f"INC{tag}02",
            )
        if back == MISSED_MONTHS_AGO + 3:
            # Maintenance that ran into office hours: the overlap with the planned window
            # does not count, the overrun after it does.
            day = _working_day(year, month, 3)
            _outage(
                portal,
                org,
                zone=zone,
                day=day,
                at=time(7),
                minutes=90,
                kind=OutageKind.PLANNED,
                title="Portal release",
                cause="Planned release window.",
                change=f"CHG{tag}03",
            )
            _outage(
                portal,
                org,
                zone=zone,
                day=day,
                at=time(8),
                minutes=40,
                kind=OutageKind.UNPLANNED,
                title="Release overran into office hours",
                cause="The data migration took longer than planned.",
                incident=f"INC{tag}04",
                change=f"CHG{tag}03",
            )
        if back % 4 == 1:
            _outage(
                portal,
                org,
                zone=zone,
                day=_working_day(year, month, 1),
                at=time(14),
                minutes=50,
                kind=OutageKind.DEGRADATION,
                title="Slow search results",
                cause="Search index rebuilding during the day.",
            )


def populate(org: Organisation, people: dict[str, Any]) -> None:
    """Called by ``itsms demo`` inside ``org_scope(org)`` for each demo organisation."""
    plan = SETTINGS.get(org.time_zone, SETTINGS["Europe/London"])
    home_plan: CalendarPlan = plan["home"]
    zone = ZoneInfo(home_plan.time_zone)
    today = datetime.now(zone).date()
    builtin = actions.ensure_builtin_calendar(organisation=org)
    home = _calendar(home_plan, org, today=today)
    _calendar(plan["other"], org, today=today)

    customers = [_party(name, PartyKind.CUSTOMER, org) for name in plan["customers"]]
    teams = [_party(name, PartyKind.INTERNAL, org) for name in plan["teams"]]
    suppliers = [_party(name, PartyKind.SUPPLIER, org) for name in plan["suppliers"]]

    hosting = _service(
        "Hosting platform",
        org,
        {"suppliers": [suppliers[0], teams[0]], "customers": [teams[1]]},
        description="Virtual machines, storage and backups that the customer services run on.",
        owner=people["manager"],
        lifecycle=Lifecycle.LIVE,
        criticality=Criticality.CRITICAL,
        configuration_items="vm-cluster-01\nsan-01\nbackup-vault",
    )
    network = _service(
        "Network and connectivity",
        org,
        {"suppliers": [suppliers[1], teams[0]]},
        description="Sites, WAN links, firewalls and remote access.",
        owner=people["manager"],
        lifecycle=Lifecycle.LIVE,
        criticality=Criticality.HIGH,
        configuration_items="fw-edge-01\nfw-edge-02\nwan-router-01",
    )
    portal = _service(
        "Customer portal",
        org,
        {"customers": customers, "depends_on": [hosting, network], "suppliers": [teams[1]]},
        description="Where customers place and track orders, and raise requests.",
        owner=people["process_owner"],
        lifecycle=Lifecycle.LIVE,
        criticality=Criticality.CRITICAL,
        configuration_items="portal-web-01\nportal-web-02\nportal-db",
    )
    email = _service(
        "Email and collaboration",
        org,
        {"customers": customers[:1], "depends_on": [network]},
        description="Mailboxes, calendars and team sites for customer staff.",
        owner=people["manager"],
        lifecycle=Lifecycle.LIVE,
        criticality=Criticality.MEDIUM,
    )
    _service(
        "Analytics dashboards",
        org,
        {"customers": customers[1:], "depends_on": [hosting]},
        description="Self-service reports on orders and deliveries. Planned for next quarter.",
        owner=people["process_owner"],
        lifecycle=Lifecycle.PIPELINE,
        criticality=Criticality.LOW,
    )
    _service(
        "Legacy order line",
        org,
        {},
        description="The telephone order line, replaced by the portal.",
        lifecycle=Lifecycle.RETIRED,
        criticality=Criticality.LOW,
    )

    year_start = date(today.year - 1, 1, 1)
    _agreement(
        "SLA-001",
        org,
        title=f"Customer services for {customers[0].name}",
        kind=AgreementKind.SLA,
        parties=customers,
        services=[portal, email],
        valid_from=year_start,
        valid_until=date(today.year + 1, 12, 31),
        review_due=today + timedelta(days=75),
        calendar=home,
        pause_statuses="Awaiting customer\nAwaiting vendor",
        reopen_policy=ReopenPolicy.RESUME,
        owner=people["manager"],
        times=TIME_TARGETS,
        availability=[
            (AvailabilityPeriod.MONTH, "99.5"),
            (AvailabilityPeriod.QUARTER, "99.6"),
            (AvailabilityPeriod.YEAR, "99.7"),
        ],
        measurable=[("Customer satisfaction", Comparator.AT_LEAST, "4.2", "of 5")],
    )
    _agreement(
        "SLA-000",
        org,
        title="Telephone order line (superseded)",
        kind=AgreementKind.SLA,
        parties=customers[:1],
        services=[],
        valid_from=date(today.year - 3, 1, 1),
        valid_until=date(today.year - 2, 12, 31),
        review_due=date(today.year - 2, 10, 1),
        calendar=home,
        owner=people["manager"],
        times=TIME_TARGETS[:2],
        availability=[],
        measurable=[],
    )
    _agreement(
        "OLA-001",
        org,
        title=f"{teams[0].name} support for the customer services",
        kind=AgreementKind.OLA,
        parties=[teams[0]],
        services=[portal, hosting, network],
        valid_from=year_start,
        valid_until=None,
        review_due=today - timedelta(days=20),
        calendar=builtin,
        pause_statuses="Awaiting vendor",
        reopen_policy=ReopenPolicy.RESTART,
        owner=people["manager"],
        times=[
            (ClockKind.RESPONSE, "P1", "10", DurationUnit.MINUTES),
            (ClockKind.RESOLUTION, "P1", "2", DurationUnit.HOURS),
            (ClockKind.RESOLUTION, "P2", "6", DurationUnit.HOURS),
        ],
        availability=[],
        measurable=[("Changes implemented without incident", Comparator.AT_LEAST, "95", "%")],
    )
    _agreement(
        "UC-001",
        org,
        title=f"Hosting contract with {suppliers[0].name}",
        kind=AgreementKind.UC,
        parties=[suppliers[0]],
        services=[hosting],
        valid_from=date(today.year - 1, 4, 1),
        valid_until=date(today.year + 2, 3, 31),
        review_due=today + timedelta(days=200),
        calendar=builtin,
        pause_statuses="",
        owner=people["manager"],
        times=[
            (ClockKind.RESPONSE, "P1", "15", DurationUnit.MINUTES),
            (ClockKind.RESOLUTION, "P1", "4", DurationUnit.HOURS),
        ],
        availability=[(AvailabilityPeriod.MONTH, "99.9")],
        measurable=[],
    )
    business = home.to_business_calendar(range(today.year - 2, today.year + 1))
    _a_year_of_outages(portal, hosting, org, hours=business, zone=zone, today=today)
