"""The operations tile on the organisation's overview: last month's incidents against their
targets, read from the rollups (two small queries, whatever the number of records)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Sum
from django.urls import reverse

from openitsms.operations.choices import RecordKind, RunStatus
from openitsms.operations.models import ImportRun, Rollup
from openitsms.overview import Tile

# Below this share of incidents resolved within target the tile asks for attention.
WITHIN_TARGET_WARN_PCT = 95.0


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    last_import = (
        ImportRun.objects.filter(organisation=org, dry_run=False, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if last_import is None:
        return [
            Tile(
                label="Incidents resolved within target",
                value="—",
                detail="No incidents imported yet: import an export from your ITSM tool.",
                url=reverse("operations:import", kwargs={"org_slug": org.slug}),
                tone="neutral",
            )
        ]
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    sums = Rollup.objects.filter(organisation=org, kind=RecordKind.INCIDENT, month=month).aggregate(
        opened=Sum("opened"),
        measured=Sum("resolution_with_target"),
        within=Sum("resolution_within"),
    )
    opened, measured, within = (sums[k] or 0 for k in ("opened", "measured", "within"))
    imported = f"last import {last_import:%d %b %Y}"
    url = reverse("operations:kpis", kwargs={"org_slug": org.slug})
    if not measured:
        return [
            Tile(
                label="Incidents resolved within target",
                value="—",
                detail=(
                    f"{month:%B %Y}: {opened} opened, none measured against an agreement "
                    f"target · {imported}"
                ),
                url=url,
                tone="neutral",
            )
        ]
    percent = 100 * within / measured
    return [
        Tile(
            label="Incidents resolved within target",
            value=f"{percent:.1f} %",
            detail=(
                f"{month:%B %Y}: {within} of {measured} with a target · {opened} opened · "
                f"{imported}"
            ),
            url=url,
            tone="ok" if percent >= WITHIN_TARGET_WARN_PCT else "warn",
        )
    ]
