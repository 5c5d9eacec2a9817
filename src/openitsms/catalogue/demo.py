"""Demo conformity: a service provider most of the way to certification, with honest gaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openitsms.catalogue.choices import ConformityStatus, OperatedBy
from openitsms.catalogue.models import Conformity, Requirement
from openitsms.catalogue.tree import org_today

NOT_ASSESSED = {"7.6", "8.4.1", "8.5.2.1", "8.5.2.2", "8.5.2.3"}
PARTIAL = {
    "6.2.2": "Objectives are set, but only two of five have an owner and a plan with dates.",
    "7.2": "Training records exist for the service desk only; second-line teams have none.",
    "8.2.6": "The CMDB covers servers and network gear; SaaS services are not yet recorded.",
    "8.5.3": "Releases follow the procedure, but acceptance criteria are not agreed up front.",
    "9.1": "KPIs are measured monthly; the analysis is not written down.",
}
NONCONFORMANT = {
    "6.3": "No plan for the SMS itself: scope, roles and timeline live only in emails.",
    "8.7.2": "Continuity plans exist for both data centres but have never been tested.",
}
SUPPLIERS = {
    "northwind": "Bluefin Hosting Ltd",
    "harbour": "Keystone Cloud Services Inc.",
}


def populate(org: Any, people: dict[str, Any]) -> None:
    """Conformity for the demo organisation; runs inside its scope, safe to run again."""
    assessor = people.get("manager") or people.get("owner")
    today = org_today(org)
    existing = set(
        Conformity.objects.filter(organisation=org).values_list("requirement_id", flat=True)
    )
    for requirement in Requirement.objects.primary().order_by("position"):
        if requirement.number in NOT_ASSESSED or requirement.pk in existing:
            continue
        status, notes = ConformityStatus.CONFORMANT, ""
        if requirement.number in PARTIAL:
            status, notes = ConformityStatus.PARTIAL, PARTIAL[requirement.number]
        elif requirement.number in NONCONFORMANT:
            status, notes = ConformityStatus.NONCONFORMANT, NONCONFORMANT[requirement.number]
        values: dict[str, Any] = {
            "status": status,
            "notes": notes,
            "assessed_by": assessor,
            # Assessed over the last three months, as an internal audit cycle would.
            "assessed_on": today - timedelta(days=7 + (requirement.position * 5) % 84),
        }
        if requirement.number == "8.3.4.1":
            values["operated_by"] = OperatedBy.EXTERNAL_SUPPLIER
            values["operator_name"] = SUPPLIERS.get(org.slug, "Bluefin Hosting Ltd")
            values["notes"] = "Hosting and backup run by the supplier under contract and SLA."
        Conformity.objects.get_or_create(organisation=org, requirement=requirement, defaults=values)
