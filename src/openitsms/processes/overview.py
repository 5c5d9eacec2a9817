from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q
from django.urls import reverse

from openitsms.overview import Tile
from openitsms.processes.models import Process


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    active = Process.objects.filter(organisation=org, is_active=True)
    flagged = active.filter(Q(owner__isnull=True) | Q(kpis__isnull=True)).distinct().count()
    url = reverse("processes:process_list", kwargs={"org_slug": org.slug})
    return [
        Tile(
            label="Processes without owner or KPIs",
            value=str(flagged),
            detail=f"{active.count()} active processes",
            url=f"{url}?flagged=1",
            tone="warn" if flagged else "ok",
        )
    ]
