"""Records of every model of the services app for the organisation-wall walk."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openitsms.services import actions
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


def populate_victim(org: Any, owner: Any) -> None:
    """Two of each: party, service, calendar with segments and a closure, agreement with a
    time, an availability and a measurable target, outage; and the built-in calendar. Several
    of each, so that some ids differ from the outsider's own. Runs inside ``org_scope(org)``."""
    actions.ensure_builtin_calendar(organisation=org)
    for copy in ("", " 2"):
        _populate(org, owner, copy)


def _populate(org: Any, owner: Any, copy: str) -> None:
    customer = actions.save_party(
        party=Party(name=f"secret-victim-note customer{copy}", kind="customer"), organisation=org
    )
    service = actions.save_service(
        service=Service(name=f"Victim portal{copy}", owner=owner, lifecycle="live"),
        organisation=org,
        customers=[customer],
    )
    calendar = actions.save_calendar(
        calendar=Calendar(name=f"Victim office{copy}", time_zone="Europe/London"),
        organisation=org,
        pattern="office",
    )
    actions.save_closure(
        closure=CalendarClosure(
            name="Victim shutdown", starts_on=date(2025, 12, 29), ends_on=date(2025, 12, 31)
        ),
        calendar=calendar,
    )
    agreement = actions.save_agreement(
        agreement=Agreement(
            reference=f"SLA-V1{copy}",
            title="Victim SLA",
            kind="sla",
            valid_from=date(2025, 1, 1),
            calendar=calendar,
        ),
        organisation=org,
        parties=[customer],
        services=[service],
    )
    actions.save_time_target(
        target=TimeTarget(kind="resolution", priority="P1", amount=Decimal(4), unit="hours"),
        agreement=agreement,
    )
    actions.save_availability_target(
        target=AvailabilityTarget(period="month", percent=Decimal("99.5")), agreement=agreement
    )
    actions.save_measurable_target(
        target=MeasurableTarget(name="Satisfaction", value=Decimal("4.2"), unit="of 5"),
        agreement=agreement,
    )
    start = timezone.make_aware(datetime.combine(date(2025, 6, 4), time(10)))
    actions.save_outage(
        outage=Outage(
            service=service,
            kind="unplanned",
            title="Victim outage",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        ),
        organisation=org,
    )
