"""The REST API of the audit programme, audits, findings and the certification cycle."""

from datetime import date, timedelta

import pytest

from openitsms.audits import actions
from openitsms.audits.models import Audit, AuditProgramme, CertificationCycle, Finding
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement.models import Nonconformity
from tests.improvement import factories as f

API = "/api/v1/orgs/northwind"


@pytest.fixture
def programme(org):
    today = org_today(org)
    return actions.save_programme(
        programme=AuditProgramme(
            title="P", starts_on=today - timedelta(days=700), ends_on=today + timedelta(days=395)
        ),
        organisation=org,
    )


@pytest.fixture
def change(org, process_owner):
    p = f.process(org, "Change management", owner=process_owner)
    p.clauses.set([f.clause("8.5.1.1"), f.clause("8.5.1.3")])
    return p


@pytest.fixture
def audit(programme, auditor, change):
    today = org_today(programme.organisation)
    return actions.create_audit(
        programme=programme,
        fields={"title": "Change", "lead_auditor": auditor, "starts_on": today, "ends_on": today},
        processes=[change],
    )


def _audit_body(programme, lead, **extra):
    today = org_today(programme.organisation).isoformat()
    body = {
        "programme_id": programme.pk,
        "title": "Change audit",
        "lead_auditor_id": lead.pk,
        "starts_on": today,
        "ends_on": today,
    }
    body.update(extra)
    return body


def test_planning_an_audit_through_the_api(api, token_for, manager, programme, auditor, change):
    response = api(
        "post",
        f"{API}/audits",
        token_for(manager),
        _audit_body(programme, auditor, process_ids=[change.pk], clause_ids=[f.clause("9.2").pk]),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "IA-001" and body["process_ids"] == [change.pk]
    checklist = api("get", f"{API}/audits/{body['id']}/checklist", token_for(manager)).json()
    assert [i["clause_number"] for i in checklist] == ["8.5.1.1", "8.5.1.3", "9.2"]


def test_an_auditor_of_their_own_process_is_refused_with_the_field(
    api, token_for, manager, programme, process_owner, change
):
    response = api(
        "post",
        f"{API}/audits",
        token_for(manager),
        _audit_body(programme, process_owner, process_ids=[change.pk]),
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (
        error["field"] == "lead_auditor" and "may not audit their own process" in error["message"]
    )
    assert Audit.all_orgs.count() == 0


def test_dates_out_of_order_are_refused_on_the_field(api, token_for, manager, programme, auditor):
    token = token_for(manager)
    today = org_today(programme.organisation)
    response = api(
        "post",
        f"{API}/audits",
        token,
        _audit_body(
            programme,
            auditor,
            clause_ids=[f.clause("9.2").pk],
            ends_on=(today - timedelta(days=2)).isoformat(),
        ),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["ends_on"]
    response = api(
        "post",
        f"{API}/certification-cycles",
        token,
        {
            "certification_body": "CB",
            "scope": "s",
            "decision_on": "2025-03-01",
            "expires_on": "2025-02-01",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "expires_on", "message": "The certificate must expire after the decision date."}
    ]
    assert Audit.all_orgs.count() == 0 and CertificationCycle.all_orgs.count() == 0


def test_a_finding_linked_to_another_organisations_process_answers_404(
    api, token_for, auditor, audit, other_org
):
    theirs = f.process(other_org, "Their change management")
    response = api(
        "post",
        f"{API}/audits/{audit.pk}/findings",
        token_for(auditor),
        {"grade": "minor_nc", "title": "t", "description": "d", "process_id": theirs.pk},
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Finding.all_orgs.count() == 0 and Nonconformity.all_orgs.count() == 0


def test_a_finding_linked_to_a_requirement_outside_the_catalogue_answers_404(
    api, token_for, auditor, audit
):
    missing = (Requirement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    response = api(
        "post",
        f"{API}/audits/{audit.pk}/findings",
        token_for(auditor),
        {"grade": "minor_nc", "title": "t", "description": "d", "clause_id": missing},
    )
    assert response.status_code == 404
    assert Finding.all_orgs.count() == 0


def test_a_finding_linked_to_another_organisations_evidence_answers_404(
    api, token_for, auditor, audit, other_org
):
    from openitsms.evidence.models import EvidenceItem

    theirs = EvidenceItem(
        organisation=other_org, title="Theirs", kind="record", effective_on=date(2025, 1, 1)
    )
    theirs.save()
    response = api(
        "post",
        f"{API}/audits/{audit.pk}/findings",
        token_for(auditor),
        {"grade": "observation", "title": "t", "description": "d", "evidence_ids": [theirs.pk]},
    )
    assert response.status_code == 404
    assert Finding.all_orgs.count() == 0


def test_a_minor_result_through_the_api_opens_a_nonconformity(api, token_for, auditor, audit):
    item = audit.items.get(requirement__number="8.5.1.3")
    response = api(
        "patch",
        f"{API}/checklist-items/{item.pk}",
        token_for(auditor),
        {"result": "minor_nc", "notes": "Two changes not reviewed."},
    )
    assert response.status_code == 200
    finding = Finding.all_orgs.get(pk=response.json()["finding_id"])
    assert finding.nonconformity.severity == "minor"
    findings = api("get", f"{API}/findings", token_for(auditor)).json()["items"]
    assert findings[0]["nonconformity_id"] == finding.nonconformity_id


def test_an_auditor_not_on_the_audit_gets_403(api, token_for, audit, org, make_user):
    from openitsms.tenancy.models import Membership

    other = make_user("olga")
    Membership.objects.create(user=other, organisation=org, role="auditor")
    item = audit.items.first()
    response = api(
        "patch", f"{API}/checklist-items/{item.pk}", token_for(other), {"result": "conforms"}
    )
    assert response.status_code == 403


def test_a_downgrade_is_refused(api, token_for, auditor, audit):
    finding = actions.record_finding(
        audit=audit, by=auditor, grade="major_nc", title="t", description="d"
    )
    response = api("patch", f"{API}/findings/{finding.pk}", token_for(auditor), {"grade": "ofi"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "grade"
    assert Finding.all_orgs.get().grade == "major_nc"


def test_coverage_through_the_api(api, token_for, viewer, programme, audit):
    body = api("get", f"{API}/audit-programmes/{programme.pk}/coverage", token_for(viewer)).json()
    clauses = {c["number"]: c for c in body["clauses"]}
    assert clauses["8.5.1.3"]["state"] == "planned" and clauses["4.1"]["state"] == "gap"
    assert body["processes"][0]["recommended"] == 1


def test_the_cycle_through_the_api(api, token_for, manager):
    token = token_for(manager)
    response = api(
        "post",
        f"{API}/certification-cycles",
        token,
        {"certification_body": "CB", "scope": "s", "decision_on": "2024-02-29"},
    )
    assert response.status_code == 201
    cycle = response.json()
    assert cycle["expires_on"] == "2027-02-28" and cycle["years_without_audit"] == []
    audits = api("get", f"{API}/certification-cycles/{cycle['id']}/audits", token).json()
    s1 = next(a for a in audits if a["kind"] == "surveillance1")
    assert s1["window_closes"] == "2025-02-28"
    response = api(
        "post",
        f"{API}/external-audits/{s1['id']}/findings",
        token,
        {"grade": "major_nc", "description": "No continuity test", "raised_on": "2025-02-10"},
    )
    assert response.status_code == 201
    finding = response.json()
    assert (finding["plan_due_on"], finding["close_due_on"]) == ("2025-03-12", "2025-05-11")
    assert finding["next_deadline"] == "action plan" and finding["nonconformity_id"]
    prep = api("get", f"{API}/external-audits/{s1['id']}/preparation", token).json()
    assert len(prep) == 8


def test_a_viewer_reads_but_cannot_change_the_cycle(api, token_for, viewer, org):
    cycle = actions.save_cycle(
        cycle=CertificationCycle(certification_body="CB", scope="s", decision_on=date(2024, 3, 1)),
        organisation=org,
    )
    token = token_for(viewer)
    assert api("get", f"{API}/certification-cycles/{cycle.pk}", token).status_code == 200
    response = api("patch", f"{API}/certification-cycles/{cycle.pk}", token, {"scope": "x"})
    assert response.status_code == 403
    assert CertificationCycle.all_orgs.get().scope == "s"


def test_api_lists_take_a_fixed_number_of_queries(
    api, token_for, manager, programme, auditor, change, org, django_assert_max_num_queries
):
    today = org_today(org)
    cycle = actions.save_cycle(
        cycle=CertificationCycle(certification_body="CB", scope="s", decision_on=date(2024, 3, 1)),
        organisation=org,
    )
    s1 = cycle.audits.get(kind="surveillance1")
    for n in range(10):
        audit = actions.create_audit(
            programme=programme,
            fields={
                "title": f"A{n}",
                "lead_auditor": auditor,
                "starts_on": today,
                "ends_on": today,
            },
            processes=[change],
        )
        actions.record_finding(
            audit=audit, by=auditor, grade="observation", title="t", description="d"
        )
        actions.record_external_finding(
            external_audit=s1, by=manager, grade="minor_nc", description=f"NC {n}"
        )
    token = token_for(manager)
    for path in (
        "audits",
        "findings",
        "audit-programmes",
        "external-findings",
        "certification-cycles",
        f"certification-cycles/{cycle.pk}/audits",
    ):
        with django_assert_max_num_queries(9):
            response = api("get", f"{API}/{path}", token)
        assert response.status_code == 200


def test_an_action_raised_by_a_finding_through_the_api(
    api, token_for, manager, auditor, audit, org, other_org
):
    finding = actions.record_finding(
        audit=audit, by=auditor, grade="observation", title="t", description="d"
    )
    body = {"title": "Follow up", "owner_id": manager.pk, "due_on": org_today(org).isoformat()}
    response = api(
        "post",
        f"{API}/actions",
        token_for(manager),
        {**body, "source": f"audits.finding:{finding.pk}"},
    )
    assert response.status_code == 201
    assert response.json()["raised_by"] == {
        "type": "audits.finding",
        "id": finding.pk,
        "label": str(finding),
    }
    theirs = f.nonconformity(other_org, None, title="Theirs")
    response = api(
        "post",
        f"{API}/actions",
        token_for(manager),
        {**body, "source": f"improvement.nonconformity:{theirs.pk}"},
    )
    assert response.status_code == 404
