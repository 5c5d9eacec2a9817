"""Monthly KPIs from the rollups (never from the raw records): :func:`monthly_kpis`.

Per month, for one kind of record and optionally one service, priority or assignment group:

* ``opened``: records opened in the month (volume); ``major``: of those, priority P1;
* ``resolved``: records resolved in the month;
* ``backlog``: records opened up to the end of the month and not resolved by then (opened
  minus resolved, cumulated over every month on record; a record cancelled without a
  resolution time stays in it);
* ``mean_response_*`` / ``mean_resolution_*``: mean time to respond (records opened in the
  month that were responded to) and to resolve (records resolved in the month), 24×7 and
  business hours; business means only over records with an agreement target (``None``
  otherwise: there are no business hours to measure in);
* ``response_within_pct`` / ``resolution_within_pct``: % of records with a target that met it;
* ``reopen_rate_pct``: % of records opened in the month that were reopened at least once;
* ``reassignments_per_record``: mean reassignments of records opened in the month.

Medians, backlog age and first-contact resolution need the distribution of single records,
which sums cannot give; they are not computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from openitsms.operations.models import Rollup

_SUMS = (
    "opened",
    "resolved",
    "reopened",
    "reassignments",
    "major",
    "responded",
    "response_24x7_sum_s",
    "response_business_sum_s",
    "response_with_target",
    "response_within",
    "resolution_24x7_sum_s",
    "resolution_business_sum_s",
    "resolution_with_target",
    "resolution_within",
)


@dataclass(frozen=True)
class MonthKpi:
    month: date
    opened: int
    resolved: int
    backlog: int
    major: int
    mean_response_24x7_h: float | None
    mean_response_business_h: float | None
    mean_resolution_24x7_h: float | None
    mean_resolution_business_h: float | None
    response_with_target: int
    response_within_pct: float | None
    resolution_with_target: int
    resolution_within_pct: float | None
    reopen_rate_pct: float | None
    reassignments_per_record: float | None


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return round(part * scale / whole, 2) if whole else None


def monthly_kpis(
    *,
    kind: str = "incident",
    service_id: int | None = None,
    priority: str = "",
    assignment_group: str = "",
) -> list[MonthKpi]:
    """Every month on record for the organisation in scope, oldest first (see the module)."""
    rollups = Rollup.objects.filter(kind=kind)
    if service_id:
        rollups = rollups.filter(service_id=service_id)
    if priority:
        rollups = rollups.filter(priority=priority)
    if assignment_group:
        rollups = rollups.filter(assignment_group=assignment_group)
    rows = rollups.values("month").annotate(**{name: Sum(name) for name in _SUMS}).order_by("month")
    result: list[MonthKpi] = []
    backlog = 0
    for row in rows:
        backlog += row["opened"] - row["resolved"]
        business_resolved = row["resolution_with_target"]
        result.append(
            MonthKpi(
                month=row["month"],
                opened=row["opened"],
                resolved=row["resolved"],
                backlog=backlog,
                major=row["major"],
                mean_response_24x7_h=_ratio(row["response_24x7_sum_s"], row["responded"], 1 / 3600),
                mean_response_business_h=_ratio(
                    row["response_business_sum_s"], row["response_with_target"], 1 / 3600
                ),
                mean_resolution_24x7_h=_ratio(
                    row["resolution_24x7_sum_s"], row["resolved"], 1 / 3600
                ),
                mean_resolution_business_h=_ratio(
                    row["resolution_business_sum_s"], business_resolved, 1 / 3600
                ),
                response_with_target=row["response_with_target"],
                response_within_pct=_ratio(
                    row["response_within"], row["response_with_target"], 100
                ),
                resolution_with_target=business_resolved,
                resolution_within_pct=_ratio(row["resolution_within"], business_resolved, 100),
                reopen_rate_pct=_ratio(row["reopened"], row["opened"], 100),
                reassignments_per_record=_ratio(row["reassignments"], row["opened"]),
            )
        )
    return result


def assignment_groups(kind: str) -> list[str]:
    """The assignment groups on record for ``kind`` (for the filter)."""
    return list(
        Rollup.objects.filter(kind=kind)
        .exclude(assignment_group="")
        .values_list("assignment_group", flat=True)
        .distinct()
        .order_by("assignment_group")
    )
