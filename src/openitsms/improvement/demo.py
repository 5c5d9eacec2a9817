"""Demo data: nonconformities at every stage, improvements and actions.

Runs before ``audits.demo`` (INSTALLED_APPS order), which adds the audit findings and their
nonconformities. Idempotent: every record is looked up by its title first.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions
from openitsms.improvement.choices import ActionKind, CheckResult, NoteKind
from openitsms.improvement.models import Action, Improvement, Nonconformity
from openitsms.processes.models import Process
from openitsms.tenancy.models import Organisation


def ensure_processes(org: Organisation) -> dict[str, Process]:
    """The process register, installed from the defaults when the organisation has none."""
    if not Process.all_orgs.filter(organisation=org).exists():
        from openitsms.processes.actions import install_default_processes

        install_default_processes(organisation=org)
    return {p.slug: p for p in Process.all_orgs.filter(organisation=org)}


def _clause(number: str) -> Requirement | None:
    return Requirement.objects.primary().filter(number=number).first()


def populate(org: Organisation, people: dict[str, Any]) -> None:
    today = org_today(org)
    processes = ensure_processes(org)
    manager, owner_po = people["manager"], people["process_owner"]
    auditor = people["auditor"]

    # 1. Closed, with an effectiveness check that passed.
    title = "Major incidents closed without a post-incident review"
    if not Nonconformity.objects.filter(title=title).exists():
        nc = actions.raise_nonconformity(
            organisation=org,
            by=manager,
            title=title,
            description="Two of the three major incidents of Q1 (INC-20417, INC-20502) were "
            "closed without the review the incident procedure requires.",
            source="incident",
            source_reference="INC-20417, INC-20502",
            severity="minor",
            clause=_clause("8.6.1"),
            process=processes.get("incident-management"),
            owner=owner_po,
            raised_on=today - timedelta(days=150),
            due_on=today - timedelta(days=60),
            containment="Reviews held for both incidents within the week.",
        )
        actions.update_nonconformity(
            nc=nc,
            changes={
                "whys": [
                    "The reviews were not scheduled.",
                    "Nobody was named to schedule them.",
                    "The procedure names no owner for the review step.",
                ],
                "root_cause": "The major incident procedure has no owner for the review step.",
                "cause_category": "process",
                "similar_review": "Checked problem and change reviews: both have named owners.",
            },
        )
        action = actions.create_action(
            organisation=org,
            by=manager,
            title="Name the incident manager as owner of post-incident reviews",
            owner=owner_po,
            due_on=today - timedelta(days=110),
            kind=ActionKind.CORRECTIVE,
            nonconformity=nc,
        )
        actions.update_action(
            action=action,
            changes={
                "status": "done",
                "completed_on": today - timedelta(days=115),
                "completion_notes": "Major incident procedure v4 approved and briefed.",
            },
        )
        check = actions.plan_effectiveness_check(
            nc=nc,
            by=manager,
            planned_on=today - timedelta(days=30),
            checker=auditor,
            method="Every major incident of the last three months has its review on record.",
        )
        actions.record_effectiveness_check(
            check=check,
            by=auditor,
            result=CheckResult.PASSED,
            performed_on=today - timedelta(days=28),
            notes="4 of 4 major incidents reviewed within 5 working days.",
        )
        actions.close_nonconformity(nc=nc, by=manager)

    # 2. Open and overdue: a complaint, its corrective action still in progress.
    title = "Customer not told about planned maintenance"
    if not Nonconformity.objects.filter(title=title).exists():
        nc = actions.raise_nonconformity(
            organisation=org,
            by=manager,
            title=title,
            description="Contoso complained that a planned outage of the hosting platform was "
            "not announced five working days ahead, as the SLA requires.",
            source="complaint",
            source_reference="Complaint C-0311",
            severity="minor",
            clause=_clause("8.3.3"),
            process=processes.get("service-level-management"),
            owner=owner_po,
            raised_on=today - timedelta(days=75),
            due_on=today - timedelta(days=12),
            containment="Apology and a service credit sent to the customer.",
        )
        actions.update_nonconformity(
            nc=nc,
            changes={
                "whys": [
                    "The announcement was not sent.",
                    "The change record had no customer impact set.",
                    "The change form does not ask for customer notice.",
                ],
                "root_cause": "The change form does not ask which customers need notice.",
                "cause_category": "process",
            },
        )
        actions.create_action(
            organisation=org,
            by=manager,
            title="Add a customer-notice field to the change form",
            owner=owner_po,
            due_on=today - timedelta(days=20),
            priority="high",
            kind=ActionKind.CORRECTIVE,
            nonconformity=nc,
        )

    # 3. Closure attempted without an effectiveness check: refused, and kept on record.
    title = "Management review skipped the service performance input"
    refused = Nonconformity.objects.filter(title=title).first()
    if refused is None:
        refused = nc = actions.raise_nonconformity(
            organisation=org,
            by=manager,
            title=title,
            description="The last management review minutes have no discussion of service "
            "performance or of the performance of other parties.",
            source="management_review",
            severity="minor",
            clause=_clause("9.3"),
            process=processes.get("management-review"),
            owner=manager,
            raised_on=today - timedelta(days=40),
            due_on=today + timedelta(days=50),
        )
        actions.update_nonconformity(
            nc=nc,
            changes={
                "whys": [
                    "The item was not on the agenda.",
                    "The agenda template predates the 2018 edition.",
                ],
                "root_cause": "The review agenda template lacks the inputs added in 2018.",
                "cause_category": "information",
            },
        )
        action = actions.create_action(
            organisation=org,
            by=manager,
            title="Rebuild the management review agenda on the twelve inputs",
            owner=manager,
            due_on=today - timedelta(days=10),
            kind=ActionKind.CORRECTIVE,
            nonconformity=nc,
        )
        actions.update_action(
            action=action,
            changes={
                "status": "done",
                "completed_on": today - timedelta(days=12),
                "completion_notes": "Agenda template v2 covers inputs a to l.",
            },
        )
    if refused.is_open and not refused.notes.filter(kind=NoteKind.CLOSURE_REFUSED).exists():
        try:
            actions.close_nonconformity(nc=refused, by=manager)
        except ValidationError:
            pass  # refused, as it should be: no effectiveness check yet; the refusal is kept.
        if not refused.checks.exists():
            actions.plan_effectiveness_check(
                nc=refused,
                by=manager,
                planned_on=today + timedelta(days=30),
                checker=auditor,
                method="The next management review covers all twelve inputs.",
            )

    _improvements(org, people, processes, today)
    _standalone_actions(org, people, today)


def _improvements(org: Organisation, people: dict[str, Any], processes: dict, today: Any) -> None:
    manager, owner_po = people["manager"], people["process_owner"]
    title = "Automate the monthly service level report"
    if not Improvement.objects.filter(title=title).exists():
        imp = actions.create_improvement(
            organisation=org,
            by=owner_po,
            fields={
                "title": title,
                "description": "The SLA report is assembled by hand from three tools and takes "
                "two days each month; it is often late.",
                "source": "staff",
                "process": processes.get("service-reporting"),
                "owner": owner_po,
                "raised_on": today - timedelta(days=200),
                "benefit": 4,
                "cost": 2,
                "risk": 1,
            },
        )
        target = actions.add_target(
            improvement=imp,
            fields={
                "area": "productivity",
                "description": "Hours to produce the monthly report",
                "unit": "hours",
                "direction": "lower",
                "baseline": Decimal("16"),
                "target": Decimal("2"),
            },
        )
        actions.decide_improvement(improvement=imp, by=manager, decision="approve")
        action = actions.create_action(
            organisation=org,
            by=manager,
            title="Build the report from the ITSM tool's API",
            owner=owner_po,
            due_on=today - timedelta(days=90),
            kind=ActionKind.IMPROVEMENT,
            improvement=imp,
        )
        actions.update_action(
            action=action,
            changes={"status": "done", "completed_on": today - timedelta(days=95)},
        )
        actions.update_target(
            target=target,
            changes={"measured": Decimal("1.5"), "measured_on": today - timedelta(days=30)},
        )
        actions.complete_improvement(
            improvement=imp, by=manager, result_summary="The report now takes 90 minutes."
        )

    title = "Self-service password reset"
    if not Improvement.objects.filter(title=title).exists():
        imp = actions.create_improvement(
            organisation=org,
            by=manager,
            fields={
                "title": title,
                "description": "A quarter of all service requests are password resets.",
                "source": "measurement",
                "process": processes.get("service-request-management"),
                "owner": owner_po,
                "raised_on": today - timedelta(days=60),
                "due_on": today + timedelta(days=60),
                "benefit": 5,
                "cost": 3,
                "risk": 2,
            },
        )
        actions.add_target(
            improvement=imp,
            fields={
                "area": "resource_use",
                "description": "Password-reset requests handled by the service desk per month",
                "unit": "requests",
                "direction": "lower",
                "baseline": Decimal("420"),
                "target": Decimal("100"),
            },
        )
        actions.decide_improvement(improvement=imp, by=manager, decision="approve")
        actions.create_action(
            organisation=org,
            by=manager,
            title="Pilot self-service reset with the finance team",
            owner=owner_po,
            due_on=today + timedelta(days=21),
            kind=ActionKind.IMPROVEMENT,
            improvement=imp,
        )

    title = "Chat channel for the service desk"
    if not Improvement.objects.filter(title=title).exists():
        actions.create_improvement(
            organisation=org,
            by=people["auditor"],
            fields={
                "title": title,
                "description": "Customers ask for a chat channel besides phone and portal.",
                "source": "customer",
                "raised_on": today - timedelta(days=10),
                "benefit": 3,
                "cost": 4,
                "risk": 2,
            },
        )

    title = "Replace the CMDB tool"
    if not Improvement.objects.filter(title=title).exists():
        imp = actions.create_improvement(
            organisation=org,
            by=manager,
            fields={
                "title": title,
                "description": "Move configuration data to a new tool.",
                "source": "staff",
                "raised_on": today - timedelta(days=120),
                "benefit": 2,
                "cost": 5,
                "risk": 4,
            },
        )
        actions.decide_improvement(
            improvement=imp,
            by=manager,
            decision="reject",
            notes="Low benefit for the cost; the current tool is supported until 2029.",
        )


def _standalone_actions(org: Organisation, people: dict[str, Any], today: Any) -> None:
    manager = people["manager"]
    for title, owner, due, priority in [
        ("Renew the hosting supplier contract", people["process_owner"], -5, "high"),
        ("Publish the updated service catalogue", manager, 14, "medium"),
    ]:
        if not Action.objects.filter(title=title).exists():
            actions.create_action(
                organisation=org,
                by=manager,
                title=title,
                owner=owner,
                due_on=today + timedelta(days=due),
                priority=priority,
            )
