"""The REST API of the tracker, nonconformities and improvements."""

from datetime import timedelta

import pytest

from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions
from openitsms.improvement.models import (
    Action,
    EffectivenessCheck,
    Improvement,
    Nonconformity,
    NonconformityNote,
)
from tests.improvement import factories as f

API = "/api/v1/orgs/northwind"


@pytest.fixture
def nc(org, manager, process_owner):
    return f.nonconformity(org, manager, owner=process_owner)


def _evidence(org, title="Policy"):
    from openitsms.evidence.models import EvidenceItem

    item = EvidenceItem(organisation=org, title=title, kind="document", effective_on=org_today(org))
    item.save()
    return item


def test_a_manager_adds_a_corrective_action(api, token_for, manager, process_owner, nc, org):
    evidence = _evidence(org)
    due = (org_today(org) + timedelta(days=5)).isoformat()
    response = api(
        "post",
        f"{API}/actions",
        token_for(manager),
        {
            "title": "Add an emergency CAB",
            "owner_id": process_owner.pk,
            "due_on": due,
            "kind": "corrective",
            "nonconformity_id": nc.pk,
            "evidence_ids": [evidence.pk],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["reference"] == "A-0001" and body["raised_by"]["type"] == "improvement.nonconformity"
    )
    action = Action.all_orgs.get()
    assert action.nonconformity == nc and list(action.evidence.all()) == [evidence]


def test_a_viewer_cannot_add_actions(api, token_for, viewer, process_owner, org):
    response = api(
        "post",
        f"{API}/actions",
        token_for(viewer),
        {"title": "x", "owner_id": process_owner.pk, "due_on": org_today(org).isoformat()},
    )
    assert response.status_code == 403
    assert Action.all_orgs.count() == 0


def test_ids_of_another_organisation_answer_404(
    api, token_for, manager, outsider, other_org, org, process_owner
):
    theirs = _evidence(other_org, "Their policy")
    base = {"title": "x", "due_on": org_today(org).isoformat()}
    token = token_for(manager)
    assert (
        api("post", f"{API}/actions", token, {**base, "owner_id": outsider.pk}).status_code == 404
    )
    response = api(
        "post",
        f"{API}/actions",
        token,
        {**base, "owner_id": process_owner.pk, "evidence_ids": [theirs.pk]},
    )
    assert response.status_code == 404
    their_process = f.process(other_org, "Their process")
    response = api(
        "post",
        f"{API}/nonconformities",
        token,
        {"title": "t", "description": "d", "source": "complaint", "process_id": their_process.pk},
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Action.all_orgs.count() == 0 and Nonconformity.all_orgs.count() == 0


def test_the_owner_records_progress_but_not_the_due_date(
    api, token_for, org, manager, process_owner
):
    action = actions.create_action(
        organisation=org, by=manager, title="t", owner=process_owner, due_on=org_today(org)
    )
    token = token_for(process_owner)
    response = api("patch", f"{API}/actions/{action.pk}", token, {"status": "in_progress"})
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    response = api(
        "patch",
        f"{API}/actions/{action.pk}",
        token,
        {"due_on": (org_today(org) + timedelta(days=60)).isoformat()},
    )
    assert response.status_code == 403
    assert Action.all_orgs.get().due_on == org_today(org)


def test_my_actions_and_overdue_filters(api, token_for, org, manager, process_owner):
    today = org_today(org)
    late = actions.create_action(
        organisation=org,
        by=manager,
        title="late",
        owner=process_owner,
        due_on=today - timedelta(days=1),
    )
    actions.create_action(organisation=org, by=manager, title="mine", owner=manager, due_on=today)
    token = token_for(process_owner)
    mine = api("get", f"{API}/actions?mine=true", token).json()["items"]
    assert [a["id"] for a in mine] == [late.pk]
    overdue = api("get", f"{API}/actions?overdue=true", token).json()["items"]
    assert [a["id"] for a in overdue] == [late.pk] and overdue[0]["overdue"] is True


def test_closing_without_root_cause_or_check_answers_422_with_every_reason(
    api, token_for, manager, nc
):
    response = api("post", f"{API}/nonconformities/{nc.pk}/close", token_for(manager), {})
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"]]
    assert "Record the root cause." in messages
    assert any("effectiveness check that passed" in m for m in messages)
    assert Nonconformity.all_orgs.get().status == "open"
    assert NonconformityNote.all_orgs.filter(kind="closure_refused").exists()


def test_the_whole_chain_through_the_api(api, token_for, manager, auditor, process_owner, nc, org):
    token = token_for(manager)
    response = api(
        "patch",
        f"{API}/nonconformities/{nc.pk}",
        token_for(process_owner),
        {"whys": ["a", "b"], "root_cause": "No emergency CAB.", "cause_category": "process"},
    )
    assert response.status_code == 200 and response.json()["stage"] == "action"
    action = api(
        "post",
        f"{API}/actions",
        token,
        {
            "title": "E-CAB",
            "owner_id": process_owner.pk,
            "due_on": org_today(org).isoformat(),
            "kind": "corrective",
            "nonconformity_id": nc.pk,
        },
    ).json()
    api("patch", f"{API}/actions/{action['id']}", token_for(process_owner), {"status": "done"})
    closure = api("get", f"{API}/nonconformities/{nc.pk}/closure", token).json()
    assert closure == {
        "can_close": False,
        "problems": ["Record an effectiveness check that passed (none is recorded yet)."],
    }
    check = api(
        "post",
        f"{API}/nonconformities/{nc.pk}/checks",
        token,
        {"planned_on": org_today(org).isoformat(), "checker_id": auditor.pk, "method": "Sample"},
    ).json()
    response = api(
        "post",
        f"{API}/effectiveness-checks/{check['id']}/result",
        token_for(auditor),
        {"result": "passed", "notes": "ok"},
    )
    assert response.status_code == 200 and response.json()["result"] == "passed"
    response = api("post", f"{API}/nonconformities/{nc.pk}/close", token, {"note": "Done"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    timeline = api("get", f"{API}/nonconformities/{nc.pk}/notes", token).json()
    assert [n["kind"] for n in timeline] == ["raised", "check", "closed"]


def test_a_failed_check_through_the_api_reopens(api, token_for, manager, auditor, nc, org):
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(org), checker=auditor, method="x"
    )
    response = api(
        "post",
        f"{API}/effectiveness-checks/{check.pk}/result",
        token_for(auditor),
        {"result": "failed"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "notes"
    response = api(
        "post",
        f"{API}/effectiveness-checks/{check.pk}/result",
        token_for(auditor),
        {"result": "failed", "notes": "Repeats"},
    )
    assert response.status_code == 200
    assert Nonconformity.all_orgs.get().reopened_count == 1
    assert EffectivenessCheck.all_orgs.get().result == "failed"


def test_similar_nonconformities_through_the_api(api, token_for, manager, org):
    f.nonconformity(org, manager, title="Backup restore test not performed")
    response = api(
        "get",
        f"{API}/similar-nonconformities?title=backup+restore+tests+missed",
        token_for(manager),
    )
    assert [m["title"] for m in response.json()] == ["Backup restore test not performed"]


def test_the_improvement_register_through_the_api(api, token_for, manager, process_owner):
    response = api(
        "post",
        f"{API}/improvements",
        token_for(process_owner),
        {"title": "Chat", "description": "Chat channel", "source": "customer"},
    )
    assert response.status_code == 201
    improvement_id = response.json()["id"]
    token = token_for(manager)
    response = api(
        "patch", f"{API}/improvements/{improvement_id}", token, {"benefit": 3, "cost": 3, "risk": 3}
    )
    assert response.json()["score"] == 50
    target = api(
        "post",
        f"{API}/improvements/{improvement_id}/targets",
        token,
        {"area": "value", "description": "CSAT", "target": 4.5},
    )
    assert target.status_code == 201
    response = api(
        "post", f"{API}/improvements/{improvement_id}/decision", token, {"decision": "approve"}
    )
    assert response.json()["status"] == "approved"
    assert Improvement.all_orgs.get().decided_by == manager


def test_a_proposer_cannot_evaluate_their_own_proposal(api, token_for, process_owner):
    response = api(
        "post",
        f"{API}/improvements",
        token_for(process_owner),
        {"title": "t", "description": "d", "source": "staff", "benefit": 5},
    )
    assert response.status_code == 403
    assert Improvement.all_orgs.count() == 0


def test_outsiders_get_404(api, token_for, outsider, nc):
    token = token_for(outsider)
    assert api("get", f"{API}/nonconformities/{nc.pk}", token).status_code == 404
    assert api("post", f"{API}/nonconformities/{nc.pk}/close", token, {}).status_code == 404
    assert Nonconformity.all_orgs.get().status == "open"


def test_api_lists_take_a_fixed_number_of_queries(
    api, token_for, org, manager, process_owner, django_assert_max_num_queries
):
    token = token_for(manager)
    for n in range(20):
        nc = f.nonconformity(org, manager, title=f"NC {n}")
        f.corrective_action(nc, manager, process_owner)
        actions.create_improvement(
            organisation=org,
            by=manager,
            fields={"title": f"I {n}", "description": "d", "source": "staff"},
        )
    for path in ("actions", "nonconformities", "improvements"):
        with django_assert_max_num_queries(9):
            response = api("get", f"{API}/{path}", token)
        assert response.json()["count"] == 20
