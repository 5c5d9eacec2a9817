"""A manager installs the default process register, names an owner, adds a KPI: the flags go."""

import re

import pytest

from openitsms.processes.models import Process, ProcessKpi
from openitsms.tenancy.models import Membership, Organisation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login(page, username, password):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_manager_installs_defaults_sets_an_owner_and_adds_a_kpi_and_the_flags_go(page, make_user):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    manager = make_user("mark", first_name="Mark", last_name="Manager")
    Membership.objects.create(user=manager, organisation=org, role="manager")
    petra = make_user("petra", first_name="Petra", last_name="Owner")
    Membership.objects.create(user=petra, organisation=org, role="process_owner")

    _login(page, "mark", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/o/northwind/processes/")
    page.get_by_role("button", name="Install the default process register").click()
    assert page.get_by_role("status").get_by_text("34 default process(es) installed").is_visible()
    assert Process.all_orgs.filter(organisation=org).count() == 34

    # Someone removed the knowledge process's KPIs: it now lacks both an owner and a measure.
    ProcessKpi.all_orgs.filter(process__slug="knowledge-management").delete()
    page.reload()
    row = page.get_by_test_id("process-knowledge-management")
    assert row.get_by_text("No owner").is_visible() and row.get_by_text("No KPIs").is_visible()

    row.get_by_role("link", name="Knowledge management").click()
    flags = page.get_by_test_id("process-flags")
    assert "Nobody owns this process" in flags.inner_text()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Process owner").select_option(label="Petra Owner")
    page.get_by_label("Deputy").select_option(label="Mark Manager")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/o/northwind/processes/\d+/$"))
    assert page.get_by_test_id("process-owner").inner_text() == "Petra Owner"
    assert "No owner" not in page.get_by_test_id("process-flags").inner_text()

    page.get_by_label("KPI").fill("Known errors with a published workaround")
    page.get_by_label("Target").fill("90")
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Direction").select_option("higher_is_better")
    page.get_by_role("button", name="Add KPI").click()
    assert (
        page.get_by_test_id("kpis")
        .get_by_role("cell", name="Known errors with a published workaround", exact=True)
        .is_visible()
    )
    assert page.get_by_test_id("process-flags").count() == 0

    page.get_by_role("link", name="All processes").click()
    row = page.get_by_test_id("process-knowledge-management")
    assert row.get_by_test_id("flag").count() == 0
    assert "Petra Owner" in row.inner_text()
