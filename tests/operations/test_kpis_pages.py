"""The KPI page per kind of record: the same figures as the API, its process, its charts and
control-chart flags, and a number of queries that does not grow with the data."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date

import pytest

from openitsms.catalogue.models import PRIMARY_STANDARD, Requirement
from openitsms.operations.api import MonthKpiOut
from openitsms.operations.kpis import MonthKpi
from openitsms.operations.models import Rollup
from openitsms.tenancy.scoping import org_scope
from tests.operations.test_kpis_figures import (
    CAUSED,
    CHANGE_COLUMNS,
    CHANGES,
    INCIDENT_COLUMNS,
    INCIDENT_HEADER,
    INCIDENTS,
    PROBLEM_COLUMNS,
    PROBLEMS,
    REQUEST_COLUMNS,
    import_kind,
)
from tests.processes.helpers import process

pytestmark = pytest.mark.django_db

REQUESTS = (
    "Ref,Summary,State,Opened,Resolved,Closed,Priority,Service\n"
    "R1,Laptop,Resolved,2024-03-04 09:00,2024-03-04 11:00,,P1,\n"
    "R2,Access,Closed,2024-03-04 16:00,,2024-03-05 13:00,P2,\n"
    "R3,Phone,New,2024-04-05 10:00,,,P1,\n"
)


@pytest.fixture
def every_kind(org, manager, tmp_path):
    import_kind(org, manager, tmp_path, CHANGES, kind="change", columns=CHANGE_COLUMNS)
    import_kind(
        org,
        manager,
        tmp_path,
        INCIDENT_HEADER + INCIDENTS + CAUSED.split("\n", 1)[1],
        kind="incident",
        columns=INCIDENT_COLUMNS,
        name="incidents.csv",
    )
    import_kind(
        org,
        manager,
        tmp_path,
        PROBLEMS,
        kind="problem",
        columns=PROBLEM_COLUMNS,
        value_maps={"status": {"Known error": "in_progress"}},
        name="problems.csv",
    )
    import_kind(
        org, manager, tmp_path, REQUESTS, kind="request", columns=REQUEST_COLUMNS, name="r.csv"
    )


def as_json(month: MonthKpi) -> dict:
    return {**asdict(month), "month": month.month.isoformat()}


def test_the_api_schema_has_every_figure():
    assert set(MonthKpiOut.model_fields) == {f.name for f in fields(MonthKpi)}


@pytest.mark.parametrize("kind", ["incident", "request", "problem", "change"])
def test_page_and_api_show_the_same_figures(
    kind, org, manager, every_kind, viewer_client, api, token_for
):
    page = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind={kind}")
    body = api("get", f"/api/v1/orgs/{org.slug}/kpis?kind={kind}", token_for(manager)).json()

    assert page.status_code == 200
    months = page.context["months"]
    assert months and [as_json(m) for m in months] == body
    assert page.content.count(b"<svg") == 4
    # Each month is a row of the table, its cells from the same figures.
    assert len(page.context["rows"]) == len(months)


def test_each_kind_shows_its_own_figures_in_the_table(org, every_kind, viewer_client):
    change = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=change").content.decode()
    problem = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=problem").content.decode()
    request = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=request").content.decode()
    incident = viewer_client.get(f"/o/{org.slug}/operations/kpis/").content.decode()

    assert "Success rate" in change and "<td>50 % of 4</td>" in change
    assert "<td>33.33 %</td>" in change  # emergency share
    assert "First-contact resolution" not in change
    assert "Time to known error, mean days" in problem and "<td>5.17</td>" in problem
    assert "Fulfilled within SLA" in request and "Success rate" not in request
    assert "<td>50 % of 4</td>" in incident  # first-contact resolution in March
    assert "Known errors" not in incident


def test_each_kind_names_its_process_and_links_its_record(org, every_kind, viewer_client):
    change_management = process(org, "Change management")
    change_management.clauses.set(
        Requirement.objects.filter(standard__key=PRIMARY_STANDARD, number="8.5.1")
    )

    change = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=change")
    incident = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=incident")

    assert change.context["process"] == change_management
    assert change_management.get_absolute_url().encode() in change.content
    assert b"clause 8.5.1" in change.content
    assert incident.context["process"] is None
    assert b"No process in your register covers clause 8.6.1" in incident.content


def test_filters_narrow_the_figures_and_the_kind_tabs_keep_them(org, every_kind, viewer_client):
    page = viewer_client.get(
        f"/o/{org.slug}/operations/kpis/?kind=incident&priority=P3&assignment_group=A"
    )

    march = page.context["months"][0]
    assert (march.opened, march.resolved) == (2, 1)  # I2 and I5; I2 resolved
    tabs = {tab["kind"]: tab["query"] for tab in page.context["kind_tabs"]}
    assert tabs["change"] == "kind=change&priority=P3&assignment_group=A"
    assert page.context["groups"] == ["A", "B", "Dev"]


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_data(
    org, manager, viewer_client, tmp_path, django_assert_max_num_queries
):
    small = INCIDENT_HEADER + "S1,a,New,2024-03-01 00:00,,,,P3,A,0,0,,\n"
    import_kind(org, manager, tmp_path, small, kind="incident", columns=INCIDENT_COLUMNS)
    with django_assert_max_num_queries(8):
        assert viewer_client.get(f"/o/{org.slug}/operations/kpis/").status_code == 200

    rows = [
        f"L{n},x,Resolved,{2022 + n // 240}-{n // 20 % 12 + 1:02d}-{n % 20 + 1:02d} 00:00,,"
        f"{2022 + n // 240}-{n // 20 % 12 + 1:02d}-{n % 20 + 2:02d} 00:00,,P{n % 4 + 1},"
        f"Team {n % 7},{n % 3},0,,\n"
        for n in range(480)
    ]
    import_kind(
        org,
        manager,
        tmp_path,
        INCIDENT_HEADER + "".join(rows),
        kind="incident",
        columns=INCIDENT_COLUMNS,
        name="large.csv",
    )
    with org_scope(org):
        assert Rollup.objects.count() > 300
    for kind in ("incident", "request", "problem", "change"):
        with django_assert_max_num_queries(8):
            page = viewer_client.get(
                f"/o/{org.slug}/operations/kpis/?kind={kind}&assignment_group=Team+1"
            )
        assert page.status_code == 200
    with django_assert_max_num_queries(8):
        page = viewer_client.get(f"/o/{org.slug}/operations/kpis/")
    assert len(page.context["months"]) == 27  # January 2022 to March 2024


def test_control_charts_watch_the_kpis_of_the_kind_shown(org, viewer_client):
    failed = [9, 1] * 4 + [9] * 8
    for index, count in enumerate(failed):
        Rollup.all_orgs.create(
            organisation=org,
            kind="change",
            month=date(2023 + index // 12, index % 12 + 1, 1),
            opened=10,
            ended=10,
            failed=count,
        )

    page = viewer_client.get(f"/o/{org.slug}/operations/kpis/?kind=change")

    flags = page.context["trend_flags"]
    assert [(f["kpi"], f["month"]) for f in flags] == [("Failed changes", date(2024, 4, 1))]
    assert flags[0]["reasons"] == ["8 months in a row on one side of the mean"]
    assert b"kind=change&amp;month=2024-04" in page.content
    assert viewer_client.get(f"/o/{org.slug}/operations/kpis/").context["trend_flags"] == []
