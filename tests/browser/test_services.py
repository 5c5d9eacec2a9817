"""Journeys through the services pages: a manager sets up service hours and an SLA with its
targets; a service owner records an outage and reads the monthly service report."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from openitsms.services import actions
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    Calendar,
    CalendarSegment,
    Outage,
    Party,
    Service,
    TimeTarget,
)
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login(page, username):  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def northwind(make_user):  # type: ignore[no-untyped-def]
    org = Organisation.objects.create(name="Northwind", slug="northwind", time_zone="Europe/London")
    mark = make_user("mark", first_name="Mark")
    petra = make_user("petra", first_name="Petra")
    Membership.objects.create(user=mark, organisation=org, role="manager")
    Membership.objects.create(user=petra, organisation=org, role="process_owner")
    with org_scope(org):
        customer = actions.save_party(
            party=Party(name="Contoso", kind="customer"), organisation=org
        )
        actions.save_service(
            service=Service(name="Customer portal", owner=petra, lifecycle="live"),
            organisation=org,
            customers=[customer],
        )
    return org


def test_a_manager_sets_up_service_hours_and_an_sla_with_targets(page, northwind) -> None:  # type: ignore[no-untyped-def]
    _login(page, "mark")
    page.goto("/o/northwind/services/")
    page.get_by_role("link", name="Business calendars").click()
    page.get_by_role("link", name="Add a calendar").click()
    page.get_by_label("Name").fill("London office")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Public holidays of").select_option("GB")
    page.get_by_label("Holiday subdivision").fill("ENG")
    page.get_by_role("button", name="Add the calendar").click()
    page.wait_for_url(re.compile(r"/calendars/\d+/$"))
    assert page.get_by_test_id("week-picture").locator("svg").is_visible()
    assert page.get_by_test_id("week-table").get_by_text("09:00–17:00").first.is_visible()

    hours = page.get_by_test_id("segment-form")
    hours.get_by_label("Monday").check()
    hours.get_by_label("From").fill("16:00")
    hours.get_by_label("Until").fill("18:00")
    hours.get_by_role("button", name="Add the hours").click()
    page.get_by_text("Monday: This overlaps Monday 09:00–17:00.").wait_for()
    hours = page.get_by_test_id("segment-form")
    hours.get_by_label("Monday").uncheck()  # the refused entry is kept in the form
    hours.get_by_label("Saturday").check()
    hours.get_by_label("From").fill("10:00")
    hours.get_by_label("Until").fill("14:00")
    hours.get_by_role("button", name="Add the hours").click()
    page.get_by_test_id("segments").get_by_role("cell", name="Saturday", exact=True).wait_for()
    calendar = Calendar.all_orgs.get(name="London office")
    assert CalendarSegment.all_orgs.filter(calendar=calendar).count() == 6

    page.get_by_role("link", name="Agreements", exact=True).click()
    page.get_by_role("link", name="Add an agreement").click()
    page.get_by_label("Reference").fill("SLA-001")
    page.get_by_label("Title").fill("Portal for Contoso")
    page.get_by_label("Kind").select_option("sla")
    page.get_by_label("Contoso").check()
    page.get_by_label("Customer portal").check()
    page.get_by_label("Service hours").select_option(label="London office")
    page.get_by_role("button", name="Add the agreement").click()
    page.wait_for_url(re.compile(r"/agreements/\d+/$"))

    targets = page.get_by_test_id("time-target-form")
    targets.get_by_label("Clock").select_option("resolution")
    targets.get_by_label("Priority").fill("P1")
    targets.get_by_label("Target").fill("0")
    targets.get_by_label("Unit").select_option("hours")
    targets.get_by_role("button", name="Add the time target").click()
    page.get_by_text("Enter a target above zero.").wait_for()
    targets = page.get_by_test_id("time-target-form")
    targets.get_by_label("Target").fill("2")
    targets.get_by_label("Unit").select_option("business_days")
    targets.get_by_role("button", name="Add the time target").click()
    page.get_by_test_id("time-targets").get_by_role(
        "cell", name="2 business days", exact=True
    ).wait_for()
    agreement = Agreement.all_orgs.get(reference="SLA-001")
    assert TimeTarget.all_orgs.get(agreement=agreement).seconds == 16 * 3600
    assert list(agreement.services.values_list("name", flat=True)) == ["Customer portal"]


def test_a_service_owner_records_an_outage_and_reads_the_report(page, northwind) -> None:  # type: ignore[no-untyped-def]
    with org_scope(northwind):
        office = actions.save_calendar(
            calendar=Calendar(
                name="Office",
                time_zone="Europe/London",
                holiday_country="GB",
                holiday_subdivision="ENG",
            ),
            organisation=northwind,
            pattern="office",
        )
        portal = Service.objects.get(name="Customer portal")
        sla = actions.save_agreement(
            agreement=Agreement(
                reference="SLA-001",
                title="Portal",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=office,
            ),
            organisation=northwind,
            services=[portal],
        )
        actions.save_availability_target(
            target=AvailabilityTarget(period="month", percent=Decimal("99.5")), agreement=sla
        )
    _login(page, "petra")
    page.goto(f"/o/northwind/services/{portal.pk}/")
    page.get_by_role("link", name="Record an outage").click()
    page.get_by_label("Unplanned outage").check()
    page.get_by_label("Title").fill("Database storage full")
    page.get_by_label("Starts at").fill("2024-06-04T09:00")
    page.get_by_label("Ends at").fill("2024-06-04T13:00")
    page.get_by_label("Incident").fill("INC0012345")
    page.get_by_role("button", name="Record the outage").click()
    page.wait_for_url(re.compile(r"/outages/\d+/$"))
    assert Outage.all_orgs.get().incident_ref == "INC0012345"

    page.goto(f"/o/northwind/services/{portal.pk}/report/?month=2024-05")
    page.get_by_label("Month", exact=True).fill("2024-06")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"month=2024-06"))
    assert "97.5 %" in page.get_by_test_id("report-availability").inner_text()
    assert page.get_by_test_id("report-availability").get_by_text("Missed").is_visible()
    assert page.locator("figure.chart-figure svg").is_visible()
    assert page.get_by_test_id("report-outages").get_by_text("Database storage full").is_visible()
    # No ticket was measured in the month: the page says why rather than showing a number.
    note = page.get_by_test_id("breaches-note").inner_text()
    assert note == "No agreement sets a time target."
    assert page.get_by_test_id("report-breaches").count() == 0
