"""Internal audits, findings, coverage and the certification cycle, through the actions."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from openitsms.audits import actions
from openitsms.audits.choices import CoverageState
from openitsms.audits.coverage import programme_coverage
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    ExternalAudit,
    Finding,
)
from openitsms.catalogue.tree import org_today
from openitsms.improvement.models import Improvement, Nonconformity
from tests.improvement import factories as f


@pytest.fixture
def programme(org, manager):
    today = org_today(org)
    return actions.save_programme(
        programme=AuditProgramme(
            title="Internal audit programme 2024–2027",
            starts_on=today - timedelta(days=730),
            ends_on=today + timedelta(days=365),
            owner=manager,
        ),
        organisation=org,
    )


@pytest.fixture
def change_process(org, process_owner):
    p = f.process(org, "Change management", owner=process_owner)
    p.clauses.set([f.clause("8.5.1.1"), f.clause("8.5.1.2"), f.clause("8.5.1.3")])
    return p


def _plan(programme, auditor, **extra):
    today = org_today(programme.organisation)
    fields = {
        "title": extra.pop("title", "Change and release"),
        "lead_auditor": auditor,
        "starts_on": extra.pop("starts_on", today),
        "ends_on": extra.pop("ends_on", today + timedelta(days=1)),
    }
    return actions.create_audit(programme=programme, fields=fields, **extra)


def test_planning_an_audit_generates_its_checklist_from_the_catalogue(
    programme, auditor, change_process
):
    audit = _plan(programme, auditor, clauses=[f.clause("9.2")], processes=[change_process])
    items = list(audit.items.select_related("requirement", "process"))
    numbers = [(i.requirement.number, i.process_id) for i in items]
    assert numbers == [
        ("8.5.1.1", change_process.pk),
        ("8.5.1.2", change_process.pk),
        ("8.5.1.3", change_process.pk),
        ("9.2", None),
    ]
    assert all(i.result == "not_checked" and i.prompt for i in items)
    assert audit.reference == "IA-001"


def test_a_heading_brings_its_sub_clauses(programme, auditor):
    audit = _plan(programme, auditor, clauses=[f.clause("8.6")])
    assert sorted(audit.items.values_list("requirement__number", flat=True)) == [
        "8.6.1",
        "8.6.2",
        "8.6.3",
    ]


def test_an_auditor_may_not_audit_a_process_they_own(programme, process_owner, change_process):
    with pytest.raises(ValidationError) as exc:
        _plan(programme, process_owner, processes=[change_process])
    message = exc.value.message_dict["lead_auditor"][0]
    assert "owns the process “Change management”" in message
    assert "may not audit their own process" in message
    assert Audit.all_orgs.count() == 0


def test_independence_covers_clauses_the_owned_process_meets_and_the_team(
    programme, auditor, process_owner, change_process
):
    with pytest.raises(ValidationError) as exc:
        _plan(programme, auditor, clauses=[f.clause("8.5")], team=[process_owner])
    assert "meets clause 8.5.1.1" in exc.value.message_dict["team"][0]


def test_a_deputy_is_not_independent_either(org, programme, auditor, manager):
    p = f.process(org, "Incident management", owner=manager, deputy=auditor)
    with pytest.raises(ValidationError) as exc:
        _plan(programme, auditor, processes=[p])
    assert "is deputy owner of" in exc.value.message_dict["lead_auditor"][0]


def test_an_audit_ending_before_it_starts_is_refused_on_the_field(programme, auditor):
    today = org_today(programme.organisation)
    with pytest.raises(ValidationError) as exc:
        _plan(programme, auditor, clauses=[f.clause("9.2")], ends_on=today - timedelta(days=1))
    assert "ends_on" in exc.value.message_dict


def test_an_audit_needs_a_scope(programme, auditor):
    with pytest.raises(ValidationError) as exc:
        _plan(programme, auditor)
    assert "clauses" in exc.value.message_dict


def test_changing_the_scope_keeps_checked_items(programme, auditor, change_process):
    audit = _plan(programme, auditor, clauses=[f.clause("9.2"), f.clause("9.3")])
    item = audit.items.get(requirement__number="9.2")
    actions.record_item_result(item=item, by=auditor, result="conforms", notes="Programme seen.")
    actions.update_audit(audit=audit, changes={}, clauses=[f.clause("9.4")])
    assert sorted(audit.items.values_list("requirement__number", flat=True)) == ["9.2", "9.4"]


def test_a_major_result_records_a_finding_and_opens_a_nonconformity(
    programme, auditor, process_owner, change_process
):
    audit = _plan(programme, auditor, processes=[change_process])
    item = audit.items.get(requirement__number="8.5.1.3")
    actions.record_item_result(
        item=item, by=auditor, result="major_nc", notes="No change was reviewed after deployment."
    )
    finding = Finding.all_orgs.get(checklist_item=item)
    assert finding.grade == "major_nc" and finding.process == change_process
    nc = finding.nonconformity
    assert nc is not None
    assert (nc.source, nc.severity, nc.clause.number) == ("internal_audit", "major", "8.5.1.3")
    assert nc.owner == process_owner  # the process owner leads the corrective action
    assert nc.due_on == finding.recorded_on + timedelta(days=30)
    assert "IA-001" in nc.source_reference and finding.reference in nc.source_reference
    assert nc.notes.get().kind == "raised"
    audit.refresh_from_db()
    assert audit.status == "in_progress"


def test_a_finding_result_needs_a_description(programme, auditor, change_process):
    audit = _plan(programme, auditor, processes=[change_process])
    item = audit.items.first()
    with pytest.raises(ValidationError) as exc:
        actions.record_item_result(item=item, by=auditor, result="minor_nc")
    assert "notes" in exc.value.message_dict
    assert Finding.all_orgs.count() == 0


def test_a_nonconformity_is_never_downgraded(programme, auditor, change_process):
    audit = _plan(programme, auditor, processes=[change_process])
    finding = actions.record_finding(
        audit=audit, by=auditor, grade="minor_nc", title="Late CAB", description="CAB late."
    )
    with pytest.raises(ValidationError) as exc:
        actions.update_finding(finding=finding, by=auditor, changes={"grade": "ofi"})
    assert "never downgraded" in exc.value.message_dict["grade"][0]
    actions.update_finding(finding=finding, by=auditor, changes={"grade": "major_nc"})
    assert Nonconformity.all_orgs.get(pk=finding.nonconformity_id).severity == "major"


def test_raising_an_observation_to_a_nonconformity_opens_one(programme, auditor, change_process):
    audit = _plan(programme, auditor, processes=[change_process])
    finding = actions.record_finding(
        audit=audit, by=auditor, grade="observation", title="CAB minutes thin", description="x"
    )
    assert finding.nonconformity is None
    actions.update_finding(finding=finding, by=auditor, changes={"grade": "minor_nc"})
    assert finding.nonconformity is not None


def test_an_opportunity_goes_to_the_improvement_register_once(programme, auditor, change_process):
    audit = _plan(programme, auditor, processes=[change_process])
    finding = actions.record_finding(
        audit=audit,
        by=auditor,
        grade="ofi",
        title="Automate change calendar",
        description="The change calendar is kept by hand.",
        process=change_process,
    )
    assert finding.nonconformity is None
    improvement = actions.send_to_improvement(finding=finding, by=auditor)
    assert improvement.source == "internal_audit"
    assert improvement.process == change_process
    assert finding.reference in improvement.source_reference
    with pytest.raises(ValidationError, match="already in the register"):
        actions.send_to_improvement(finding=finding, by=auditor)
    assert Improvement.all_orgs.count() == 1


def test_only_an_opportunity_goes_to_the_register(programme, auditor, change_process):
    audit = _plan(programme, auditor, processes=[change_process])
    finding = actions.record_finding(
        audit=audit, by=auditor, grade="observation", title="t", description="d"
    )
    with pytest.raises(ValidationError):
        actions.send_to_improvement(finding=finding, by=auditor)


def test_a_finding_cannot_link_another_organisations_process(
    programme, auditor, change_process, other_org
):
    audit = _plan(programme, auditor, processes=[change_process])
    theirs = f.process(other_org, "Their process")
    with pytest.raises(ValidationError) as exc:
        actions.record_finding(
            audit=audit, by=auditor, grade="minor_nc", title="t", description="d", process=theirs
        )
    assert "process" in exc.value.message_dict
    assert Nonconformity.all_orgs.count() == 0


def test_completing_needs_a_conclusion_and_locks_the_audit(programme, auditor, change_process):
    audit = _plan(programme, auditor, processes=[change_process])
    with pytest.raises(ValidationError) as exc:
        actions.complete_audit(audit=audit)
    assert len(exc.value.messages) == 2
    item = audit.items.first()
    actions.record_item_result(item=item, by=auditor, result="conforms", notes="Seen")
    actions.complete_audit(audit=audit, conclusion="Change management conforms.")
    audit.refresh_from_db()
    assert audit.status == "completed" and audit.completed_on == org_today(audit.organisation)
    with pytest.raises(ValidationError, match="completed"):
        actions.record_item_result(item=item, by=auditor, result="minor_nc", notes="late")


def test_coverage_shows_what_is_not_yet_audited(org, programme, auditor, change_process):
    incident = f.process(org, "Incident management")
    incident.clauses.set([f.clause("8.6.1")])
    audit = _plan(programme, auditor, processes=[change_process], clauses=[f.clause("9.2")])
    for item in audit.items.all():
        actions.record_item_result(item=item, by=auditor, result="conforms", notes="ok")
    actions.complete_audit(audit=audit, conclusion="Conforms.")
    _plan(programme, auditor, title="Incidents", processes=[incident])

    coverage = programme_coverage(programme, org_today(org))
    rows = {row.requirement.number: row for row in coverage.clauses}
    assert rows["9.2"].state == CoverageState.AUDITED
    assert rows["8.5.1"].state == CoverageState.AUDITED
    assert rows["8.5"].state == CoverageState.PARTLY  # 8.5.2 and 8.5.3 are not covered
    assert rows["8.6.1"].state == CoverageState.PLANNED
    assert rows["4.1"].state == CoverageState.GAP
    assert rows["9.2"].cells == ["audited", ""]
    processes = {row.process.name: row for row in coverage.processes}
    assert processes["Change management"].state == CoverageState.AUDITED
    assert processes["Incident management"].state == CoverageState.PLANNED
    assert coverage.elapsed in range(60, 72)


def test_previous_results_and_importance_ask_for_more_audits(
    org, programme, auditor, change_process
):
    audit = _plan(programme, auditor, processes=[change_process])
    actions.record_finding(
        audit=audit,
        by=auditor,
        grade="major_nc",
        title="t",
        description="d",
        process=change_process,
    )
    actions.set_focus(programme=programme, process=change_process, importance=3)
    row = next(
        r
        for r in programme_coverage(programme, org_today(org)).processes
        if r.process == change_process
    )
    assert (row.importance, row.previous_results, row.recommended) == (3, 2, 3)
    assert "High importance" in row.reasons and "3 times" in row.reasons


# ------------------------------------------------------------------ the certification cycle


def _cycle(org, **extra):
    values = {
        "certification_body": "Example Certification Ltd",
        "certificate_number": "ITSM-0042",
        "scope": "Managed service desk and hosting services",
        "decision_on": date(2024, 2, 29),
    }
    values.update(extra)
    return actions.save_cycle(cycle=CertificationCycle(**values), organisation=org)


def test_a_cycle_plans_its_audits_with_their_windows(org):
    cycle = _cycle(org)
    assert cycle.expires_on == date(2027, 2, 28)
    audits = {a.kind: a for a in cycle.audits.all()}
    assert set(audits) == {"surveillance1", "surveillance2", "recertification"}
    assert audits["surveillance1"].window_closes == date(2025, 2, 28)
    assert audits["recertification"].window_closes == date(2026, 11, 30)
    assert audits["surveillance1"].preparation.count() == 8
    assert actions.year_gaps(cycle) == []


def test_decision_after_expiry_is_refused_on_the_field(org):
    with pytest.raises(ValidationError) as exc:
        _cycle(org, expires_on=date(2024, 1, 1))
    assert exc.value.message_dict["expires_on"] == [
        "The certificate must expire after the decision date."
    ]
    assert CertificationCycle.all_orgs.count() == 0


def test_a_window_set_by_hand_is_kept_and_can_be_reset(org):
    cycle = _cycle(org)
    s1 = cycle.audits.get(kind="surveillance1")
    actions.save_external_audit(audit=s1, changes={"window_closes": date(2025, 3, 31)})
    actions.recompute_windows(cycle=cycle)
    s1.refresh_from_db()
    assert s1.window_edited and s1.window_closes == date(2025, 3, 31)
    actions.recompute_windows(cycle=cycle, reset=True)
    s1.refresh_from_db()
    assert not s1.window_edited and s1.window_closes == date(2025, 2, 28)


def test_holding_surveillance_one_retimes_surveillance_two(org):
    cycle = _cycle(org)
    s1 = cycle.audits.get(kind="surveillance1")
    actions.save_external_audit(
        audit=s1,
        changes={"status": "held", "starts_on": date(2025, 1, 13), "ends_on": date(2025, 1, 14)},
    )
    assert cycle.audits.get(kind="surveillance2").window_target == date(2026, 1, 14)


def test_an_audit_ending_before_it_starts_is_refused(org):
    s1 = _cycle(org).audits.get(kind="surveillance1")
    with pytest.raises(ValidationError) as exc:
        actions.save_external_audit(
            audit=s1, changes={"starts_on": date(2025, 1, 14), "ends_on": date(2025, 1, 13)}
        )
    assert "ends_on" in exc.value.message_dict


def test_a_second_stage_two_is_refused(org):
    cycle = _cycle(org, decision_on=None, certificate_number="")
    with pytest.raises(ValidationError) as exc:
        actions.save_external_audit(audit=ExternalAudit(cycle=cycle), changes={"kind": "stage2"})
    assert "kind" in exc.value.message_dict


def test_an_external_major_gets_deadlines_and_a_nonconformity(org, manager):
    cycle = _cycle(org)
    s1 = cycle.audits.get(kind="surveillance1")
    finding = actions.record_external_finding(
        external_audit=s1,
        by=manager,
        grade="major_nc",
        description="Continuity plans were not tested in the last 12 months.",
        raised_on=date(2025, 2, 10),
        cb_reference="NC-1",
    )
    assert finding.plan_due_on == date(2025, 3, 12)
    assert finding.close_due_on == date(2025, 5, 11)
    nc = finding.nonconformity
    assert (nc.source, nc.severity, nc.due_on) == ("external_audit", "major", date(2025, 5, 11))
    assert finding.next_deadline() == ("action plan", date(2025, 3, 12))


def test_an_external_finding_near_expiry_gets_shortened_deadlines(org, manager):
    cycle = _cycle(org)
    recert = cycle.audits.get(kind="recertification")
    finding = actions.record_external_finding(
        external_audit=recert,
        by=manager,
        grade="minor_nc",
        description="Supplier reviews incomplete.",
        raised_on=date(2027, 1, 20),
    )
    assert finding.close_due_on == date(2027, 2, 28)
    assert finding.deadlines_shortened
