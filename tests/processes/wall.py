"""The process register's records of a victim organisation, for tests/test_org_wall.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openitsms.processes import actions
from openitsms.processes.models import Process


def populate_victim(org: Any, owner: Any) -> None:
    """A process with a KPI and a RACI entry (runs inside ``org_scope(org)``)."""
    if Process.objects.filter(slug="secret-victim-process").exists():
        return
    process = actions.create_process(
        organisation=org,
        fields={
            "name": "secret-victim-note",
            "slug": "secret-victim-process",
            "kind": "operational",
            "owner": owner,
        },
    )
    actions.create_kpi(
        process=process,
        fields={
            "name": "secret-victim-note",
            "target": Decimal("95"),
            "unit": "%",
            "direction": "higher_is_better",
        },
    )
    actions.set_raci(process=process, rows=[("secret-victim-note", {"Service desk": "A"})])
