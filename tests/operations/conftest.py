"""Fixtures for the operations app's tests.

The shared ServiceNow sample is the "Incident management process enriched event log" by
Amaral, Fantinato and Peres (2018), UCI Machine Learning Repository, DOI 10.24432/C57S4H,
licensed CC BY 4.0; tests that need it skip when it is absent.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from openitsms.services import actions as service_actions
from openitsms.services.models import Agreement, Calendar, Service, TimeTarget
from openitsms.tenancy.scoping import org_scope

SAMPLE_NAME = "servicenow_incident_eventlog_sample.csv"


def shared_sample_path() -> Path:
    configured = os.environ.get("ITSMS_SHARED_DATA")
    folder = (
        Path(configured) if configured else Path(__file__).resolve().parents[2] / "../shared/data"
    )
    return folder / SAMPLE_NAME


@pytest.fixture
def servicenow_sample() -> Path:
    """The shared ServiceNow audit-log sample (CC BY 4.0, see the module docstring)."""
    path = shared_sample_path()
    if not path.is_file():
        pytest.skip(f"the shared ServiceNow sample is not at {path} (set ITSMS_SHARED_DATA)")
    return path


@pytest.fixture
def portal_sla(org, manager):
    """SLA for the Customer portal in office hours (Mon–Fri 09–17 London): P1 4 h to resolve."""
    with org_scope(org):
        office = service_actions.save_calendar(
            calendar=Calendar(name="Office", time_zone="Europe/London"),
            organisation=org,
            pattern="office",
        )
        portal = service_actions.save_service(
            service=Service(name="Customer portal", lifecycle="live"), organisation=org
        )
        agreement = service_actions.save_agreement(
            agreement=Agreement(
                reference="SLA-1",
                title="Portal",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=office,
            ),
            organisation=org,
            services=[portal],
        )
        service_actions.save_time_target(
            target=TimeTarget(kind="resolution", priority="P1", amount=Decimal(4), unit="hours"),
            agreement=agreement,
        )
        return agreement
