"""One record of every improvement model for the organisation-wall walk (tests/test_org_wall.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions


def populate_victim(org: Any, owner: Any) -> None:
    today = org_today(org)
    nc = actions.raise_nonconformity(
        organisation=org,
        by=owner,
        title="secret-victim-note nonconformity",
        description="secret-victim-note",
        source="self_identified",
        severity="minor",
        owner=owner,
        raised_on=today - timedelta(days=10),
    )
    actions.add_nonconformity_note(nc=nc, author=owner, body="secret-victim-note")
    action = actions.create_action(
        organisation=org,
        by=owner,
        title="secret-victim-note action",
        owner=owner,
        due_on=today,
        nonconformity=nc,
    )
    actions.add_action_comment(action=action, author=owner, body="secret-victim-note")
    actions.plan_effectiveness_check(
        nc=nc, by=owner, planned_on=today, checker=owner, method="secret-victim-note"
    )
    improvement = actions.create_improvement(
        organisation=org,
        by=owner,
        fields={"title": "secret-victim-note", "description": "x", "source": "staff"},
    )
    actions.add_target(
        improvement=improvement,
        fields={"area": "quality", "description": "secret-victim-note", "target": 1},
    )
