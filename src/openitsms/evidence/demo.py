"""Demo evidence: a dozen realistic items with small generated files, some out of date.

Items are found by title, so running the demo again adds nothing. Dates are set relative to the
day the demo is first built: one item is out of date, a few are due soon, one has two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from openitsms.catalogue.models import Requirement
from openitsms.evidence import actions
from openitsms.evidence.models import EvidenceItem
from openitsms.processes.actions import update_process
from openitsms.processes.models import Process

PROCEDURE = "Incident management procedure"


@dataclass(frozen=True)
class DemoItem:
    title: str
    kind: str
    owner: str  # a role of the demo's people
    age_days: int  # how long ago it took effect
    clauses: tuple[str, ...]
    processes: tuple[str, ...]
    valid_days: int | None = None  # valid for this many days after it took effect
    review_days: int | None = None
    file_name: str = ""
    versions: tuple[str, ...] = field(default_factory=tuple)  # file contents, oldest first
    notes: tuple[str, ...] = field(default_factory=tuple)
    url: str = ""
    description: str = ""


def _policy(org: str) -> str:
    return (
        f"# Service management policy — {org}\n\n"
        "1. We deliver the services in the catalogue to the levels agreed with customers.\n"
        "2. Every SMS process has a named owner and measured objectives.\n"
        "3. Changes to live services are assessed for risk and approved before release.\n"
        "4. We learn from incidents, audits and complaints and improve continually.\n\n"
        "Approved by the managing director.\n"
    )


def _items(org_name: str) -> list[DemoItem]:
    return [
        DemoItem(
            "Service management policy",
            "document",
            "owner",
            200,
            ("5.2", "5.2.1", "5.2.2"),
            ("leadership-and-policy",),
            valid_days=365,
            file_name="sm-policy.md",
            versions=(_policy(org_name),),
            description="The top-level policy, approved by top management and shown on the "
            "intranet.",
        ),
        DemoItem(
            "SMS scope statement",
            "document",
            "owner",
            300,
            ("4.3",),
            ("context-and-scope",),
            review_days=365,
            file_name="sms-scope.md",
            versions=(
                f"# Scope of the SMS of {org_name}\n\nManaged desktop, hosting and service "
                "desk services delivered from the head office to external customers.\n",
            ),
        ),
        DemoItem(
            "Interested parties register",
            "record",
            "manager",
            390,
            ("4.2",),
            ("context-and-scope",),
            review_days=365,
            file_name="interested-parties.csv",
            versions=(
                "Party,Need or expectation,How we meet it\n"
                "Customers,Agreed service levels,SLAs and monthly service reports\n"
                "Regulator,Data protection,Information security controls\n"
                "Staff,Clear roles,RACI per process and training plan\n",
            ),
        ),
        DemoItem(
            "Management review minutes — last quarter",
            "record",
            "owner",
            75,
            ("9.3",),
            ("management-review",),
            file_name="management-review-minutes.md",
            versions=(
                "# Management review\n\nAttendees: managing director, service manager, "
                "process owners.\n\nInputs reviewed: audit results, KPIs, customer "
                "feedback, risks.\n\nDecisions: fund a second-line knowledge base; close "
                "two corrective actions.\n",
            ),
        ),
        DemoItem(
            "Internal audit report: change management",
            "report",
            "consultant",
            60,
            ("9.2", "8.5.1"),
            ("internal-audit", "change-management"),
            valid_days=365,
            file_name="audit-change-management.md",
            versions=(
                "# Internal audit — change management\n\nSample: 25 changes. Finding: 3 "
                "emergency changes were not reviewed after implementation (minor).\n",
            ),
        ),
        DemoItem(
            "Incident statistics — last month",
            "export",
            "process_owner",
            20,
            ("8.6.1", "9.1"),
            ("incident-management",),
            review_days=35,
            file_name="incidents-last-month.csv",
            versions=(
                "Priority,Logged,Resolved in target,Breached\n"
                "P1,4,3,1\nP2,31,29,2\nP3,212,205,7\nP4,388,384,4\n",
            ),
        ),
        DemoItem(
            PROCEDURE,
            "document",
            "process_owner",
            230,
            ("8.6.1",),
            ("incident-management",),
            review_days=365,
            file_name="incident-procedure.md",
            versions=(
                "# Incident management procedure\n\n1. Log every incident with its "
                "category and priority.\n2. Resolve at first contact where the knowledge "
                "base allows.\n3. Escalate P1 incidents to the incident manager at once.\n"
                "4. Close only after the user confirms.\n",
            ),
        ),
        DemoItem(
            "Major incident review: storage outage",
            "report",
            "process_owner",
            45,
            ("8.6.1", "8.6.3"),
            ("incident-management", "problem-management"),
            file_name="major-incident-review.md",
            versions=(
                "# Major incident review\n\nImpact: hosting customers, 2 h 10 min.\n"
                "Root cause: controller firmware fault. Problem record opened; firmware "
                "upgrade scheduled as a normal change.\n",
            ),
        ),
        DemoItem(
            "Change advisory board minutes",
            "record",
            "process_owner",
            9,
            ("8.5.1.3",),
            ("change-management",),
            file_name="cab-minutes.md",
            versions=(
                "# CAB\n\n- CHG-1042 approved (network core upgrade), back-out plan checked.\n"
                "- CHG-1047 rejected: no test evidence.\n",
            ),
        ),
        DemoItem(
            "Supplier contract: hosting provider",
            "document",
            "manager",
            340,
            ("8.3.4", "8.3.4.1"),
            ("supplier-management",),
            valid_days=360,
            file_name="hosting-contract-summary.txt",
            versions=(
                "Contract summary\nTerm: 12 months\nAvailability: 99.9 % per month\n"
                "Service credits: 5 % per 0.1 % below target\nRenewal notice: 60 days\n",
            ),
        ),
        DemoItem(
            "Service continuity test report",
            "report",
            "manager",
            420,
            ("8.7.2",),
            ("service-continuity-management",),
            review_days=365,
            file_name="continuity-test.md",
            versions=(
                "# Continuity test\n\nScenario: loss of the primary data centre.\n"
                "Result: recovery of hosting in 5 h against a 4 h objective.\n",
            ),
        ),
        DemoItem(
            "Capacity plan",
            "document",
            "process_owner",
            120,
            ("8.4.3",),
            ("capacity-management",),
            valid_days=365,
            file_name="capacity-plan.csv",
            versions=(
                "Resource,Used now,Forecast in 12 months,Action\n"
                "Storage (TB),142,188,Order shelf in Q3\nVirtual hosts,38,44,None\n",
            ),
        ),
        DemoItem(
            "Service level agreement: managed desktop",
            "document",
            "manager",
            150,
            ("8.3.3",),
            ("service-level-management",),
            valid_days=365,
            file_name="sla-managed-desktop.md",
            versions=(
                "# SLA — managed desktop (draft)\n\nP1 resolved in 4 h; P2 in 8 h.\n",
                "# SLA — managed desktop\n\nP1 resolved in 4 h; P2 in 8 h; P3 in 3 days.\n"
                "Signed by both parties.\n",
            ),
            notes=("Draft sent to the customer.", "Signed copy with the P3 target added."),
        ),
        DemoItem(
            "Knowledge base in the ITSM tool",
            "link",
            "process_owner",
            30,
            ("7.6",),
            ("knowledge-management", "incident-management"),
            url="https://itsm.example.com/knowledge",
            description="Known errors and workarounds, maintained by the service desk.",
        ),
    ]


def populate(org: Any, people: dict[str, Any]) -> None:
    today = timezone.localdate()
    requirements = {r.number: r for r in Requirement.objects.primary()}
    processes = {p.slug: p for p in Process.objects.all()}
    existing = set(EvidenceItem.objects.values_list("title", flat=True))
    uploader = people.get("manager")
    for spec in _items(org.name):
        if spec.title in existing:
            continue
        effective = today - timedelta(days=spec.age_days)
        result = actions.create_evidence(
            organisation=org,
            user=uploader,
            title=spec.title,
            kind=spec.kind,
            description=spec.description,
            owner=people.get(spec.owner),
            effective_on=effective,
            valid_until=effective + timedelta(days=spec.valid_days) if spec.valid_days else None,
            review_interval_days=spec.review_days,
            url=spec.url,
            requirements=[requirements[n] for n in spec.clauses if n in requirements],
            processes=[processes[s] for s in spec.processes if s in processes],
        )
        for index, content in enumerate(spec.versions):
            note = spec.notes[index] if index < len(spec.notes) else ""
            actions.upload_version(
                item=result.item,
                user=people.get(spec.owner) or uploader,
                upload=ContentFile(content.encode(), name=spec.file_name),
                note=note,
            )
    procedure = EvidenceItem.objects.filter(title=PROCEDURE).first()
    incident = processes.get("incident-management")
    if incident is not None and incident.procedure_id is None and procedure is not None:
        update_process(process=incident, changes={"procedure": procedure})
