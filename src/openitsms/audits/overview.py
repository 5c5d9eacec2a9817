from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from openitsms.audits.models import ExternalAudit
from openitsms.overview import Tile


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    upcoming = (
        ExternalAudit.objects.filter(organisation=org)
        .upcoming()
        .exclude(window_target__isnull=True)
        .order_by("window_target")
        .first()
    )
    if upcoming is None:
        return [
            Tile(
                label="Next certification audit",
                value="None planned",
                detail="Record the certificate and its cycle to see the next audit due.",
                url=reverse("audits:cycle_list", kwargs={"org_slug": org.slug}),
            )
        ]
    assert upcoming.window_target is not None
    days = (upcoming.window_target - today).days
    return [
        Tile(
            label="Next certification audit",
            value=f"{upcoming.window_target:%d %b %Y}",
            detail=f"{upcoming} · {days} days" if days >= 0 else f"{upcoming} · {-days} days late",
            url=upcoming.get_absolute_url(),
            tone="bad" if days < 0 else ("warn" if days <= 60 else "ok"),
        )
    ]
