"""Control limits and run rules on monthly KPI values."""

from __future__ import annotations

import pytest

from openitsms.operations.trends import control_limits


def test_a_month_beyond_three_sigma_is_flagged():
    values = [5.0, 15.0] * 10 + [100.0]

    chart = control_limits(values)

    # mean 300 / 21 = 14.29; σ = 19.78 (population); upper limit 73.62.
    assert (chart.mean, chart.sigma, chart.upper) == (14.29, 19.78, 73.62)
    assert chart.flagged() == [20]
    assert chart.flags[20] == ("beyond_limits",)


def test_eight_months_in_a_row_on_one_side_of_the_mean_are_a_shift():
    values = [9.0, 5.0] * 4 + [9.0] * 8

    chart = control_limits(values)

    assert chart.flagged() == [15]
    assert chart.flags[15] == ("run",)


def test_gaps_break_runs_and_short_series_have_no_limits():
    assert control_limits([1.0, None, 3.0]).mean is None
    chart = control_limits([1.0] * 4 + [None] + [9.0] * 7 + [1.0] * 4)
    assert chart.flagged() == []


@pytest.mark.django_db
def test_the_kpi_page_flags_a_shift_and_links_to_its_records(org, viewer_client):
    from datetime import date

    from openitsms.operations.models import Rollup

    values = [9, 5] * 4 + [9] * 8
    for index, opened in enumerate(values):
        Rollup.all_orgs.create(
            organisation=org,
            kind="incident",
            month=date(2023 + index // 12, index % 12 + 1, 1),
            opened=opened,
        )

    page = viewer_client.get(f"/o/{org.slug}/operations/kpis/")

    flags = page.context["trend_flags"]
    assert [(f["kpi"], f["month"]) for f in flags] == [("Records opened", date(2024, 4, 1))]
    assert b"month=2024-04" in page.content
    records = viewer_client.get(f"/o/{org.slug}/operations/records/?month=2024-04")
    assert records.status_code == 200
