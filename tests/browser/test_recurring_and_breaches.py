"""A manager raises a problem from a group of recurring incidents and deletes a mapping no
longer used; a viewer follows a breached ticket from the service report to its record."""

import re
from datetime import date
from decimal import Decimal

import pytest

from openitsms.operations.models import ColumnMapping, Record
from openitsms.services import actions as service_actions
from openitsms.services.models import Agreement, Calendar, Service, TimeTarget
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope
from tests.conftest import PASSWORD
from tests.operations.helpers import HEADER, import_csv, mapping_for, write

pytestmark = pytest.mark.browser

RECURRING = (
    "INC-1,VPN drops every hour,Resolved,01/03/2024 09:00,01/03/2024 10:00,P3,Net,VPN\n"
    "INC-2,VPN drops each hour,Resolved,05/03/2024 09:00,05/03/2024 10:00,P3,Net,VPN\n"
    "INC-3,vpn drops again every hour,Resolved,20/03/2024 09:00,20/03/2024 10:00,P3,Net,VPN\n"
)
# Monday 4 March 2024, London: resolved in 3 and in 6 business hours against a 4-hour target.
PORTAL = (
    "INC-7,Portal slow,Resolved,04/03/2024 16:00,05/03/2024 11:00,P1,Team A,Customer portal\n"
    "INC-8,Portal down,Resolved,04/03/2024 09:00,04/03/2024 15:00,P1,Team A,Customer portal\n"
)


def _org_with(make_user, username, role):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    user = make_user(username)
    Membership.objects.create(user=user, organisation=org, role=role)
    return org, user


def _login(page, username):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_manager_raises_a_problem_from_recurring_incidents(page, make_user, tmp_path):
    org, manager = _org_with(make_user, "mark", "manager")
    import_csv(org, manager, write(tmp_path, HEADER + RECURRING))

    _login(page, "mark")
    page.goto("/o/northwind/")
    page.get_by_role("link", name="Operations", exact=True).click()
    page.get_by_role("navigation", name="Operations").get_by_role(
        "link", name="Recurring incidents"
    ).click()
    candidate = page.locator("section.panel").filter(has_text="3 incidents on service “VPN”")
    assert candidate.get_by_role("link", name="INC-2").is_visible()
    candidate.get_by_label("Problem title").fill("VPN tunnel drops hourly")
    candidate.get_by_role("button", name="Raise a problem").click()

    page.wait_for_url(re.compile(r"/operations/records/\d+/$"))
    assert page.get_by_role("heading", name=re.compile("VPN tunnel drops hourly")).is_visible()
    with org_scope(org):
        problem = Record.objects.get(kind="problem")
        assert set(
            Record.objects.filter(problem_ref=problem.source_id).values_list("source_id", flat=True)
        ) == {"INC-1", "INC-2", "INC-3"}
    page.go_back()
    page.reload()
    assert page.get_by_text("No problem candidates").is_visible()


def test_a_manager_deletes_a_mapping_after_confirming(page, make_user):
    org, _manager = _org_with(make_user, "mark", "manager")
    mapping_for(org, name="Old helpdesk")

    _login(page, "mark")
    page.goto("/o/northwind/operations/mappings/")
    page.get_by_role("link", name="Old helpdesk").click()
    page.get_by_text("Delete this mapping").click()
    page.get_by_role("link", name="Delete “Old helpdesk”…").click()
    page.get_by_role("button", name="Delete the mapping").click()

    page.wait_for_url(re.compile(r"/operations/mappings/$"))
    assert page.get_by_role("link", name="Old helpdesk").count() == 0
    with org_scope(org):
        assert not ColumnMapping.objects.exists()


def test_a_viewer_follows_a_breach_from_the_service_report_to_the_ticket(page, make_user, tmp_path):
    org, viewer = _org_with(make_user, "vera", "viewer")
    with org_scope(org):
        office = service_actions.save_calendar(
            calendar=Calendar(name="Office", time_zone="Europe/London"),
            organisation=org,
            pattern="office",
        )
        portal = service_actions.save_service(
            service=Service(name="Customer portal", lifecycle="live"), organisation=org
        )
        sla = service_actions.save_agreement(
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
            agreement=sla,
        )
    import_csv(org, viewer, write(tmp_path, HEADER + PORTAL))

    _login(page, "vera")
    page.goto(f"/o/northwind/services/{portal.pk}/report/?month=2024-03")
    targets = page.get_by_test_id("report-targets")
    assert "50 % of 2 within target" in targets.inner_text()
    assert targets.get_by_text("1 breached").is_visible()
    assert page.get_by_test_id("breaches-note").inner_text() == (
        "1 ticket missed a time target in March 2024."
    )
    breaches = page.get_by_test_id("report-breaches")
    assert "2 h" in breaches.inner_text()
    breaches.get_by_role("link", name="INC-8").click()

    page.wait_for_url(re.compile(r"/operations/records/\d+/$"))
    assert page.get_by_role("heading", name="Status history").is_visible()
