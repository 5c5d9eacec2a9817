"""Monthly KPIs from the rollups (never from the raw records): :func:`monthly_kpis`.

Per month, for one kind of record and optionally one service, priority or assignment group
(ISO/IEC 20000-1 clause of the process in brackets). Figures that do not apply to a kind are
``None``; so are rates and times without anything to measure.

**Every kind**

* ``opened``: records opened in the month (volume); ``ended``: records that left the
  backlog in the month — now resolved, closed or cancelled, counted at their resolution time
  (their closing time when they have none, their last update when they have neither);
  ``resolved``: of those, the ones not cancelled (for requests: fulfilled; for changes and
  problems: closed or resolved);
* ``backlog``: records opened by the end of the month and not ended by then;
  ``backlog_mean_age_days``: their mean age at the end of the month (from opening);
* ``mean_/median_resolution_24x7_h`` and ``_business_h``: time to resolve (to fulfil, for
  requests) of the records resolved in the month, round the clock and in the business hours
  of the agreement that applied (records without an agreement target have no business
  time); ``resolution_within_pct``: % of the resolved records with a target that met it.

**Incidents (8.6.1) and service requests (8.6.2)**

* ``mean_/median_response_*_h``: time to respond of the records opened in the month;
  ``response_within_pct``: % of those with a response target that met it;
* ``reopen_rate_pct``: % of the records opened in the month reopened at least once;
  ``reassignments_per_record``: their mean number of reassignments.

**Incidents only**

* ``major``: incidents opened in the month at priority P1;
* ``first_contact_resolution_pct``: of the incidents resolved in the month whose number of
  reassignments is known, the % **resolved with no reassignment**. An incident that was
  never reassigned stayed with the group it was first assigned to, so it was also resolved
  by that first group; a reopened incident counts when it is resolved again;
* ``linked_to_problem_pct`` / ``caused_by_change_pct``: % of the incidents opened in the
  month linked to a problem / named as caused by a change.

**Problems (8.6.3)** — of the problems opened in the month:

* ``with_root_cause`` / ``root_cause_pct``: with a root cause recorded;
* ``known_errors`` / ``known_error_pct``: known errors — flagged so by the source, or whose
  status history shows a "Known error" status;
* ``mean_/median_time_to_known_error_days``: from opening to the first time the status
  history shows the problem as a known error (``known_errors_timed`` problems; a flag
  without such a status says nothing about when).

Open problems at month end and their age are ``backlog`` and ``backlog_mean_age_days``.

**Changes (8.5.1)**

* ``changes_normal`` / ``_standard`` / ``_emergency``: opened in the month, by type;
  ``emergency_pct``: emergency changes among those with a type;
* of the changes that ended in the month (closed): ``with_outcome``, ``successful``,
  ``successful_with_issues``, ``unsuccessful``; ``success_rate_pct`` = successful (without
  issues) / closed with an outcome; ``rolled_back`` (and its % of the closed changes);
  ``caused_incidents``: changes named as the cause by at least one incident
  (``caused_by_change_ref``); ``failed``: changes that were unsuccessful, rolled back or
  caused incidents (each counted once), and ``failure_rate_pct`` of the closed changes.

Medians are exact: each rollup keeps the sorted single durations of its records, merged
here. Months between the first and the last month on record are all listed (a month without
records shows zero volume and the backlog carried over).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from django.utils.safestring import SafeString

from openitsms.lib.svgcharts import Bar, bar_chart
from openitsms.operations.models import Rollup

_COUNTS = (
    "opened",
    "resolved",
    "ended",
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
    "opened_at_sum_s",
    "ended_opened_at_sum_s",
    "first_contact_measured",
    "first_contact_resolved",
    "linked_to_problem",
    "caused_by_change",
    "with_root_cause",
    "known_errors",
    "changes_normal",
    "changes_standard",
    "changes_emergency",
    "with_outcome",
    "successful",
    "successful_with_issues",
    "unsuccessful",
    "rolled_back",
    "caused_incidents",
    "failed",
)
_LISTS = (
    "response_24x7_values",
    "response_business_values",
    "resolution_24x7_values",
    "resolution_business_values",
    "known_error_values",
)
HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class MonthKpi:
    """One month's KPIs (see the module docstring); ``None`` where not applicable."""

    month: date
    opened: int
    ended: int
    resolved: int
    backlog: int
    backlog_mean_age_days: float | None
    mean_resolution_24x7_h: float | None
    median_resolution_24x7_h: float | None
    mean_resolution_business_h: float | None
    median_resolution_business_h: float | None
    resolution_with_target: int
    resolution_within_pct: float | None
    # Incidents and requests
    mean_response_24x7_h: float | None = None
    median_response_24x7_h: float | None = None
    mean_response_business_h: float | None = None
    median_response_business_h: float | None = None
    response_with_target: int | None = None
    response_within_pct: float | None = None
    reopen_rate_pct: float | None = None
    reassignments_per_record: float | None = None
    # Incidents
    major: int | None = None
    first_contact_resolved: int | None = None
    first_contact_measured: int | None = None
    first_contact_resolution_pct: float | None = None
    linked_to_problem_pct: float | None = None
    caused_by_change_pct: float | None = None
    # Problems
    with_root_cause: int | None = None
    root_cause_pct: float | None = None
    known_errors: int | None = None
    known_error_pct: float | None = None
    known_errors_timed: int | None = None
    mean_time_to_known_error_days: float | None = None
    median_time_to_known_error_days: float | None = None
    # Changes
    changes_normal: int | None = None
    changes_standard: int | None = None
    changes_emergency: int | None = None
    emergency_pct: float | None = None
    with_outcome: int | None = None
    successful: int | None = None
    successful_with_issues: int | None = None
    unsuccessful: int | None = None
    success_rate_pct: float | None = None
    rolled_back: int | None = None
    rolled_back_pct: float | None = None
    caused_incidents: int | None = None
    failed: int | None = None
    failure_rate_pct: float | None = None


_COMMON = {
    "month",
    "opened",
    "ended",
    "resolved",
    "backlog",
    "backlog_mean_age_days",
    "mean_resolution_24x7_h",
    "median_resolution_24x7_h",
    "mean_resolution_business_h",
    "median_resolution_business_h",
    "resolution_with_target",
    "resolution_within_pct",
}
_TICKETS = {
    "mean_response_24x7_h",
    "median_response_24x7_h",
    "mean_response_business_h",
    "median_response_business_h",
    "response_with_target",
    "response_within_pct",
    "reopen_rate_pct",
    "reassignments_per_record",
}
_INCIDENTS = {
    "major",
    "first_contact_resolved",
    "first_contact_measured",
    "first_contact_resolution_pct",
    "linked_to_problem_pct",
    "caused_by_change_pct",
}
_PROBLEMS = {
    "with_root_cause",
    "root_cause_pct",
    "known_errors",
    "known_error_pct",
    "known_errors_timed",
    "mean_time_to_known_error_days",
    "median_time_to_known_error_days",
}
_CHANGES = {f.name for f in fields(MonthKpi)} - _COMMON - _TICKETS - _INCIDENTS - _PROBLEMS
KIND_FIELDS: dict[str, frozenset[str]] = {
    "incident": frozenset(_COMMON | _TICKETS | _INCIDENTS),
    "request": frozenset(_COMMON | _TICKETS),
    "problem": frozenset(_COMMON | _PROBLEMS),
    "change": frozenset(_COMMON | _CHANGES),
}
"""The figures of each kind; the others are ``None`` in its months."""


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return round(part * scale / whole, 2) if whole else None


def _median(values: Sequence[int], scale: float) -> float | None:
    """The median of sorted ``values`` (the mean of the middle two when their number is even)."""
    count = len(values)
    if not count:
        return None
    middle = count // 2
    value = values[middle] if count % 2 else (values[middle - 1] + values[middle]) / 2
    return round(value * scale, 2)


def _mean(values: Sequence[int], scale: float) -> float | None:
    return _ratio(sum(values), len(values), scale)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _epoch(month: date) -> int:
    return int(datetime(month.year, month.month, 1, tzinfo=UTC).timestamp())


def monthly_kpis(
    *,
    kind: str = "incident",
    service_id: int | None = None,
    priority: str = "",
    assignment_group: str = "",
) -> list[MonthKpi]:
    """Every month on record for the organisation in scope, oldest first (see the module).

    One query: the rollup rows of the kind (and filters) are summed and their sorted
    durations merged here, month by month.
    """
    rollups = Rollup.objects.filter(kind=kind)
    if service_id:
        rollups = rollups.filter(service_id=service_id)
    if priority:
        rollups = rollups.filter(priority=priority)
    if assignment_group:
        rollups = rollups.filter(assignment_group=assignment_group)
    sums: dict[date, list[int]] = {}
    lists: dict[date, list[list[int]]] = {}
    for row in rollups.order_by().values_list("month", *_COUNTS, *_LISTS):
        month = row[0]
        if month not in sums:
            sums[month] = [0] * len(_COUNTS)
            lists[month] = [[] for _ in _LISTS]
        total = sums[month]
        for index, value in enumerate(row[1 : 1 + len(_COUNTS)]):
            total[index] += value
        for index, values in enumerate(row[1 + len(_COUNTS) :]):
            if values:
                lists[month][index].extend(values)
    if not sums:
        return []
    wanted = KIND_FIELDS.get(kind, frozenset(_COMMON))
    result: list[MonthKpi] = []
    backlog = opened_at_s = 0
    month, last = min(sums), max(sums)
    empty_sums = [0] * len(_COUNTS)
    empty_lists: list[list[int]] = [[] for _ in _LISTS]
    while month <= last:
        row = dict(zip(_COUNTS, sums.get(month, empty_sums), strict=True))
        durations = {
            name: sorted(values)
            for name, values in zip(_LISTS, lists.get(month, empty_lists), strict=True)
        }
        backlog += row["opened"] - row["ended"]
        opened_at_s += row["opened_at_sum_s"] - row["ended_opened_at_sum_s"]
        month_end = _epoch(_next_month(month))
        figures = _figures(row, durations)
        figures.update(
            month=month,
            backlog=backlog,
            backlog_mean_age_days=(
                round((backlog * month_end - opened_at_s) / backlog / DAY, 2)
                if backlog > 0
                else None
            ),
        )
        shown: dict[str, Any] = {
            name: value if name in wanted else None for name, value in figures.items()
        }
        result.append(MonthKpi(**shown))
        month = _next_month(month)
    return result


def _figures(row: dict[str, int], durations: dict[str, list[int]]) -> dict[str, Any]:
    """One month's figures of every kind from its summed rollups and merged durations."""
    response_24x7 = durations["response_24x7_values"]
    response_business = durations["response_business_values"]
    resolution_24x7 = durations["resolution_24x7_values"]
    resolution_business = durations["resolution_business_values"]
    known_error = durations["known_error_values"]
    opened, ended = row["opened"], row["ended"]
    typed = row["changes_normal"] + row["changes_standard"] + row["changes_emergency"]
    return {
        "opened": opened,
        "ended": ended,
        "resolved": row["resolved"],
        "mean_resolution_24x7_h": _mean(resolution_24x7, 1 / HOUR),
        "median_resolution_24x7_h": _median(resolution_24x7, 1 / HOUR),
        "mean_resolution_business_h": _mean(resolution_business, 1 / HOUR),
        "median_resolution_business_h": _median(resolution_business, 1 / HOUR),
        "resolution_with_target": row["resolution_with_target"],
        "resolution_within_pct": _ratio(
            row["resolution_within"], row["resolution_with_target"], 100
        ),
        "mean_response_24x7_h": _mean(response_24x7, 1 / HOUR),
        "median_response_24x7_h": _median(response_24x7, 1 / HOUR),
        "mean_response_business_h": _mean(response_business, 1 / HOUR),
        "median_response_business_h": _median(response_business, 1 / HOUR),
        "response_with_target": row["response_with_target"],
        "response_within_pct": _ratio(row["response_within"], row["response_with_target"], 100),
        "reopen_rate_pct": _ratio(row["reopened"], opened, 100),
        "reassignments_per_record": _ratio(row["reassignments"], opened),
        "major": row["major"],
        "first_contact_resolved": row["first_contact_resolved"],
        "first_contact_measured": row["first_contact_measured"],
        "first_contact_resolution_pct": _ratio(
            row["first_contact_resolved"], row["first_contact_measured"], 100
        ),
        "linked_to_problem_pct": _ratio(row["linked_to_problem"], opened, 100),
        "caused_by_change_pct": _ratio(row["caused_by_change"], opened, 100),
        "with_root_cause": row["with_root_cause"],
        "root_cause_pct": _ratio(row["with_root_cause"], opened, 100),
        "known_errors": row["known_errors"],
        "known_error_pct": _ratio(row["known_errors"], opened, 100),
        "known_errors_timed": len(known_error),
        "mean_time_to_known_error_days": _mean(known_error, 1 / DAY),
        "median_time_to_known_error_days": _median(known_error, 1 / DAY),
        "changes_normal": row["changes_normal"],
        "changes_standard": row["changes_standard"],
        "changes_emergency": row["changes_emergency"],
        "emergency_pct": _ratio(row["changes_emergency"], typed, 100),
        "with_outcome": row["with_outcome"],
        "successful": row["successful"],
        "successful_with_issues": row["successful_with_issues"],
        "unsuccessful": row["unsuccessful"],
        "success_rate_pct": _ratio(row["successful"], row["with_outcome"], 100),
        "rolled_back": row["rolled_back"],
        "rolled_back_pct": _ratio(row["rolled_back"], ended, 100),
        "caused_incidents": row["caused_incidents"],
        "failed": row["failed"],
        "failure_rate_pct": _ratio(row["failed"], ended, 100),
    }


def assignment_groups(kind: str) -> list[str]:
    """The assignment groups on record for ``kind`` (for the filter)."""
    return list(
        Rollup.objects.filter(kind=kind)
        .exclude(assignment_group="")
        .values_list("assignment_group", flat=True)
        .distinct()
        .order_by("assignment_group")
    )


# -- what the page shows of each kind ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the KPI table: ``attr`` of :class:`MonthKpi`, shown with ``unit``;
    ``of`` names the count the percentage is of ("50 % of 2")."""

    label: str
    attr: str
    unit: str = ""
    of: str = ""
    pair: str = ""

    def cell(self, month: MonthKpi) -> str:
        text = _show(getattr(month, self.attr), self.unit)
        if self.pair:
            text = f"{text} / {_show(getattr(month, self.pair), self.unit)}"
        elif self.of and getattr(month, self.attr) is not None:
            text = f"{text} of {getattr(month, self.of)}"
        return text


@dataclass(frozen=True)
class Chart:
    """A bar chart of ``attr`` over the months shown; percentages at or above ``good_at`` are
    drawn as met (when ``good_at`` is set), below it as a warning."""

    attr: str
    title: str
    description: str
    unit: str = ""
    good_at: float | None = None


@dataclass(frozen=True)
class KindView:
    """What the KPI page shows for one kind: its process, table, charts and trends."""

    label: str
    process: str
    clause: str
    columns: tuple[Column, ...]
    charts: tuple[Chart, ...]
    trends: tuple[tuple[str, str], ...]


def _show(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}" if unit == "%" else text


_RESOLVE_COLUMNS = (
    Column(
        "Time to resolve, mean h (24×7 / business)",
        "mean_resolution_24x7_h",
        pair="mean_resolution_business_h",
    ),
    Column(
        "Time to resolve, median h (24×7 / business)",
        "median_resolution_24x7_h",
        pair="median_resolution_business_h",
    ),
    Column("Resolved within target", "resolution_within_pct", "%", of="resolution_with_target"),
)
KIND_VIEWS: dict[str, KindView] = {
    "incident": KindView(
        label="Incidents",
        process="Incident management",
        clause="8.6.1",
        columns=(
            Column("Opened", "opened"),
            Column("Major (P1)", "major"),
            Column("Resolved", "resolved"),
            Column("Backlog at month end", "backlog"),
            Column("Backlog mean age, days", "backlog_mean_age_days"),
            Column(
                "Time to respond, mean h (24×7 / business)",
                "mean_response_24x7_h",
                pair="mean_response_business_h",
            ),
            Column(
                "Time to respond, median h (24×7 / business)",
                "median_response_24x7_h",
                pair="median_response_business_h",
            ),
            Column(
                "Responded within target", "response_within_pct", "%", of="response_with_target"
            ),
            *_RESOLVE_COLUMNS,
            Column("Reopen rate", "reopen_rate_pct", "%"),
            Column("Reassignments per record", "reassignments_per_record"),
            Column(
                "First-contact resolution",
                "first_contact_resolution_pct",
                "%",
                of="first_contact_measured",
            ),
            Column("Linked to a problem", "linked_to_problem_pct", "%"),
            Column("Caused by a change", "caused_by_change_pct", "%"),
        ),
        charts=(
            Chart("opened", "Incidents opened per month", "Volume of incidents opened."),
            Chart(
                "resolution_within_pct",
                "Resolved within target, % per month",
                "Share of incidents resolved in each month that met their agreement target.",
                "%",
                95,
            ),
            Chart(
                "median_resolution_24x7_h",
                "Median time to resolve, hours (24×7)",
                "Median round-the-clock time to resolve of the incidents resolved each month.",
            ),
            Chart(
                "first_contact_resolution_pct",
                "First-contact resolution, % per month",
                "Share of incidents resolved each month without any reassignment.",
                "%",
            ),
        ),
        trends=(
            ("Records opened", "opened"),
            ("Resolved within target (%)", "resolution_within_pct"),
            ("Mean time to resolve, 24×7 (h)", "mean_resolution_24x7_h"),
            ("Median time to resolve, 24×7 (h)", "median_resolution_24x7_h"),
            ("First-contact resolution (%)", "first_contact_resolution_pct"),
        ),
    ),
    "request": KindView(
        label="Service requests",
        process="Service request management",
        clause="8.6.2",
        columns=(
            Column("Opened", "opened"),
            Column("Fulfilled", "resolved"),
            Column("Backlog at month end", "backlog"),
            Column("Backlog mean age, days", "backlog_mean_age_days"),
            Column(
                "Time to fulfil, mean h (24×7 / business)",
                "mean_resolution_24x7_h",
                pair="mean_resolution_business_h",
            ),
            Column(
                "Time to fulfil, median h (24×7 / business)",
                "median_resolution_24x7_h",
                pair="median_resolution_business_h",
            ),
            Column(
                "Fulfilled within SLA", "resolution_within_pct", "%", of="resolution_with_target"
            ),
            Column(
                "Responded within target", "response_within_pct", "%", of="response_with_target"
            ),
        ),
        charts=(
            Chart("opened", "Requests opened per month", "Volume of service requests opened."),
            Chart(
                "resolution_within_pct",
                "Fulfilled within SLA, % per month",
                "Share of requests fulfilled each month within their agreement target.",
                "%",
                95,
            ),
            Chart(
                "median_resolution_24x7_h",
                "Median time to fulfil, hours (24×7)",
                "Median round-the-clock time to fulfil of the requests fulfilled each month.",
            ),
            Chart("backlog", "Open requests at month end", "Requests still open at month end."),
        ),
        trends=(
            ("Requests opened", "opened"),
            ("Fulfilled within SLA (%)", "resolution_within_pct"),
            ("Median time to fulfil, 24×7 (h)", "median_resolution_24x7_h"),
        ),
    ),
    "problem": KindView(
        label="Problems",
        process="Problem management",
        clause="8.6.3",
        columns=(
            Column("Opened", "opened"),
            Column("Resolved or closed", "resolved"),
            Column("Open at month end", "backlog"),
            Column("Open problems' mean age, days", "backlog_mean_age_days"),
            Column("With a root cause", "root_cause_pct", "%"),
            Column("Known errors", "known_errors"),
            Column("Known errors, % of opened", "known_error_pct", "%"),
            Column("Time to known error, mean days", "mean_time_to_known_error_days"),
            Column("Time to known error, median days", "median_time_to_known_error_days"),
        ),
        charts=(
            Chart("opened", "Problems opened per month", "Problems opened each month."),
            Chart("backlog", "Open problems at month end", "Problems still open at month end."),
            Chart(
                "root_cause_pct",
                "Root cause recorded, % of problems opened",
                "Share of each month's problems that have a root cause recorded.",
                "%",
            ),
            Chart(
                "median_time_to_known_error_days",
                "Median time to known error, days",
                "Median days from opening to known error of each month's problems.",
            ),
        ),
        trends=(
            ("Problems opened", "opened"),
            ("Root cause recorded (%)", "root_cause_pct"),
            ("Median time to known error (days)", "median_time_to_known_error_days"),
        ),
    ),
    "change": KindView(
        label="Changes",
        process="Change management",
        clause="8.5.1",
        columns=(
            Column("Opened", "opened"),
            Column("Emergency", "changes_emergency"),
            Column("Emergency share", "emergency_pct", "%"),
            Column("Closed", "ended"),
            Column("Success rate", "success_rate_pct", "%", of="with_outcome"),
            Column("Successful with issues", "successful_with_issues"),
            Column("Unsuccessful", "unsuccessful"),
            Column("Rolled back", "rolled_back"),
            Column("Caused incidents", "caused_incidents"),
            Column("Failed (any of the three)", "failed"),
            Column("Failure rate", "failure_rate_pct", "%"),
            Column("Open at month end", "backlog"),
        ),
        charts=(
            Chart("opened", "Changes opened per month", "Changes raised each month."),
            Chart(
                "success_rate_pct",
                "Change success rate, %",
                "Successful changes among those closed each month with an outcome.",
                "%",
                90,
            ),
            Chart(
                "emergency_pct",
                "Emergency changes, % of changes opened",
                "Share of emergency changes among each month's changes with a type.",
                "%",
            ),
            Chart(
                "failed",
                "Failed changes per month",
                "Changes closed each month that were unsuccessful, rolled back or caused "
                "incidents.",
            ),
        ),
        trends=(
            ("Changes opened", "opened"),
            ("Change success rate (%)", "success_rate_pct"),
            ("Emergency changes (%)", "emergency_pct"),
            ("Failed changes", "failed"),
        ),
    ),
}


def kpi_charts(kind: str, months: Sequence[MonthKpi]) -> list[tuple[str, SafeString]]:
    """The kind's charts over ``months`` (the page shows the last 24): title and SVG."""
    charts = []
    for spec in KIND_VIEWS[kind].charts:
        bars = []
        for month in months:
            value = getattr(month, spec.attr)
            status, note = "neutral", ""
            if spec.good_at is not None and value is not None:
                met = value >= spec.good_at
                status = "ok" if met else "warn"
                note = f"≥ {spec.good_at:g} %" if met else f"< {spec.good_at:g} %"
            bars.append(
                Bar(
                    label=f"{month.month:%b %y}",
                    value=value,
                    status=status,
                    value_label=_show(value, spec.unit) if value is not None else "",
                    note=note,
                )
            )
        svg = bar_chart(
            bars,
            title=spec.title,
            description=spec.description + " From the monthly rollups.",
            y_max=100 if spec.unit == "%" else None,
            unit=" %" if spec.unit == "%" else "",
        )
        charts.append((spec.title, svg))
    return charts


def kpi_table(kind: str, months: Sequence[MonthKpi]) -> tuple[list[str], list[list[str]]]:
    """The kind's table: headings, and one row of shown values per month."""
    columns = KIND_VIEWS[kind].columns
    return (
        [column.label for column in columns],
        [[f"{m.month:%b %Y}", *(column.cell(m) for column in columns)] for m in months],
    )


def kpi_series(kind: str, months: Sequence[MonthKpi]) -> list[tuple[str, list[float | None]]]:
    """The kind's KPIs watched by control charts: label and monthly values."""
    value: Callable[[MonthKpi, str], float | None] = getattr
    return [
        (label, [value(month, attr) for month in months]) for label, attr in KIND_VIEWS[kind].trends
    ]
