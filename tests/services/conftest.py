"""Fixtures of the services tests: a small catalogue of Northwind, built through the actions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from openitsms.services import actions
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    Calendar,
    Party,
    Service,
    TimeTarget,
)
from openitsms.tenancy.scoping import org_scope

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    """An aware datetime on the London wall clock."""
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def scoped(org: Any) -> Any:
    """Bind Northwind for code that queries the scoped managers outside a request."""
    with org_scope(org):
        yield org


@pytest.fixture
def office(org: Any) -> Calendar:
    """London 09:00–17:00 on weekdays, with English bank holidays."""
    with org_scope(org):
        return actions.save_calendar(
            calendar=Calendar(
                name="London office",
                time_zone="Europe/London",
                holiday_country="GB",
                holiday_subdivision="ENG",
            ),
            organisation=org,
            pattern="office",
        )


@pytest.fixture
def customer(org: Any) -> Party:
    with org_scope(org):
        return actions.save_party(party=Party(name="Contoso", kind="customer"), organisation=org)


@pytest.fixture
def portal(org: Any, process_owner: Any, customer: Party) -> Service:
    """A live service owned by petra, the process owner."""
    with org_scope(org):
        return actions.save_service(
            service=Service(name="Customer portal", owner=process_owner, lifecycle="live"),
            organisation=org,
            customers=[customer],
        )


@pytest.fixture
def sla(org: Any, office: Calendar, customer: Party, portal: Service) -> Agreement:
    """SLA-001 for the portal in office hours: P1 4 h to resolve, 99.5 % a month."""
    with org_scope(org):
        agreement = actions.save_agreement(
            agreement=Agreement(
                reference="SLA-001",
                title="Portal for Contoso",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=office,
                pause_statuses="Awaiting customer",
            ),
            organisation=org,
            parties=[customer],
            services=[portal],
        )
        actions.save_time_target(
            target=TimeTarget(kind="resolution", priority="P1", amount=Decimal(4), unit="hours"),
            agreement=agreement,
        )
        actions.save_availability_target(
            target=AvailabilityTarget(period="month", percent=Decimal("99.5")),
            agreement=agreement,
        )
        return agreement
