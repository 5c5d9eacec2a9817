"""A manager uploads a CSV from another tool, maps its columns, watches the import's progress
while a worker runs it, and sees the run's counts, the imported records and the KPIs."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from openitsms.operations.models import ImportRun, Record
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

EXPORT = (
    "Ref,Summary,State,Opened,Resolved,Priority,Team\n"
    "INC-1,Portal slow,Resolved,04/03/2024 16:00,05/03/2024 11:00,P1,Team A\n"
    "INC-2,Mail bounce,Open,04/03/2024 09:00,,P3,Team B\n"
)


def _login(page, username, password):
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_manager_uploads_a_csv_maps_columns_and_sees_the_counts(
    page, make_user, tmp_path, settings
):
    # The import waits for a worker, as in production, so the page shows it queued first.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    user = make_user("mark", first_name="Mark", last_name="Manager")
    Membership.objects.create(user=user, organisation=org, role="manager")
    (tmp_path / "tickets.csv").write_text(EXPORT, encoding="utf-8")

    _login(page, "mark", PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/o/northwind/")
    page.get_by_role("link", name="Operations").click()
    assert page.get_by_text("No records").is_visible()
    page.get_by_role("link", name="Import a file").first.click()

    page.get_by_label("File").set_input_files(str(tmp_path / "tickets.csv"))
    page.get_by_label("Source").select_option("csv")
    page.get_by_label("Kind").select_option("incident")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Date order").select_option("day_first")
    page.get_by_role("button", name="Upload and import").click()

    page.wait_for_url(re.compile(r"/mapping/$"))
    # Suggested from the headers.
    assert page.get_by_label("Source id").input_value() == "Ref"
    assert page.get_by_label("Opened").input_value() == "Opened"
    page.get_by_label("Name").fill("Our helpdesk")
    page.get_by_role("button", name="Save the mapping and import").click()

    page.wait_for_url(re.compile(r"/operations/runs/\d+/$"))
    status = page.get_by_test_id("run-status")
    assert page.get_by_label("Progress").get_attribute("value") == "0"
    assert "Succeeded" not in status.inner_text()
    # A worker picks the job up; the page, polling, follows it to the end.
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())
    status.get_by_text("Succeeded").wait_for()
    assert page.get_by_label("Progress").get_attribute("value") == "100"
    assert page.get_by_test_id("run-created").inner_text() == "2"
    with org_scope(org):
        assert ImportRun.objects.get().mapping_name == "Our helpdesk"
        assert Record.objects.count() == 2

    page.get_by_role("link", name="Records").click()
    page.get_by_role("link", name="INC-1").click()
    assert page.get_by_role("heading", name="Status history").is_visible()

    # The KPIs of March 2024: two incidents opened, one resolved (after 19 hours, 24×7).
    page.get_by_role("navigation", name="Operations").get_by_role("link", name="KPIs").click()
    march = page.get_by_test_id("kpi-table").get_by_role("row", name=re.compile("Mar 2024"))
    assert march.is_visible()
    assert re.search(r"\b2\b", march.inner_text())
    assert "19" in march.inner_text()
