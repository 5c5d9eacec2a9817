"""The audit chain in Chromium: plan an audit, record a minor nonconformity from the checklist,
see the nonconformity opened, analyse it, act, verify, close — and the coverage matrix moves."""

import re
from datetime import timedelta

import pytest

from openitsms.audits import actions as audit_actions
from openitsms.audits.models import Audit, AuditProgramme, ChecklistItem
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement.models import Nonconformity
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
    change = Process(
        organisation=org,
        slug="change-management",
        name="Change management",
        kind="operational",
        owner=people["process_owner"],
    )
    change.save()
    change.clauses.set(Requirement.objects.primary().filter(number__startswith="8.5.1."))
    today = org_today(org)
    programme = audit_actions.save_programme(
        programme=AuditProgramme(
            title="Programme 2025–2028",
            starts_on=today - timedelta(days=400),
            ends_on=today + timedelta(days=700),
        ),
        organisation=org,
    )
    return org, people, change, programme


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def _row(page, number):
    return page.locator(f'tr[data-clause="{number}"]')


def test_audit_to_verified_closure_and_the_coverage_matrix(page, setup):
    org, people, change, programme = setup
    today = org_today(org)

    # The manager plans the audit; the auditor may not audit a process they own, petra does.
    _login(page, "mia")
    page.goto(f"/o/northwind/audits/programmes/{programme.pk}/coverage/")
    assert "Not covered in this cycle" in _row(page, "8.5.1.3").inner_text()
    page.goto(f"/o/northwind/audits/new/?programme={programme.pk}")
    page.get_by_label("Title").fill("Change management audit")
    page.get_by_label("Processes").select_option(str(change.pk))
    page.get_by_label("Lead auditor").select_option(label="Petra Example (petra)")
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill(today.isoformat())
    page.get_by_role("button", name="Plan the audit").click()
    error = page.locator(".field.has-error", has_text="Lead auditor")
    assert "may not audit their own process" in error.inner_text()
    page.get_by_label("Lead auditor").select_option(label="Ada Example (aud)")
    page.get_by_role("button", name="Plan the audit").click()
    page.wait_for_url(re.compile(r"/audits/\d+/$"))
    assert "its checklist has 3 items" in page.get_by_role("status").inner_text()
    audit = Audit.objects.get()
    page.goto(f"/o/northwind/audits/programmes/{programme.pk}/coverage/")
    assert "Planned, not yet audited" in _row(page, "8.5.1.3").inner_text()

    # The auditor records a minor nonconformity on the checklist (htmx swaps the item).
    _login(page, "aud")
    page.goto(f"/o/northwind/audits/{audit.pk}/checklist/")
    item = ChecklistItem.objects.get(audit=audit, requirement__number="8.5.1.3")
    row = page.locator(f"#item-{item.pk}")
    row.get_by_label("Result").select_option("minor_nc")
    row.get_by_label("Notes").fill("Two changes in March had no post-implementation review.")
    row.get_by_role("button", name="Save").click()
    opened = page.locator(f"#item-{item.pk}").get_by_role("link", name="nonconformity opened")
    opened.wait_for()
    opened.click()
    page.wait_for_url(re.compile(r"/nonconformities/\d+/$"))
    assert page.get_by_test_id("nc-status").inner_text() == "Open"
    assert "Minor" in page.locator("main").inner_text()
    nc = Nonconformity.objects.get()
    assert nc.source == "internal_audit" and nc.audit_finding.checklist_item == item

    # The coverage matrix now counts the clause as audited.
    page.goto(f"/o/northwind/audits/programmes/{programme.pk}/coverage/")
    assert "Audited" in _row(page, "8.5.1.3").inner_text()
    assert "Not covered in this cycle" in _row(page, "4.1").inner_text()

    # The manager analyses the root cause and adds the corrective action.
    _login(page, "mia")
    page.goto(f"/o/northwind/nonconformities/{nc.pk}/")
    page.get_by_role("link", name="Record the root cause analysis").click()
    page.get_by_label("Why 1").fill("Reviews are not scheduled.")
    page.get_by_label("Why 2").fill("The change procedure has no review step.")
    page.get_by_label("Root cause").fill("The change procedure has no review step.")
    page.get_by_label("Cause category").select_option("process")
    page.get_by_role("button", name="Save the analysis").click()
    page.wait_for_url(re.compile(rf"/nonconformities/{nc.pk}/$"))
    page.get_by_role("link", name="Add a corrective action").click()
    page.get_by_label("Title").fill("Add a review step to the change procedure")
    page.get_by_label("Owner").select_option(label="Mia Example (mia)")
    page.get_by_label("Due date").fill((today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_url(re.compile(rf"/nonconformities/{nc.pk}/$"))
    page.get_by_test_id("corrective-actions").get_by_role("link", name="A-0001").click()
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Completion notes").fill("Procedure v5 approved.")
    page.get_by_role("button", name="Save progress").click()
    assert page.get_by_test_id("action-status").inner_text() == "Done"

    # Closing without an effectiveness check is refused, with the reason.
    page.goto(f"/o/northwind/nonconformities/{nc.pk}/")
    page.get_by_role("button", name=f"Close {nc.reference}").click()
    message = page.locator(".message.error").inner_text()
    assert "was not closed" in message and "effectiveness check that passed" in message
    assert page.get_by_test_id("nc-status").inner_text() == "Open"

    # Plan the check, record that it passed, and close.
    checks = page.get_by_test_id("effectiveness")
    checks.get_by_label("Planned date").fill(today.isoformat())
    checks.get_by_label("Checker").select_option(label="Ada Example (aud)")
    checks.get_by_label("Method").fill("Sample the changes of the next month.")
    checks.get_by_role("button", name="Plan the check").click()
    page.get_by_label("Yes — passed").check()
    page.get_by_label("What the check found").fill("All 6 changes reviewed.")
    page.get_by_role("button", name="Record the result").click()
    assert "the corrective action is effective" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name=f"Close {nc.reference}").click()
    assert page.get_by_test_id("nc-status").inner_text() == "Closed"
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "Closure refused" in timeline and "Effectiveness check passed" in timeline
    nc.refresh_from_db()
    assert nc.status == "closed"
