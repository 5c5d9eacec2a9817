"""Pages of the audit programme, audits, findings and the certification cycle."""

import re
from datetime import date, timedelta

import pytest

from openitsms.audits import actions
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    ChecklistItem,
    ExternalAudit,
    ExternalFinding,
    Finding,
    PreparationItem,
)
from openitsms.catalogue.tree import org_today
from openitsms.improvement.models import Improvement, Nonconformity
from tests.conftest import _client_for
from tests.improvement import factories as f

NW = "/o/northwind"


def field_error(html: str, field: str) -> str:
    """The error text shown next to ``field`` (empty when there is none)."""
    match = re.search(
        rf'<div class="field has-error">\s*<label for="id_{field}".*?</div>', html, re.S
    )
    return match.group(0) if match else ""


@pytest.fixture
def programme(org, manager):
    today = org_today(org)
    return actions.save_programme(
        programme=AuditProgramme(
            title="Programme 2024–2027",
            starts_on=today - timedelta(days=700),
            ends_on=today + timedelta(days=395),
        ),
        organisation=org,
    )


@pytest.fixture
def change(org, process_owner):
    p = f.process(org, "Change management", owner=process_owner)
    p.clauses.set([f.clause("8.5.1.1"), f.clause("8.5.1.2"), f.clause("8.5.1.3")])
    return p


@pytest.fixture
def audit(programme, auditor, change):
    today = org_today(programme.organisation)
    return actions.create_audit(
        programme=programme,
        fields={"title": "Change", "lead_auditor": auditor, "starts_on": today, "ends_on": today},
        processes=[change],
    )


def _plan_form(programme, lead, **extra):
    today = org_today(programme.organisation)
    data = {
        "title": "Change audit",
        "criteria": "ISO/IEC 20000-1:2018",
        "lead_auditor": lead.pk,
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
    }
    data.update(extra)
    return data


def test_a_manager_plans_an_audit_and_gets_its_checklist(
    manager_client, programme, auditor, change
):
    response = manager_client.post(
        f"{NW}/audits/new/?programme={programme.pk}",
        _plan_form(programme, auditor, processes=[change.pk], clauses=[f.clause("9.2").pk]),
    )
    audit = Audit.all_orgs.get()
    assert response.status_code == 302 and response.url == audit.get_absolute_url()
    assert audit.items.count() == 4 and audit.lead_auditor == auditor


def test_an_auditor_assigned_to_their_own_process_is_refused_on_the_field(
    manager_client, programme, process_owner, change
):
    response = manager_client.post(
        f"{NW}/audits/new/?programme={programme.pk}",
        _plan_form(programme, process_owner, processes=[change.pk]),
    )
    html = response.content.decode()
    assert response.status_code == 200
    error = field_error(html, "lead_auditor")
    assert "owns the process “Change management”" in error
    assert "may not audit their own process" in error
    assert Audit.all_orgs.count() == 0


def test_an_audit_ending_before_it_starts_is_refused_on_the_field(
    manager_client, programme, auditor, change
):
    today = org_today(programme.organisation)
    response = manager_client.post(
        f"{NW}/audits/new/?programme={programme.pk}",
        _plan_form(
            programme,
            auditor,
            processes=[change.pk],
            ends_on=(today - timedelta(days=1)).isoformat(),
        ),
    )
    assert "The last day cannot be before the first day." in field_error(
        response.content.decode(), "ends_on"
    )
    assert Audit.all_orgs.count() == 0


def test_an_auditor_cannot_plan_audits(auditor_client, programme, auditor, change):
    response = auditor_client.post(
        f"{NW}/audits/new/?programme={programme.pk}", _plan_form(programme, auditor)
    )
    assert response.status_code == 403
    assert Audit.all_orgs.count() == 0


def test_the_lead_auditor_records_a_major_result_and_a_nonconformity_opens(auditor, audit):
    item = audit.items.get(requirement__number="8.5.1.3")
    response = _client_for(auditor).post(
        f"{NW}/audits/checklist-items/{item.pk}/",
        {"result": "major_nc", "notes": "No post-implementation reviews."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    finding = Finding.all_orgs.get()
    assert finding.grade == "major_nc" and finding.nonconformity.severity == "major"
    assert "nonconformity opened" in response.content.decode()
    assert ChecklistItem.all_orgs.get(pk=item.pk).result == "major_nc"


def test_a_finding_result_without_notes_is_refused_in_the_row(auditor, audit):
    item = audit.items.first()
    response = _client_for(auditor).post(
        f"{NW}/audits/checklist-items/{item.pk}/", {"result": "minor_nc"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Describe what you found" in response.content.decode()
    assert Finding.all_orgs.count() == 0


def test_an_auditor_not_on_the_audit_cannot_record_results(org, audit, make_user):
    from openitsms.tenancy.models import Membership

    other = make_user("olga")
    Membership.objects.create(user=other, organisation=org, role="auditor")
    item = audit.items.first()
    response = _client_for(other).post(
        f"{NW}/audits/checklist-items/{item.pk}/", {"result": "conforms", "notes": "x"}
    )
    assert response.status_code == 403
    assert ChecklistItem.all_orgs.get(pk=item.pk).result == "not_checked"


def test_viewers_and_outsiders_cannot_record_results(viewer_client, outsider_client, audit):
    item = audit.items.first()
    url = f"{NW}/audits/checklist-items/{item.pk}/"
    assert viewer_client.post(url, {"result": "conforms"}).status_code == 403
    assert outsider_client.post(url, {"result": "conforms"}).status_code == 404
    assert ChecklistItem.all_orgs.get(pk=item.pk).result == "not_checked"


def test_an_ofi_is_sent_to_the_improvement_register_from_its_page(auditor, audit, change):
    client = _client_for(auditor)
    response = client.post(
        f"{NW}/audits/{audit.pk}/findings/new/",
        {
            "grade": "ofi",
            "title": "Automate the change calendar",
            "description": "Kept by hand.",
            "process": change.pk,
        },
    )
    finding = Finding.all_orgs.get()
    assert response.status_code == 302 and finding.nonconformity is None
    response = client.post(f"{NW}/audits/findings/{finding.pk}/to-improvement/")
    improvement = Improvement.all_orgs.get()
    assert response.status_code == 302 and response.url == improvement.get_absolute_url()
    assert Finding.all_orgs.get().improvement == improvement


def test_completing_the_audit_issues_its_report(auditor, audit):
    client = _client_for(auditor)
    for item in audit.items.all():
        actions.record_item_result(item=item, by=auditor, result="conforms", notes="ok")
    response = client.post(
        f"{NW}/audits/{audit.pk}/complete/", {"conclusion": "Change management conforms."}
    )
    assert response.status_code == 302 and response.url.endswith("/report/")
    assert Audit.all_orgs.get().status == "completed"
    report = client.get(response.url).content.decode()
    assert "Internal audit report" in report and "Change management conforms." in report


def test_completing_without_a_conclusion_is_refused(auditor, audit):
    response = _client_for(auditor).post(
        f"{NW}/audits/{audit.pk}/complete/", {"conclusion": ""}, follow=True
    )
    assert "Write the auditors" in response.content.decode()
    assert Audit.all_orgs.get().status == "planned"


def test_the_coverage_matrix_shows_the_gap(owner_client, programme, audit, org):
    body = owner_client.get(f"{NW}/audits/programmes/{programme.pk}/coverage/").content.decode()
    row = re.search(r'<tr class="depth-1 row-gap" data-clause="4.1">.*?</tr>', body, re.S)
    assert row and "Not covered in this cycle" in row.group(0)
    planned = re.search(r'data-clause="8.5.1.3">.*?</tr>', body, re.S)
    assert planned and "Planned, not yet audited" in planned.group(0)
    assert "not covered yet" in body


def test_the_audit_pages_take_a_fixed_number_of_queries(
    owner_client, programme, auditor, change, org, django_assert_max_num_queries
):
    today = org_today(org)
    for n in range(8):
        audit = actions.create_audit(
            programme=programme,
            fields={
                "title": f"Audit {n}",
                "lead_auditor": auditor,
                "starts_on": today,
                "ends_on": today,
            },
            processes=[change],
            clauses=[f.clause("9.2")],
        )
        actions.record_finding(
            audit=audit, by=auditor, grade="minor_nc", title="t", description="d"
        )
    with django_assert_max_num_queries(24):
        assert owner_client.get(f"{NW}/audits/").status_code == 200
    with django_assert_max_num_queries(7):
        assert owner_client.get(f"{NW}/audits/findings/").status_code == 200
    with django_assert_max_num_queries(16):
        assert (
            owner_client.get(f"{NW}/audits/programmes/{programme.pk}/coverage/").status_code == 200
        )
    with django_assert_max_num_queries(20):
        assert owner_client.get(f"{NW}/audits/{audit.pk}/checklist/").status_code == 200


# ------------------------------------------------------------------ the certification cycle


def _cycle_form(**extra):
    data = {
        "certification_body": "Example Certification Ltd",
        "certificate_number": "ITSM-7",
        "scope": "Service desk",
        "decision_on": "2024-02-29",
        "plan_days": 30,
        "close_days": 90,
        "lead_months": 3,
    }
    data.update(extra)
    return data


def test_a_certificate_plans_its_audits_from_the_page(manager_client):
    response = manager_client.post(f"{NW}/certification/new/", _cycle_form())
    cycle = CertificationCycle.all_orgs.get()
    assert response.status_code == 302
    assert cycle.expires_on == date(2027, 2, 28)
    s1 = cycle.audits.get(kind="surveillance1")
    assert s1.window_closes == date(2025, 2, 28)
    page = manager_client.get(response.url).content.decode()
    assert "no later than 12 months after the certification decision" in page


def test_a_decision_after_expiry_is_refused_on_the_field(manager_client):
    response = manager_client.post(f"{NW}/certification/new/", _cycle_form(expires_on="2024-01-31"))
    assert "The certificate must expire after the decision date." in field_error(
        response.content.decode(), "expires_on"
    )
    assert CertificationCycle.all_orgs.count() == 0


def test_a_viewer_cannot_add_a_certificate(viewer_client):
    assert viewer_client.post(f"{NW}/certification/new/", _cycle_form()).status_code == 403
    assert CertificationCycle.all_orgs.count() == 0


def test_a_window_edited_on_the_page_is_kept(manager_client, org):
    cycle = actions.save_cycle(
        cycle=CertificationCycle(certification_body="CB", scope="s", decision_on=date(2024, 3, 15)),
        organisation=org,
    )
    s1 = cycle.audits.get(kind="surveillance1")
    response = manager_client.post(
        f"{NW}/certification/audits/{s1.pk}/edit/",
        {"status": "planned", "window_opens": "2025-01-01", "window_closes": "2025-03-31"},
    )
    assert response.status_code == 302
    s1.refresh_from_db()
    assert s1.window_edited and s1.window_closes == date(2025, 3, 31)


def test_an_external_finding_gets_its_deadlines_and_countdown(manager_client, org):
    cycle = actions.save_cycle(
        cycle=CertificationCycle(
            certification_body="CB", scope="s", decision_on=org_today(org) - timedelta(days=300)
        ),
        organisation=org,
    )
    s1 = cycle.audits.get(kind="surveillance1")
    raised = org_today(org) - timedelta(days=10)
    response = manager_client.post(
        f"{NW}/certification/audits/{s1.pk}/findings/new/",
        {
            "grade": "minor_nc",
            "cb_reference": "NC-3",
            "description": "Capacity plan outdated",
            "raised_on": raised.isoformat(),
        },
    )
    finding = ExternalFinding.all_orgs.get()
    assert response.status_code == 302
    assert finding.plan_due_on == raised + timedelta(days=30)
    assert finding.nonconformity.source == "external_audit"
    page = manager_client.get(response.url).content.decode()
    assert "20 days left" in page and "80 days left" in page


def test_the_preparation_checklist_covers_every_surveillance_topic(manager_client, org, manager):
    cycle = actions.save_cycle(
        cycle=CertificationCycle(certification_body="CB", scope="s", decision_on=date(2024, 3, 1)),
        organisation=org,
    )
    s2 = cycle.audits.get(kind="surveillance2")
    page = manager_client.get(f"{NW}/certification/audits/{s2.pk}/preparation/").content.decode()
    for topic in ("Internal audits and management review", "Complaints", "Use of the certificate"):
        assert topic in page
    item = PreparationItem.all_orgs.filter(external_audit=s2).first()
    response = manager_client.post(
        f"{NW}/certification/preparation-items/{item.pk}/",
        {
            f"prep-{item.pk}-status": "ready",
            f"prep-{item.pk}-owner": manager.pk,
            f"prep-{item.pk}-notes": "Folder S2",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.owner, item.notes) == ("ready", manager, "Folder S2")


def test_outsiders_get_404_on_certification_pages(outsider_client, org):
    cycle = actions.save_cycle(
        cycle=CertificationCycle(certification_body="CB", scope="s", decision_on=date(2024, 3, 1)),
        organisation=org,
    )
    audit = ExternalAudit.all_orgs.filter(cycle=cycle).first()
    for url in (
        f"{NW}/certification/",
        f"{NW}/certification/{cycle.pk}/",
        f"{NW}/certification/audits/{audit.pk}/",
    ):
        assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(f"{NW}/certification/{cycle.pk}/recompute/").status_code == 404
    assert Nonconformity.all_orgs.count() == 0


def test_a_follow_up_action_links_back_to_its_finding(manager_client, auditor, audit, manager):
    finding = actions.record_finding(
        audit=audit, by=auditor, grade="observation", title="CAB minutes thin", description="d"
    )
    url = f"{NW}/actions/new/?source=audits.finding:{finding.pk}"
    response = manager_client.post(
        url,
        {
            "title": "Use the CAB minutes template",
            "kind": "follow_up",
            "owner": manager.pk,
            "due_on": org_today(audit.organisation).isoformat(),
            "priority": "low",
        },
    )
    assert response.status_code == 302 and response.url == finding.get_absolute_url()
    from openitsms.improvement.models import Action

    action = Action.all_orgs.get()
    assert action.raised_by == finding
    assert "Use the CAB minutes template" in manager_client.get(response.url).content.decode()


def test_a_source_of_another_organisation_answers_404(manager_client, other_org):
    from openitsms.evidence.models import EvidenceItem

    theirs = EvidenceItem(
        organisation=other_org, title="t", kind="record", effective_on=date.today()
    )
    theirs.save()
    response = manager_client.get(f"{NW}/actions/new/?source=evidence.evidenceitem:{theirs.pk}")
    assert response.status_code == 404
    assert manager_client.get(f"{NW}/actions/new/?source=auth.user:1").status_code == 404
