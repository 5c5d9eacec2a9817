"""Builders for the process tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openitsms.processes import actions
from openitsms.processes.models import Process, ProcessKpi
from openitsms.tenancy.scoping import org_scope


def process(org: Any, name: str = "Incident management", **fields: Any) -> Process:
    fields.setdefault("kind", "operational")
    with org_scope(org):
        return actions.create_process(organisation=org, fields={"name": name, **fields})


def kpi(p: Process, name: str = "Resolved within target", target: str = "95") -> ProcessKpi:
    with org_scope(p.organisation):
        return actions.create_kpi(
            process=p,
            fields={
                "name": name,
                "target": Decimal(target),
                "unit": "%",
                "direction": "higher_is_better",
            },
        )
