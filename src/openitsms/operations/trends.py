"""Control charts for monthly KPIs: mean ± 3σ and a run rule, to flag significant shifts.

:func:`control_limits` takes a KPI's monthly values (``None`` for a month without data) and
flags each month that is

* ``beyond_limits``: outside mean ± 3 standard deviations of the whole series, or
* ``run``: the eighth (or later) month in a row on the same side of the mean — a shift too
  steady to be noise even when no single month crosses a limit.

The limits come from every month shown (population standard deviation); with fewer than
three months there are no limits and nothing is flagged. :func:`trend_flags` lists the
flagged months of several KPIs for the KPI page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

RUN_LENGTH = 8
FLAG_LABELS = {
    "beyond_limits": "outside mean ± 3σ",
    "run": f"{RUN_LENGTH} months in a row on one side of the mean",
}


@dataclass(frozen=True)
class ControlChart:
    mean: float | None
    sigma: float | None
    upper: float | None
    lower: float | None
    flags: list[tuple[str, ...]] = field(default_factory=list)

    def flagged(self) -> list[int]:
        """Indexes of the flagged months."""
        return [index for index, flags in enumerate(self.flags) if flags]


def control_limits(values: Sequence[float | None]) -> ControlChart:
    known = [value for value in values if value is not None]
    if len(known) < 3:
        return ControlChart(None, None, None, None, [() for _ in values])
    mean = sum(known) / len(known)
    sigma = math.sqrt(sum((value - mean) ** 2 for value in known) / len(known))
    upper, lower = mean + 3 * sigma, mean - 3 * sigma
    flags: list[tuple[str, ...]] = []
    side, run = 0, 0
    for value in values:
        found: list[str] = []
        if value is None:
            side, run = 0, 0
            flags.append(())
            continue
        if sigma and (value > upper or value < lower):
            found.append("beyond_limits")
        here = 1 if value > mean else -1 if value < mean else 0
        run = run + 1 if here and here == side else (1 if here else 0)
        side = here
        if run >= RUN_LENGTH:
            found.append("run")
        flags.append(tuple(found))
    return ControlChart(round(mean, 2), round(sigma, 2), round(upper, 2), round(lower, 2), flags)


def trend_flags(
    series: Sequence[tuple[str, Sequence[float | None]]], months: Sequence[date]
) -> list[dict[str, Any]]:
    """Every flagged month of each KPI in ``series`` (label, values per month of ``months``)."""
    found: list[dict[str, Any]] = []
    for label, values in series:
        chart = control_limits(values)
        for index in chart.flagged():
            found.append(
                {
                    "kpi": label,
                    "month": months[index],
                    "value": values[index],
                    "mean": chart.mean,
                    "upper": chart.upper,
                    "lower": chart.lower,
                    "reasons": [FLAG_LABELS[flag] for flag in chart.flags[index]],
                }
            )
    return found
