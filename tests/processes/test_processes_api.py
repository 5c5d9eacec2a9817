"""The process register API: list, create, change, KPIs, the RACI matrix, the default register."""

from openitsms.processes.models import Process, ProcessKpi, RaciEntry
from tests.evidence.helpers import item
from tests.processes.helpers import kpi, process

BASE = "/api/v1/orgs/northwind"


def test_install_defaults_then_list_with_flags_and_constant_queries(
    api, token_for, manager, viewer, django_assert_max_num_queries
):
    response = api("post", f"{BASE}/processes/install-defaults", token_for(manager))
    assert response.status_code == 200 and len(response.json()["created"]) == 34
    again = api("post", f"{BASE}/processes/install-defaults", token_for(manager)).json()
    assert again["created"] == [] and again["existing"] == 34
    token = token_for(viewer)
    with django_assert_max_num_queries(15):
        body = api("get", f"{BASE}/processes?page_size=100", token).json()
    assert body["count"] == 34
    incident = next(p for p in body["items"] if p["slug"] == "incident-management")
    assert incident["clauses"] == ["8.6.1"] and incident["flags"] == ["no_owner"]
    assert len(incident["kpis"]) == 3 and incident["raci"]["parties"] == []
    assert [a["activity"] for a in incident["raci"]["activities"]][0] == Process.all_orgs.get(
        slug="incident-management"
    ).raci_activities[0]
    assert api("get", f"{BASE}/processes?flagged=true&kind=management", token).json()["count"] == 14


def test_viewers_cannot_install_create_or_change(api, token_for, viewer, manager, org):
    p = process(org, owner=manager)
    token = token_for(viewer)
    assert api("post", f"{BASE}/processes/install-defaults", token).status_code == 403
    assert (
        api("post", f"{BASE}/processes", token, {"name": "x", "kind": "operational"}).status_code
        == 403
    )
    assert api("patch", f"{BASE}/processes/{p.pk}", token, {"name": "y"}).status_code == 403
    assert (
        api(
            "post",
            f"{BASE}/processes/{p.pk}/kpis",
            token,
            {"name": "k", "target": 1, "direction": "higher_is_better"},
        ).status_code
        == 403
    )
    assert api("put", f"{BASE}/processes/{p.pk}/raci", token, {"activities": []}).status_code == 403
    assert Process.all_orgs.count() == 1 and not ProcessKpi.all_orgs.exists()


def test_create_and_update_a_process(api, token_for, manager, process_owner, org):
    procedure = item(org, manager, title="Incident procedure")
    process(org, "Problem management")
    token = token_for(manager)
    response = api(
        "post",
        f"{BASE}/processes",
        token,
        {
            "name": "Incident management",
            "kind": "operational",
            "purpose": "Restore service",
            "inputs": ["Calls", "Alerts"],
            "clauses": ["8.6.1"],
            "interfaces": ["problem-management"],
            "owner_id": process_owner.pk,
            "deputy_id": manager.pk,
            "procedure_id": procedure.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "incident-management" and body["owner"]["username"] == "petra"
    assert body["inputs"] == ["Calls", "Alerts"] and body["interfaces"] == ["problem-management"]
    assert body["flags"] == ["no_kpis"] and body["procedure_id"] == procedure.pk
    p = Process.all_orgs.get(pk=body["id"])
    response = api(
        "patch",
        f"{BASE}/processes/{p.pk}",
        token,
        {"clauses": ["8.6.1", "8.6.2"], "deputy_id": None},
    )
    assert response.status_code == 200
    p.refresh_from_db()
    assert p.deputy is None and p.purpose == "Restore service"
    assert list(p.clauses.values_list("number", flat=True)) == ["8.6.1", "8.6.2"]


def test_422_for_non_members_unknown_clauses_and_duplicate_slugs(
    api, token_for, manager, outsider, org
):
    token = token_for(manager)
    process(org, "Change management")
    cases = [
        ({"name": "X", "kind": "operational", "owner_id": outsider.pk}, "owner_id"),
        ({"name": "X", "kind": "operational", "clauses": ["11.1"]}, "clauses"),
        ({"name": "X", "kind": "operational", "slug": "change-management"}, "slug"),
        ({"name": "X", "kind": "operational", "review_interval_months": 0}, None),
    ]
    for payload, field in cases:
        response = api("post", f"{BASE}/processes", token, payload)
        assert response.status_code == 422, payload
        if field:
            assert response.json()["errors"][0]["field"] == field
    assert Process.all_orgs.count() == 1


def test_a_process_owner_may_patch_their_process_but_not_hand_it_over(
    api, token_for, process_owner, manager, org
):
    mine = process(org, "Mine", owner=process_owner)
    theirs = process(org, "Theirs", owner=manager)
    token = token_for(process_owner)
    assert (
        api("patch", f"{BASE}/processes/{mine.pk}", token, {"purpose": "Better"}).status_code == 200
    )
    response = api("patch", f"{BASE}/processes/{mine.pk}", token, {"owner_id": manager.pk})
    assert response.status_code == 403 and "hand a process" in response.json()["detail"]
    assert api("patch", f"{BASE}/processes/{theirs.pk}", token, {"purpose": "x"}).status_code == 403
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.purpose == "Better" and mine.owner == process_owner and theirs.purpose == ""


def test_kpi_endpoints(api, token_for, manager, org):
    p = process(org, owner=manager)
    token = token_for(manager)
    response = api(
        "post",
        f"{BASE}/processes/{p.pk}/kpis",
        token,
        {"name": "Backlog", "target": "20", "unit": "count", "direction": "lower_is_better"},
    )
    assert response.status_code == 201
    kpi_id = response.json()["id"]
    assert api("get", f"{BASE}/processes/{p.pk}/kpis", token).json()["count"] == 1
    assert (
        api("patch", f"{BASE}/kpis/{kpi_id}", token, {"target": "15.5"}).json()["target"] == "15.5"
    )
    assert (
        api("patch", f"{BASE}/kpis/{kpi_id}", token, {"direction": "sideways"}).status_code == 422
    )
    assert api("delete", f"{BASE}/kpis/{kpi_id}", token).status_code == 204
    assert not ProcessKpi.all_orgs.exists()


def test_raci_put_replaces_the_matrix_and_enforces_one_a(api, token_for, manager, org):
    p = process(org, owner=manager)
    kpi(p)
    token = token_for(manager)
    bad = {"activities": [{"activity": "Approve", "assignments": {"CAB": "R"}}]}
    response = api("put", f"{BASE}/processes/{p.pk}/raci", token, bad)
    assert response.status_code == 422 and "no accountable party" in response.json()["detail"]
    good = {
        "activities": [
            {"activity": "Approve", "assignments": {"CAB": "A", "Change manager": "R"}},
            {"activity": "Review after implementation", "assignments": {}},
        ]
    }
    response = api("put", f"{BASE}/processes/{p.pk}/raci", token, good)
    assert response.status_code == 200
    assert response.json() == {
        "parties": ["CAB", "Change manager"],
        "activities": [
            {"activity": "Approve", "assignments": {"CAB": "A", "Change manager": "R"}},
            {"activity": "Review after implementation", "assignments": {}},
        ],
    }
    assert RaciEntry.all_orgs.count() == 2
