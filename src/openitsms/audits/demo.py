"""Demo data: a certificate with its next surveillance due, and an internal audit programme two
thirds through its cycle, with audits, findings, their nonconformities and a coverage gap
(service portfolio, relationship and supply-and-demand processes are not yet audited).

Runs after ``improvement.demo``. Idempotent: records are looked up by title or kind first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from openitsms.audits import actions
from openitsms.audits.choices import ExternalAuditKind, PrepStatus
from openitsms.audits.cycle import add_months
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    Finding,
)
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions as improvement_actions
from openitsms.improvement.choices import ActionKind
from openitsms.improvement.demo import ensure_processes
from openitsms.processes.models import Process
from openitsms.tenancy.models import Organisation

BODY = "Example Certification Services Ltd"

# title, months after the decision, processes, findings (grade, process, clause, text)
AUDITS: list[tuple[str, int, list[str], list[tuple[str, str, str, str]]]] = [
    (
        "Context, leadership and planning",
        2,
        [
            "context-and-scope",
            "leadership-and-policy",
            "risk-and-opportunity-management",
            "objectives-and-planning",
        ],
        [],
    ),
    (
        "Resolution and configuration",
        8,
        [
            "incident-management",
            "service-request-management",
            "problem-management",
            "configuration-management",
            "asset-management",
            "monitoring-and-measurement",
        ],
        [
            (
                "minor_nc",
                "problem-management",
                "8.6.3",
                "Known errors are not recorded: 6 of 10 sampled problems with a workaround "
                "have no known-error record.",
            ),
        ],
    ),
    (
        "Change, release and documented information",
        14,
        [
            "change-management",
            "release-and-deployment-management",
            "documented-information-control",
        ],
        [
            (
                "major_nc",
                "change-management",
                "8.5.1.3",
                "Emergency changes are approved after deployment: 5 of 7 emergency changes "
                "sampled in March were authorised by the CAB after go-live.",
            ),
            (
                "observation",
                "documented-information-control",
                "7.5.3",
                "Two procedures on the intranet show no version or approval date.",
            ),
        ],
    ),
    (
        "Performance evaluation, improvement and support",
        19,
        [
            "internal-audit",
            "management-review",
            "service-reporting",
            "nonconformity-and-corrective-action",
            "continual-improvement",
            "service-level-management",
            "supplier-management",
            "competence-and-awareness",
            "communication",
            "knowledge-management",
        ],
        [
            (
                "ofi",
                "supplier-management",
                "8.3.4.1",
                "Supplier reviews could reuse the SLA report instead of a separate spreadsheet.",
            ),
            (
                "good_practice",
                "service-level-management",
                "8.3.3",
                "Service reviews with customers are minuted and their actions tracked.",
            ),
        ],
    ),
]
PLANNED = (
    "Service assurance",
    [
        "service-availability-management",
        "service-continuity-management",
        "information-security-management",
    ],
)


def _independent_lead(org: Organisation, people: dict[str, Any], processes: list[Process]) -> Any:
    """The first of the auditor, consultant, manager and owner who owns none of ``processes``."""
    for role in ("auditor", "consultant", "manager", "owner"):
        user = people.get(role)
        if user is None:
            continue
        problems = actions.independence_problems(
            organisation=org, lead=user, team=[], processes=processes, clauses=[]
        )
        if not problems:
            return user
    return None


def _clause(number: str) -> Requirement | None:
    return Requirement.objects.primary().filter(number=number).first()


def populate(org: Organisation, people: dict[str, Any]) -> None:
    today = org_today(org)
    processes = ensure_processes(org)
    manager = people["manager"]
    # Twenty-three months into a three-year cycle: two thirds through.
    decision = add_months(today, -23)
    cycle = _certificate(org, people, decision, today)
    programme = AuditProgramme.objects.filter(cycle=cycle).first()
    assert cycle.expires_on is not None  # the cycle has its decision, so its expiry
    if programme is None:
        programme = actions.save_programme(
            programme=AuditProgramme(
                title=f"Internal audit programme {decision.year}–{cycle.expires_on.year}",
                cycle=cycle,
                starts_on=decision,
                ends_on=cycle.expires_on,
                owner=manager,
                objectives="Audit every clause of ISO/IEC 20000-1 and every SMS process at "
                "least once in the cycle; change, incident and continuity twice.",
                approach="Process audits of one to two days by trained internal auditors who "
                "do not audit their own processes; sampling of records from the last six "
                "months; reports to the management review.",
            ),
            organisation=org,
        )
        for slug in ("change-management", "incident-management", "service-continuity-management"):
            if slug in processes:
                actions.set_focus(
                    programme=programme,
                    process=processes[slug],
                    importance=3,
                    reason="Critical to the hosting and service desk services.",
                )
    for title, month, slugs, findings in AUDITS:
        if Audit.objects.filter(programme=programme, title=title).exists():
            continue
        _held_audit(org, people, programme, processes, decision, title, month, slugs, findings)
    title, slugs = PLANNED
    if not Audit.objects.filter(programme=programme, title=title).exists():
        scope = [processes[s] for s in slugs if s in processes]
        lead = _independent_lead(org, people, scope)
        if scope and lead is not None:
            actions.create_audit(
                programme=programme,
                fields={
                    "title": title,
                    "lead_auditor": lead,
                    "starts_on": today + timedelta(days=21),
                    "ends_on": today + timedelta(days=22),
                    "scope": "Availability, continuity and information security of the hosting "
                    "service; records of the last 12 months.",
                },
                processes=scope,
            )


def _held_audit(
    org: Organisation,
    people: dict[str, Any],
    programme: AuditProgramme,
    processes: dict[str, Process],
    decision: date,
    title: str,
    month: int,
    slugs: list[str],
    findings: list[tuple[str, str, str, str]],
) -> None:
    scope = [processes[s] for s in slugs if s in processes]
    lead = _independent_lead(org, people, scope)
    if not scope or lead is None:
        return
    start = add_months(decision, month)
    audit = actions.create_audit(
        programme=programme,
        fields={
            "title": title,
            "lead_auditor": lead,
            "starts_on": start,
            "ends_on": start + timedelta(days=1),
        },
        processes=scope,
    )
    items = {
        (i.requirement.number if i.requirement else "", i.process_id): i
        for i in audit.items.select_related("requirement")
    }
    found = {}
    for grade, slug, number, text in findings:
        process = processes.get(slug)
        item = items.get((number, process.pk if process else None))
        if item is not None and grade != "good_practice":
            actions.record_item_result(
                item=item, by=lead, result=grade, notes=text, on=start + timedelta(days=1)
            )
            found[grade] = Finding.objects.get(checklist_item=item)
        else:
            found[grade] = actions.record_finding(
                audit=audit,
                by=lead,
                grade=grade,
                title=text.split(":")[0][:120],
                description=text,
                clause=_clause(number),
                process=process,
                recorded_on=start + timedelta(days=1),
            )
    for item in audit.items.all():
        if not item.is_checked:
            actions.record_item_result(
                item=item,
                by=lead,
                result="conforms",
                notes="Records sampled; conforms.",
                on=start + timedelta(days=1),
            )
    actions.complete_audit(
        audit=audit,
        conclusion="The processes audited are implemented and effective"
        + (", except for the findings below." if findings else "."),
        on=start + timedelta(days=2),
    )
    _follow_up(org, people, found, start)


def _follow_up(
    org: Organisation, people: dict[str, Any], found: dict[str, Finding], start: date
) -> None:
    """Corrective action on the nonconformities the audits opened, and the OFI's improvement."""
    manager, owner_po = people["manager"], people["process_owner"]
    today = org_today(org)
    minor = found.get("minor_nc")
    if minor is not None and minor.nonconformity is not None:
        nc = minor.nonconformity
        improvement_actions.update_nonconformity(
            nc=nc,
            changes={
                "whys": [
                    "Workarounds are kept in the problem record only.",
                    "The service desk cannot search problem records.",
                ],
                "root_cause": "There is no known-error database the service desk can search.",
                "cause_category": "technology",
            },
        )
        improvement_actions.create_action(
            organisation=org,
            by=manager,
            title="Publish known errors in the service desk knowledge base",
            owner=owner_po,
            due_on=today + timedelta(days=30),
            kind=ActionKind.CORRECTIVE,
            nonconformity=nc,
        )
        # The manager moved the target date when the tool change was planned.
        improvement_actions.update_nonconformity(
            nc=nc, changes={"due_on": today + timedelta(days=45)}
        )
    major = found.get("major_nc")
    if major is not None and major.nonconformity is not None:
        nc = major.nonconformity
        improvement_actions.update_nonconformity(
            nc=nc,
            changes={
                "containment": "All open emergency changes reviewed by the change manager.",
                "whys": [
                    "The CAB approved after go-live.",
                    "No one could approve out of hours.",
                    "The change policy defines no emergency approver.",
                ],
                "root_cause": "The change policy defines no emergency CAB or approver.",
                "cause_category": "process",
            },
        )
        action = improvement_actions.create_action(
            organisation=org,
            by=manager,
            title="Define an emergency CAB in the change policy",
            owner=manager,
            due_on=start + timedelta(days=30),
            kind=ActionKind.CORRECTIVE,
            nonconformity=nc,
        )
        improvement_actions.update_action(
            action=action,
            changes={
                "status": "done",
                "completed_on": start + timedelta(days=25),
                "completion_notes": "Change policy v3 approved with an emergency CAB.",
            },
        )
        check = improvement_actions.plan_effectiveness_check(
            nc=nc,
            by=manager,
            planned_on=start + timedelta(days=120),
            checker=people["auditor"],
            method="Sample every emergency change of the three months after the policy change.",
        )
        improvement_actions.record_effectiveness_check(
            check=check,
            by=people["auditor"],
            result="passed",
            performed_on=start + timedelta(days=121),
            notes="11 of 11 emergency changes approved by the E-CAB before deployment.",
        )
        improvement_actions.close_nonconformity(nc=nc, by=manager)
    ofi = found.get("ofi")
    if ofi is not None and ofi.improvement is None:
        actions.send_to_improvement(finding=ofi, by=manager)


def _certificate(
    org: Organisation, people: dict[str, Any], decision: date, today: date
) -> CertificationCycle:
    cycle = CertificationCycle.objects.filter(certification_body=BODY).first()
    if cycle is not None:
        return cycle
    cycle = actions.save_cycle(
        cycle=CertificationCycle(
            certification_body=BODY,
            certificate_number=f"ITSM-{org.pk:03d}-{decision.year}",
            scope="The service management system supporting managed service desk, hosting and "
            "network services delivered to business customers.",
            decision_on=decision,
        ),
        organisation=org,
    )
    s1 = cycle.audits.get(kind=ExternalAuditKind.SURVEILLANCE1)
    # Held late in its window, so that surveillance 2 is due in a few weeks.
    held = add_months(decision, 11) + timedelta(days=19)
    actions.save_external_audit(
        audit=s1,
        changes={
            "status": "held",
            "starts_on": held,
            "ends_on": held + timedelta(days=1),
            "auditor_name": "R. Singh",
            "outcome": "Certification maintained; one minor nonconformity.",
        },
    )
    s1.refresh_from_db()
    minor = actions.record_external_finding(
        external_audit=s1,
        by=people["manager"],
        grade="minor_nc",
        cb_reference="NC-1",
        description="Continuity plans were not tested within the planned interval.",
        clause=_clause("8.7.2"),
        raised_on=held + timedelta(days=1),
    )
    actions.update_external_finding(
        finding=minor,
        changes={
            "plan_submitted_on": held + timedelta(days=20),
            "closed_on": held + timedelta(days=60),
        },
    )
    nc = minor.nonconformity
    if nc is not None:
        improvement_actions.update_nonconformity(
            nc=nc,
            changes={
                "whys": ["The test was postponed twice.", "Tests have no fixed date or owner."],
                "root_cause": "Continuity tests are not scheduled in the annual SMS calendar.",
                "cause_category": "governance",
            },
        )
        action = improvement_actions.create_action(
            organisation=org,
            by=people["manager"],
            title="Schedule continuity tests in the SMS calendar, with owners",
            owner=people["manager"],
            due_on=held + timedelta(days=30),
            kind=ActionKind.CORRECTIVE,
            nonconformity=nc,
        )
        improvement_actions.update_action(
            action=action,
            changes={"status": "done", "completed_on": held + timedelta(days=28)},
        )
        check = improvement_actions.plan_effectiveness_check(
            nc=nc,
            by=people["manager"],
            planned_on=held + timedelta(days=150),
            checker=people["auditor"],
            method="The next two scheduled continuity tests take place on their dates.",
        )
        improvement_actions.record_effectiveness_check(
            check=check,
            by=people["auditor"],
            result="passed",
            performed_on=held + timedelta(days=152),
            notes="Both tests held on their dates, reports on file.",
        )
        improvement_actions.close_nonconformity(nc=nc, by=people["manager"])
    ofi = actions.record_external_finding(
        external_audit=s1,
        by=people["manager"],
        grade="ofi",
        cb_reference="OFI-1",
        description="Trend analysis of incidents could feed the capacity plan.",
        clause=_clause("8.4.3"),
        raised_on=held + timedelta(days=1),
    )
    actions.send_to_improvement(finding=ofi, by=people["manager"])
    s2 = cycle.audits.get(kind=ExternalAuditKind.SURVEILLANCE2)
    actions.save_external_audit(
        audit=s2, changes={"starts_on": s2.window_target, "ends_on": s2.window_target}
    )
    for item, status in zip(
        s2.preparation.all(),
        [PrepStatus.READY, PrepStatus.READY, PrepStatus.IN_PROGRESS, PrepStatus.READY],
        strict=False,
    ):
        actions.update_preparation_item(
            item=item,
            changes={"status": status, "owner": people["manager"], "notes": "Folder ready."},
        )
    return cycle
