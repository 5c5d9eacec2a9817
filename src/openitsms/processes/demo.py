"""Demo process register: the default processes with owners, deputies, reviews and some RACI.

Two processes are left without an owner or without KPIs, so that the flags show. Only processes
created by this run are changed, so running the demo again leaves people's edits alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from openitsms.processes import actions

# slug: (owner role, deputy role); roles are keys of the demo's ``people``.
OWNERS = {
    "context-and-scope": ("owner", "manager"),
    "leadership-and-policy": ("owner", "manager"),
    "risk-and-opportunity-management": ("manager", "owner"),
    "objectives-and-planning": ("manager", "owner"),
    "competence-and-awareness": ("manager", "consultant"),
    "communication": ("manager", "process_owner"),
    "documented-information-control": ("consultant", "manager"),
    "monitoring-and-measurement": ("manager", "consultant"),
    "internal-audit": ("consultant", "manager"),
    "management-review": ("owner", "manager"),
    "service-reporting": ("manager", "process_owner"),
    "nonconformity-and-corrective-action": ("manager", "consultant"),
    "continual-improvement": ("manager", "owner"),
    "operational-planning-and-control": ("manager", "process_owner"),
    "service-portfolio-management": ("manager", "owner"),
    "control-of-parties": ("manager", "consultant"),
    "asset-management": ("process_owner", "manager"),
    "configuration-management": ("process_owner", "manager"),
    "business-relationship-management": ("owner", "manager"),
    "service-level-management": ("manager", "process_owner"),
    "supplier-management": ("manager", "owner"),
    "budgeting-and-accounting": ("owner", "manager"),
    "demand-management": ("manager", "process_owner"),
    "capacity-management": ("process_owner", "manager"),
    "change-management": ("process_owner", "manager"),
    "service-design-and-transition": ("manager", "process_owner"),
    "release-and-deployment-management": ("process_owner", "manager"),
    "incident-management": ("process_owner", "manager"),
    "service-request-management": ("process_owner", "manager"),
    "problem-management": ("process_owner", "manager"),
    "service-availability-management": ("process_owner", "manager"),
    "service-continuity-management": ("manager", "process_owner"),
    "information-security-management": ("manager", "consultant"),
    # knowledge-management is left without an owner on purpose.
}
WITHOUT_KPIS = {"demand-management"}
NEVER_REVIEWED = {"knowledge-management", "demand-management", "service-design-and-transition"}
# slug: months since the last review (past the 12-month interval means overdue); the others
# were reviewed within the year, except those never reviewed.
REVIEWED_MONTHS_AGO = {
    "incident-management": 2,
    "change-management": 5,
    "problem-management": 14,
    "service-level-management": 3,
    "supplier-management": 11,
    "management-review": 1,
    "internal-audit": 4,
}
# slug: party -> one letter per suggested activity, in order ("-" = not involved).
RACI = {
    "incident-management": {
        "Service desk": "ARRA-",
        "Incident manager": "CACRA",
        "Resolver teams": "-CA-R",
        "Customer": "I-ICI",
    },
    "change-management": {
        "Change manager": "AAAA",
        "Change requester": "RCII",
        "Change advisory board": "-RRC",
        "Implementers": "-C-R",
    },
}


def _raci_rows(process: Any, parties: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    rows = []
    for index, activity in enumerate(process.raci_activities):
        codes = {
            party: letters[index] for party, letters in parties.items() if index < len(letters)
        }
        rows.append((activity, {p: c for p, c in codes.items() if c != "-"}))
    return rows


def populate(org: Any, people: dict[str, Any]) -> None:
    result = actions.install_default_processes(organisation=org)
    today = timezone.localdate()
    for process in result.created:
        changes: dict[str, Any] = {}
        roles = OWNERS.get(process.slug)
        if roles:
            changes["owner"] = people.get(roles[0])
            changes["deputy"] = people.get(roles[1])
        months = REVIEWED_MONTHS_AGO.get(process.slug)
        if months is None and process.slug not in NEVER_REVIEWED:
            months = 1 + (process.position // 10) % 10
        if months is not None:
            changes["last_reviewed_on"] = today - timedelta(days=round(months * 30.5))
        if changes:
            actions.update_process(process=process, changes=changes)
        if process.slug in WITHOUT_KPIS:
            for kpi in process.kpis.all():
                actions.delete_kpi(kpi=kpi)
        if process.slug in RACI:
            actions.set_raci(
                process=process,
                rows=_raci_rows(process, RACI[process.slug]),
                parties=list(RACI[process.slug]),
            )
