"""The service report (9.4) reads its response and resolution actuals from imported records."""

from __future__ import annotations

import pytest

from openitsms.operations.models import Record
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import HEADER, import_csv, write

pytestmark = pytest.mark.django_db

# Monday 4 March 2024, London: INC-1 resolved in 3 business hours, INC-2 in 6 (target 4).
ROWS = (
    "INC-1,Portal slow,Resolved,04/03/2024 16:00,05/03/2024 11:00,P1,Team A,Customer portal\n"
    "INC-2,Portal down,Resolved,04/03/2024 09:00,04/03/2024 15:00,P1,Team A,Customer portal\n"
)


def test_the_report_page_lists_the_breached_ticket_with_a_link(
    org, manager, portal_sla, viewer_client, tmp_path
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    with org_scope(org):
        portal = portal_sla.services.get()
        breached = Record.objects.get(source_id="INC-2")

    body = viewer_client.get(
        f"/o/{org.slug}/services/{portal.pk}/report/?month=2024-03"
    ).content.decode()

    assert "50 % of 2 within target" in body
    assert "1 breached" in body
    assert "1 ticket missed a time target in March 2024." in body
    assert f'href="{breached.get_absolute_url()}">INC-2</a>' in body
    assert "2 h" in body  # six business hours against a four-hour target

    april = viewer_client.get(
        f"/o/{org.slug}/services/{portal.pk}/report/?month=2024-04"
    ).content.decode()
    assert "No imported incident or request was measured" in april
    assert "INC-2" not in april


def test_the_report_api_gives_the_same_actuals_and_breaches(
    org, manager, viewer, portal_sla, api, token_for, tmp_path
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    with org_scope(org):
        portal = portal_sla.services.get()
        breached = Record.objects.get(source_id="INC-2")

    response = api(
        "get",
        f"/api/v1/orgs/{org.slug}/services/{portal.pk}/report?month=2024-03",
        token_for(viewer),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    (section,) = body["agreements"]
    (target,) = section["time_targets"]
    assert (target["has_data"], target["tickets"], target["within_target"]) == (True, 2, 1)
    assert target["percent_within"] == 50.0
    assert target["breached"] == [
        {"number": "INC-2", "overrun_seconds": 2 * 3600, "record_id": breached.pk}
    ]
    assert body["breaches"] == "1 ticket missed a time target in March 2024."
