"""Records for the improvement and audits tests, built through the actions (as the app does)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions
from openitsms.improvement.choices import ActionKind, CauseCategory, CheckResult
from openitsms.processes.models import Process


def clause(number: str) -> Requirement:
    return Requirement.objects.primary().get(number=number)


def process(org: Any, name: str = "Change management", owner: Any = None, **extra: Any) -> Process:
    from django.utils.text import slugify

    p = Process(
        organisation=org, slug=slugify(name), name=name, kind="operational", owner=owner, **extra
    )
    p.save()
    return p


def nonconformity(org: Any, by: Any, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "title": "Emergency changes approved after implementation",
        "description": "Three emergency changes in March were approved by the CAB after they "
        "had been deployed.",
        "source": "internal_audit",
        "severity": "minor",
        "raised_on": org_today(org) - timedelta(days=60),
    }
    values.update(extra)
    return actions.raise_nonconformity(organisation=org, by=by, **values)


def analyse(nc: Any, **extra: Any) -> Any:
    changes = {
        "whys": ["CAB meets weekly", "No emergency CAB is defined", "Policy predates 24x7 service"],
        "root_cause": "The change policy has no emergency approval path.",
        "cause_category": CauseCategory.PROCESS,
    }
    changes.update(extra)
    return actions.update_nonconformity(nc=nc, changes=changes)


def corrective_action(nc: Any, by: Any, owner: Any, *, done: bool = False, **extra: Any) -> Any:
    action = actions.create_action(
        organisation=nc.organisation,
        by=by,
        title=extra.pop("title", "Add an emergency CAB to the change policy"),
        owner=owner,
        due_on=extra.pop("due_on", org_today(nc.organisation) + timedelta(days=14)),
        kind=ActionKind.CORRECTIVE,
        nonconformity=nc,
        **extra,
    )
    if done:
        actions.update_action(
            action=action,
            changes={
                "status": "done",
                "completion_notes": "Policy v3 approved.",
                "completed_on": org_today(nc.organisation) - timedelta(days=20),
            },
        )
    return action


def passed_check(nc: Any, by: Any, checker: Any, performed_on: date | None = None) -> Any:
    check = actions.plan_effectiveness_check(
        nc=nc,
        by=by,
        planned_on=org_today(nc.organisation) - timedelta(days=5),
        checker=checker,
        method="Sample every emergency change of the last month.",
    )
    return actions.record_effectiveness_check(
        check=check,
        by=by,
        result=CheckResult.PASSED,
        performed_on=performed_on or org_today(nc.organisation),
        notes="All 4 emergency changes approved by the E-CAB before deployment.",
    )
