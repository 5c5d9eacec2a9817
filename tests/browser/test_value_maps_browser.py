"""A manager's ServiceNow export has a state of its own; the import fails naming it, the
manager says what it means in a mapping, and the same file then imports. And on a CSV file's
mapping page the status values are shown, and chosen, before the import."""

import re

import pytest

from openitsms.operations.models import ColumnMapping, ImportRun, Record
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SN_EXPORT = (
    "number,short_description,incident_state,sys_mod_count,opened_at,sys_updated_at,priority\n"
    "INC0001,Printer jam,New,0,01/03/2024 09:00,01/03/2024 09:00,3 - Moderate\n"
    "INC0002,VPN down,With supplier,2,01/03/2024 10:00,02/03/2024 10:00,2 - High\n"
    "INC0003,Mail slow,Resolved,3,01/03/2024 11:00,01/03/2024 15:00,4 - Low\n"
)
CSV_EXPORT = (
    "Ref,Summary,State,Opened,Priority,Team\n"
    "INC-1,Portal slow,Open,04/03/2024 16:00,P1,Team A\n"
    "INC-2,Mail bounce,Parked,04/03/2024 09:00,P3,Team B\n"
)


def _manager(make_user):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    user = make_user("mark", first_name="Mark", last_name="Manager")
    Membership.objects.create(user=user, organisation=org, role="manager")
    return org


def _login(page):
    page.goto("/")
    page.get_by_label("Username").fill("mark")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def _upload(page, path, source, mapping=None):
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Source").select_option(source)
    page.get_by_label("Kind").select_option("incident")
    if mapping:
        page.get_by_label("Saved mapping").select_option(label=mapping)
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Date order").select_option("day_first")
    page.get_by_role("button", name="Upload and import").click()


def test_an_unknown_state_is_mapped_on_the_mapping_page_and_the_file_then_imports(
    page, make_user, tmp_path
):
    org = _manager(make_user)
    path = tmp_path / "incidents.csv"
    path.write_text(SN_EXPORT, encoding="utf-8")
    _login(page)

    page.goto("/o/northwind/operations/import/")
    _upload(page, path, "servicenow")
    page.wait_for_url(re.compile(r"/operations/runs/\d+/$"))
    page.get_by_test_id("run-status").get_by_text("Failed").wait_for()
    help_box = page.get_by_test_id("unknown-values")
    assert "status “With supplier”" in help_box.inner_text()
    help_box.get_by_role("link", name="New mapping for ServiceNow incident values").click()

    page.wait_for_url(re.compile(r"/mappings/new/"))
    assert page.get_by_label("Source").input_value() == "servicenow"
    page.get_by_label("Name").fill("Site states")
    page.get_by_role("button", name="Create the mapping").click()

    page.wait_for_url(re.compile(r"/mappings/\d+/\?from_run=\d+$"))
    # The defaults are there for reference: ServiceNow's "3 - Moderate" is our P3.
    p3 = page.get_by_test_id("defaults-priority").get_by_role("row", name=re.compile(r"^P3"))
    assert "3 - moderate" in p3.inner_text()
    assert page.get_by_label("Status value 1 in the export").input_value() == "With supplier"
    page.get_by_label("Our status for value 1").select_option(label="Pending")
    page.get_by_role("button", name="Save the mapping").click()
    page.get_by_text("The mapping “Site states” was saved.").wait_for()

    page.get_by_role("link", name="Import the file again with this mapping").click()
    page.wait_for_url(re.compile(r"/operations/import/\?"))
    assert page.get_by_label("Source").input_value() == "servicenow"
    _upload(page, path, "servicenow", mapping="Site states")
    page.wait_for_url(re.compile(r"/operations/runs/\d+/$"))
    page.get_by_test_id("run-status").get_by_text("Succeeded").wait_for()
    assert page.get_by_test_id("run-created").inner_text() == "3"
    with org_scope(org):
        assert ImportRun.objects.filter(status="succeeded").get().mapping_name == "Site states"
        assert Record.objects.get(source_id="INC0002").status == "pending"

    page.get_by_role("link", name="Mappings").click()
    row = page.get_by_test_id("mapping-list").get_by_role("row", name=re.compile("Site states"))
    assert "ServiceNow" in row.inner_text()


def test_the_csv_mapping_page_shows_the_status_values_to_choose(page, make_user, tmp_path):
    org = _manager(make_user)
    path = tmp_path / "tool.csv"
    path.write_text(CSV_EXPORT, encoding="utf-8")
    _login(page)

    page.goto("/o/northwind/operations/import/")
    _upload(page, path, "csv")
    page.wait_for_url(re.compile(r"/mapping/$"))
    values = page.get_by_test_id("mapping-values")
    assert page.get_by_label("Our status for “Open”").input_value() == "new"
    assert page.get_by_label("Our status for “Parked”").input_value() == ""

    # Another status column shows its values; back to the right one.
    page.get_by_label(re.compile(r"^Status")).select_option("Team")
    values.get_by_text("Team B", exact=True).wait_for()
    page.get_by_label(re.compile(r"^Status")).select_option("State")
    page.get_by_test_id("mapping-values").get_by_text("Parked", exact=True).wait_for()

    page.get_by_label("Our status for “Parked”").select_option(label="Pending")
    page.get_by_label("Name").fill("Our helpdesk")
    page.get_by_role("button", name="Save the mapping and import").click()
    page.wait_for_url(re.compile(r"/operations/runs/\d+/$"))
    page.get_by_test_id("run-status").get_by_text("Succeeded").wait_for()
    with org_scope(org):
        assert ColumnMapping.objects.get().value_maps == {"status": {"Parked": "pending"}}
        assert Record.objects.get(source_id="INC-2").status == "pending"
