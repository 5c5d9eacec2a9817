from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from openitsms.improvement.models import Action, Nonconformity
from openitsms.overview import Tile


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    ncs = Nonconformity.objects.filter(organisation=org)
    open_ncs = ncs.open().count()
    overdue_ncs = ncs.overdue(today).count()
    actions = Action.objects.filter(organisation=org)
    overdue_actions = actions.overdue(today).count()
    mine = actions.active().owned_by(membership.user).count()
    slug = {"org_slug": org.slug}
    return [
        Tile(
            label="Open nonconformities",
            value=str(open_ncs),
            detail=f"{overdue_ncs} overdue",
            url=reverse("improvement:nonconformity_list", kwargs=slug),
            tone="bad" if overdue_ncs else ("warn" if open_ncs else "ok"),
        ),
        Tile(
            label="Overdue actions",
            value=str(overdue_actions),
            detail=f"{mine} of the open actions are yours",
            url=reverse("improvement:action_overdue", kwargs=slug),
            tone="bad" if overdue_actions else "ok",
        ),
    ]
