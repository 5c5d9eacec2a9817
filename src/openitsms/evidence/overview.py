from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from openitsms.evidence.models import DUE_SOON_DAYS, EvidenceItem
from openitsms.overview import Tile


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    live = EvidenceItem.objects.filter(organisation=org).live()
    stale = live.filter(expires_on__lt=today).count()
    due_soon = live.filter(
        expires_on__gte=today, expires_on__lte=today + timedelta(days=DUE_SOON_DAYS)
    ).count()
    url = reverse("evidence:evidence_list", kwargs={"org_slug": org.slug})
    return [
        Tile(
            label="Evidence out of date",
            value=str(stale),
            detail=f"{due_soon} due for review within {DUE_SOON_DAYS} days · {live.count()} items",
            url=f"{url}?freshness=stale",
            tone="bad" if stale else ("warn" if due_soon else "ok"),
        )
    ]
