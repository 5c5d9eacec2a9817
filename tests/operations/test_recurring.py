"""Recurring incidents as problem candidates; raising a problem links them."""

from __future__ import annotations

import pytest

from openitsms.audit.models import AuditEvent
from openitsms.operations.models import Record
from openitsms.operations.recurring import problem_candidates
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import HEADER, import_csv, write

pytestmark = pytest.mark.django_db

ROWS = (
    "INC-1,VPN drops every hour,Resolved,01/03/2024 09:00,01/03/2024 10:00,P3,Net,VPN\n"
    "INC-2,VPN drops each hour,Resolved,05/03/2024 09:00,05/03/2024 10:00,P3,Net,VPN\n"
    "INC-3,vpn drops again every hour,Resolved,20/03/2024 09:00,20/03/2024 10:00,P3,Net,VPN\n"
    "INC-4,Printer jam,Resolved,21/03/2024 09:00,21/03/2024 10:00,P4,Desk,VPN\n"
    "INC-5,VPN drops every hour,Open,30/05/2024 09:00,,P3,Net,VPN\n"
)


def test_similar_incidents_on_one_service_within_the_window_are_a_candidate(org, manager, tmp_path):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))

    with org_scope(org):
        (candidate,) = problem_candidates()

    assert (candidate.affects, candidate.what) == ("service", "VPN")
    assert [r.source_id for r in candidate.incidents] == ["INC-1", "INC-2", "INC-3"]


def test_one_click_raises_a_problem_linked_to_the_incidents(
    org, manager, manager_client, viewer_client, tmp_path
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    with org_scope(org):
        ids = list(
            Record.objects.filter(source_id__in=["INC-1", "INC-2", "INC-3"]).values_list(
                "pk", flat=True
            )
        )
    url = f"/o/{org.slug}/operations/recurring/"
    assert b"Raise a problem" in manager_client.get(url).content

    denied = viewer_client.post(url, {"incident": ids, "title": "VPN drops"})
    assert denied.status_code == 403
    response = manager_client.post(url, {"incident": ids, "title": "VPN drops"})

    with org_scope(org):
        problem = Record.objects.get(kind="problem")
        linked = set(
            Record.objects.filter(problem_ref=problem.source_id).values_list("source_id", flat=True)
        )
        assert problem_candidates() == []
        # The problem counts in this month's problem KPIs at once, without another import.
        from openitsms.operations.kpis import monthly_kpis

        latest = monthly_kpis(kind="problem")[-1]
        assert (latest.month, latest.opened) == (problem.opened_at.date().replace(day=1), 1)
    assert response["Location"] == problem.get_absolute_url()
    assert (problem.source, problem.title, problem.status) == ("openitsms", "VPN drops", "new")
    assert linked == {"INC-1", "INC-2", "INC-3"}
    assert (
        AuditEvent.objects.filter(
            object_type="operations.record", action="update", changes__has_key="problem_ref"
        ).count()
        == 3
    )

    # A re-import of the same export keeps the links.
    again = import_csv(org, manager, write(tmp_path, HEADER + ROWS, "again.csv"))
    assert again.unchanged == 5
    with org_scope(org):
        assert Record.objects.filter(problem_ref=problem.source_id).count() == 3


def test_the_api_lists_candidates_and_raises_a_problem(
    org, manager, viewer, other_org, api, token_for, tmp_path
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    import_csv(other_org, manager, write(tmp_path, HEADER + ROWS, "theirs.csv"))
    with org_scope(other_org):
        theirs = list(Record.objects.values_list("pk", flat=True))
    base = f"/api/v1/orgs/{org.slug}"

    (candidate,) = api("get", f"{base}/problem-candidates", token_for(viewer)).json()
    assert (candidate["affects"], candidate["what"]) == ("service", "VPN")
    ids = [incident["id"] for incident in candidate["incidents"]]
    assert [incident["source_id"] for incident in candidate["incidents"]] == [
        "INC-1",
        "INC-2",
        "INC-3",
    ]

    body = {"title": "VPN drops", "incident_ids": ids}
    assert api("post", f"{base}/problems", token_for(viewer), body).status_code == 403
    untitled = api("post", f"{base}/problems", token_for(manager), {**body, "title": " "})
    assert untitled.status_code == 422 and "title" in untitled.content.decode()
    # Another organisation's incidents are not ours to link: refused, nothing raised.
    foreign = api("post", f"{base}/problems", token_for(manager), {**body, "incident_ids": theirs})
    assert foreign.status_code == 422

    raised = api("post", f"{base}/problems", token_for(manager), body)

    assert raised.status_code == 201, raised.content
    problem = raised.json()
    assert (problem["kind"], problem["title"], problem["source"]) == (
        "problem",
        "VPN drops",
        "openitsms",
    )
    with org_scope(org):
        linked = Record.objects.filter(problem_ref=problem["source_id"]).values_list(
            "pk", flat=True
        )
        assert sorted(linked) == sorted(ids)
        assert Record.objects.filter(kind="problem").count() == 1
    with org_scope(other_org):
        assert not Record.objects.filter(kind="problem").exists()
        assert not Record.objects.exclude(problem_ref="").exists()
    assert api("get", f"{base}/problem-candidates", token_for(viewer)).json() == []


def test_raising_without_a_title_says_why_on_the_page(org, manager, manager_client, tmp_path):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    with org_scope(org):
        ids = list(Record.objects.values_list("pk", flat=True))

    response = manager_client.post(
        f"/o/{org.slug}/operations/recurring/", {"incident": ids, "title": "  "}
    )

    assert response.status_code == 400
    assert "The problem was not raised: Give the problem a title." in response.content.decode()
    with org_scope(org):
        assert not Record.objects.filter(kind="problem").exists()
