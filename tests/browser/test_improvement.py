"""The tracker and the registers in Chromium: a major finding becomes a nonconformity, its
corrective action is done from "My actions", closure waits for a passed effectiveness check;
an improvement goes from proposal to measured result."""

import re
from datetime import timedelta

import pytest

from openitsms.audits import actions as audit_actions
from openitsms.audits.models import AuditProgramme
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement.models import Action, Improvement, Nonconformity
from openitsms.processes.models import Process
from openitsms.tenancy.models import Membership, Organisation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(make_user):
    org = Organisation.objects.create(name="Northwind", slug="northwind", time_zone="Europe/London")
    people = {}
    for username, role, first in [
        ("mia", "manager", "Mia"),
        ("aud", "auditor", "Ada"),
        ("petra", "process_owner", "Petra"),
    ]:
        people[role] = make_user(username, first_name=first, last_name="Example")
        Membership.objects.create(user=people[role], organisation=org, role=role)
    incident = Process(
        organisation=org,
        slug="incident-management",
        name="Incident management",
        kind="operational",
        owner=people["process_owner"],
    )
    incident.save()
    incident.clauses.set(Requirement.objects.primary().filter(number="8.6.1"))
    today = org_today(org)
    programme = audit_actions.save_programme(
        programme=AuditProgramme(
            title="Programme",
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=1000),
        ),
        organisation=org,
    )
    audit = audit_actions.create_audit(
        programme=programme,
        fields={
            "title": "Incident management",
            "lead_auditor": people["auditor"],
            "starts_on": today,
            "ends_on": today,
        },
        processes=[incident],
    )
    return org, people, incident, audit


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_major_finding_to_a_verified_closure(page, setup):
    org, people, incident, audit = setup
    today = org_today(org)

    _login(page, "aud")
    page.goto(f"/o/northwind/audits/{audit.pk}/")
    page.get_by_role("link", name="Record a finding").click()
    page.get_by_label("Grade").select_option("major_nc")
    page.get_by_label("Title").fill("Major incidents are not reviewed")
    page.get_by_label("Clause").select_option(
        str(Requirement.objects.primary().get(number="8.6.1").pk)
    )
    page.get_by_label("Process").select_option(str(incident.pk))
    page.get_by_label("Description").fill("None of the 4 major incidents of Q2 was reviewed.")
    page.get_by_role("button", name="Record the finding").click()
    assert "opened NC-001" in page.get_by_role("status").inner_text()
    follow_up = page.get_by_test_id("follow-up")
    assert "NC-001" in follow_up.inner_text() and "Open" in follow_up.inner_text()

    page.goto("/o/northwind/nonconformities/")
    row = page.get_by_test_id("nonconformities").get_by_role("row", name=re.compile("NC-001"))
    assert "Major" in row.inner_text() and "Root cause analysis" in row.inner_text()
    nc = Nonconformity.objects.get()
    assert nc.owner == people["process_owner"]

    # The manager adds the root cause and the corrective action, owned by the process owner.
    _login(page, "mia")
    page.goto(f"/o/northwind/nonconformities/{nc.pk}/analysis/")
    page.get_by_label("Why 1").fill("Nobody schedules the reviews.")
    page.get_by_label("Root cause").fill("The procedure names no owner for reviews.")
    page.get_by_label("Cause category").select_option("process")
    page.get_by_role("button", name="Save the analysis").click()
    page.get_by_role("link", name="Add a corrective action").click()
    page.get_by_label("Title").fill("Name the incident manager as review owner")
    page.get_by_label("Due date").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_url(re.compile(rf"/nonconformities/{nc.pk}/$"))
    page.goto("/o/northwind/actions/overdue/")
    assert "Name the incident manager" in page.get_by_test_id("actions").inner_text()

    # The process owner finds it under "My actions" and marks it done.
    _login(page, "petra")
    page.goto("/o/northwind/actions/mine/")
    page.get_by_role("link", name="A-0001").click()
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Completion notes").fill("Procedure v4 names the incident manager.")
    page.get_by_role("button", name="Save progress").click()
    assert page.get_by_test_id("action-status").inner_text() == "Done"
    assert Action.objects.get().completed_on == today

    # Closing without an effectiveness check is refused with the message; then it passes.
    _login(page, "mia")
    page.goto(f"/o/northwind/nonconformities/{nc.pk}/")
    assert page.get_by_test_id("nc-stage").inner_text() == "Effectiveness check"
    page.get_by_role("button", name="Close NC-001").click()
    assert (
        "Record an effectiveness check that passed" in page.locator(".message.error").inner_text()
    )
    assert Nonconformity.objects.get().status == "open"
    checks = page.get_by_test_id("effectiveness")
    checks.get_by_label("Planned date").fill(today.isoformat())
    checks.get_by_label("Checker").select_option(label="Ada Example (aud)")
    checks.get_by_label("Method").fill("Every major incident of the next month is reviewed.")
    checks.get_by_role("button", name="Plan the check").click()

    _login(page, "aud")  # the named checker records the result
    page.goto(f"/o/northwind/nonconformities/{nc.pk}/")
    page.get_by_label("Yes — passed").check()
    page.get_by_role("button", name="Record the result").click()
    _login(page, "mia")
    page.goto(f"/o/northwind/nonconformities/{nc.pk}/")
    page.get_by_role("button", name="Close NC-001").click()
    assert page.get_by_test_id("nc-status").inner_text() == "Closed"
    assert Nonconformity.objects.get().status == "closed"


def test_an_improvement_from_proposal_to_measured_result(page, setup):
    org, people, incident, audit = setup
    _login(page, "petra")
    page.goto("/o/northwind/improvements/")
    page.get_by_role("link", name="Propose an improvement").click()
    page.get_by_label("Title").fill("Self-service password reset")
    page.get_by_label("Opportunity").fill("A quarter of all requests are password resets.")
    page.locator("#id_source").select_option("measurement")
    page.get_by_role("button", name="Add to the register").click()
    assert page.get_by_test_id("improvement-status").inner_text() == "Proposed"
    improvement = Improvement.objects.get()

    _login(page, "mia")
    page.goto(f"/o/northwind/improvements/{improvement.pk}/edit/")
    page.get_by_label("Owner").select_option(label="Petra Example (petra)")
    page.get_by_label("Benefit").select_option("5")
    page.get_by_label("Cost").select_option("2")
    page.get_by_label("Risk of doing it").select_option("1")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Add a target").click()
    page.get_by_label("Area").select_option("resource_use")
    page.get_by_label("Description").fill("Resets handled by the desk each month")
    page.get_by_label("Direction").select_option("lower")
    page.get_by_label("Baseline").fill("420")
    page.get_by_label("Target").fill("100")
    page.get_by_role("button", name="Add the target").click()
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record the decision").click()
    assert page.get_by_test_id("improvement-status").inner_text() == "Approved"

    _login(page, "petra")
    page.goto(f"/o/northwind/improvements/{improvement.pk}/")
    page.get_by_test_id("targets").get_by_role("link", name="Record result").click()
    page.get_by_label("Measured result").fill("80")
    page.get_by_role("button", name="Save").click()
    assert "Target met" in page.get_by_test_id("targets").inner_text()

    _login(page, "mia")
    page.goto(f"/o/northwind/improvements/{improvement.pk}/")
    page.get_by_label("What did it achieve?").fill("Resets at the desk fell from 420 to 80.")
    page.get_by_role("button", name=f"Complete {improvement.reference}").click()
    assert page.get_by_test_id("improvement-status").inner_text() == "Completed"
    improvement.refresh_from_db()
    assert improvement.status == "completed" and improvement.score == 94
