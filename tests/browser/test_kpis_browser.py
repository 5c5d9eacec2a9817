"""A viewer opens the KPI page, sees the incidents' figures and charts, and switches to the
changes: their success rate and failed changes, from exports imported beforehand."""

from __future__ import annotations

import re

import pytest

from openitsms.tenancy.models import Membership, Organisation
from tests.conftest import PASSWORD
from tests.operations.test_kpis_figures import (
    CAUSED,
    CHANGE_COLUMNS,
    CHANGES,
    INCIDENT_COLUMNS,
    INCIDENT_HEADER,
    INCIDENTS,
    import_kind,
)

pytestmark = pytest.mark.browser


def test_a_viewer_reads_the_incident_kpis_then_the_change_kpis(page, make_user, tmp_path):
    org = Organisation.objects.create(name="Northwind", slug="northwind")
    manager = make_user("mark")
    Membership.objects.create(user=manager, organisation=org, role="manager")
    Membership.objects.create(user=make_user("vera"), organisation=org, role="viewer")
    import_kind(org, manager, tmp_path, CHANGES, kind="change", columns=CHANGE_COLUMNS)
    incidents = INCIDENT_HEADER + INCIDENTS + CAUSED.split("\n", 1)[1]
    import_kind(
        org, manager, tmp_path, incidents, kind="incident", columns=INCIDENT_COLUMNS, name="i.csv"
    )

    page.goto("/")
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/o/northwind/operations/kpis/")

    table = page.get_by_test_id("kpi-table")
    assert table.get_by_role("row", name=re.compile("Mar 2024")).is_visible()
    assert page.get_by_role("img", name="First-contact resolution, % per month").is_visible()
    assert "Incident management" in page.get_by_test_id("kpi-process").inner_text()

    page.get_by_test_id("kpi-kinds").get_by_role("link", name="Changes").click()
    page.wait_for_url(re.compile(r"kind=change"))
    march = page.get_by_test_id("kpi-table").get_by_role("row", name=re.compile("Mar 2024"))
    assert "50 % of 4" in march.inner_text()  # success rate
    assert page.get_by_role("img", name="Failed changes per month").is_visible()
    assert "Change management" in page.get_by_test_id("kpi-process").inner_text()
    page.screenshot(path=str(tmp_path / "kpis-change.png"), full_page=True)
