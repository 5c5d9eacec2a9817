"""KPIs from the rollups equal figures computed by hand."""

from __future__ import annotations

import pytest

from openitsms.operations.kpis import monthly_kpis
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import HEADER, import_csv, write
from tests.operations.test_import_actions import ROWS

pytestmark = pytest.mark.django_db

APRIL = "INC-5,Later,Resolved,01/04/2024 09:00,01/04/2024 09:30,P1,Team A,Customer portal\n"


def test_monthly_kpis_equal_the_hand_computed_figures(org, manager, portal_sla, tmp_path):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS + APRIL))

    with org_scope(org):
        march, april = monthly_kpis(kind="incident")
        (portal_march, _portal_april) = monthly_kpis(
            kind="incident", service_id=portal_sla.services.get().pk
        )
        team_b = monthly_kpis(kind="incident", assignment_group="Team B")
    # March: INC-1 (19 h 24×7, 3 business h, met), INC-2 (6 h, 6 h, breached), INC-3 open.
    assert (march.opened, march.resolved, march.backlog, march.major) == (3, 2, 1, 2)
    assert march.mean_resolution_24x7_h == 12.5
    assert march.mean_resolution_business_h == 4.5
    assert (march.resolution_with_target, march.resolution_within_pct) == (2, 50.0)
    assert march.reopen_rate_pct == 0.0
    # April: INC-5 resolved in half an hour, within its 4 hours; INC-3 still in the backlog.
    assert (april.opened, april.resolved, april.backlog) == (1, 1, 1)
    assert april.mean_resolution_24x7_h == 0.5
    assert april.resolution_within_pct == 100.0
    assert (portal_march.opened, portal_march.backlog) == (2, 0)
    assert [(m.opened, m.resolved, m.resolution_within_pct) for m in team_b] == [(1, 0, None)]


def test_the_kpi_page_and_api_show_the_same_figures(
    org,
    manager,
    viewer_client,
    api,
    token_for,
    portal_sla,
    tmp_path,
    django_assert_max_num_queries,
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS + APRIL))

    with django_assert_max_num_queries(12):
        page = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=incident")
    assert page.status_code == 200
    assert b"<svg" in page.content
    assert [m.opened for m in page.context["months"]] == [3, 1]
    body = api("get", f"/api/v1/orgs/{org.slug}/kpis?kind=incident", token_for(manager)).json()
    assert [(m["month"], m["opened"], m["resolution_within_pct"]) for m in body] == [
        ("2024-03-01", 3, 50.0),
        ("2024-04-01", 1, 100.0),
    ]


def test_the_kpi_page_says_what_to_do_without_data(org, viewer_client):
    page = viewer_client.get(f"/o/{org.slug}/operations/kpis/")
    assert b"No figures yet" in page.content
