"""The coverage matrix of an audit programme: every clause and process against the programme's
audits, and what is not yet audited in the cycle.

A clause counts as **audited** when an audit of the programme checked it (a checklist item with
a result other than "not checked"); **planned** when a planned or running audit has it on its
checklist; otherwise it is a **gap**. A heading (4, 8.2...) aggregates its sub-clauses.

A process is weighted by its importance in the programme (low 1, normal 2, high 3) plus its
previous results: each major nonconformity found on it in the last three years adds 2, each
minor one 1, at most 3 in all. A weight up to 2 asks for one audit in the cycle, 3–4 for two,
5 and more for three. The whole matrix takes a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from openitsms.audits.choices import (
    NC_GRADES,
    AuditStatus,
    CoverageState,
    Grade,
    Importance,
    ItemResult,
)
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    ChecklistItem,
    ExternalFinding,
    Finding,
    ProgrammeFocus,
)
from openitsms.catalogue.models import Requirement
from openitsms.processes.models import Process

LOOKBACK_DAYS = 3 * 365
MAX_RESULT_WEIGHT = 3

CELL_LABELS = {
    "audited": "Audited",
    "planned": "Planned",
    "missed": "In scope, not checked",
    "": "",
}


@dataclass
class ClauseRow:
    requirement: Requirement
    state: CoverageState
    cells: list[str]
    audited: int = 0
    leaves: int = 1

    @property
    def indent(self) -> int:
        return self.requirement.depth

    @property
    def detail(self) -> str:
        if self.leaves > 1:
            return f"{self.audited} of {self.leaves} sub-clauses audited"
        return ""


@dataclass
class ProcessRow:
    process: Process
    importance: int
    previous_results: int
    recommended: int
    audited: int
    planned: int
    state: CoverageState
    cells: list[str]

    @property
    def weight(self) -> int:
        return self.importance + min(self.previous_results, MAX_RESULT_WEIGHT)

    @property
    def reasons(self) -> str:
        parts = [f"{Importance(self.importance).label} importance"]
        if self.previous_results:
            parts.append(f"previous results weigh {self.previous_results}")
        times = {1: "once", 2: "twice"}.get(self.recommended, f"{self.recommended} times")
        return f"{', '.join(parts)}: audit {times} in the cycle"


@dataclass
class Coverage:
    programme: AuditProgramme
    audits: list[Audit]
    clauses: list[ClauseRow]
    processes: list[ProcessRow]
    elapsed: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def clause_gaps(self) -> list[ClauseRow]:
        return [row for row in self.clauses if row.state == CoverageState.GAP]

    @property
    def process_gaps(self) -> list[ProcessRow]:
        return [row for row in self.processes if row.state == CoverageState.GAP]

    @property
    def leaf_gaps(self) -> list[ClauseRow]:
        return [row for row in self.clause_gaps if row.leaves == 1]


def recommended_audits(weight: int) -> int:
    if weight <= 2:
        return 1
    if weight <= 4:
        return 2
    return 3


def _state(audited: int, planned: int, wanted: int) -> CoverageState:
    if audited >= wanted:
        return CoverageState.AUDITED
    if audited + planned >= wanted:
        return CoverageState.PLANNED
    if audited or planned:
        return CoverageState.PARTLY
    return CoverageState.GAP


def programme_coverage(programme: AuditProgramme, today: date) -> Coverage:
    org = programme.organisation
    audits = list(
        Audit.objects.for_org(org)
        .filter(programme=programme)
        .exclude(status=AuditStatus.CANCELLED)
        .prefetch_related("processes")
        .order_by("starts_on", "number")
    )
    open_audits = {a.pk for a in audits if a.status != AuditStatus.COMPLETED}
    position = {a.pk: i for i, a in enumerate(audits)}
    items = ChecklistItem.objects.filter(organisation=org, audit_id__in=position).values_list(
        "audit_id", "requirement_id", "process_id", "result"
    )
    # (requirement or process id, audit id) -> cell
    req_cells: dict[tuple[int, int], str] = {}
    proc_cells: dict[tuple[int, int], str] = {}

    def mark(cells: dict[tuple[int, int], str], key: tuple[int, int], result: str) -> None:
        if result != ItemResult.NOT_CHECKED:
            cells[key] = "audited"
        elif cells.get(key) != "audited":
            cells[key] = "planned" if key[1] in open_audits else "missed"

    for audit_id, requirement_id, process_id, result in items:
        if requirement_id is not None:
            mark(req_cells, (requirement_id, audit_id), result)
        if process_id is not None:
            mark(proc_cells, (process_id, audit_id), result)
    for audit in audits:
        for process in audit.processes.all():
            if (process.pk, audit.pk) not in proc_cells and audit.pk in open_audits:
                proc_cells[(process.pk, audit.pk)] = "planned"

    tree = list(Requirement.objects.primary().order_by("position"))
    parents = {r.parent_id for r in tree if r.parent_id}
    leaves_under: dict[int, list[Requirement]] = defaultdict(list)
    by_number = {r.number: r for r in tree}
    for r in tree:
        if r.pk in parents:
            continue
        parts = r.number.split(".")
        for depth in range(1, len(parts) + 1):
            ancestor = by_number.get(".".join(parts[:depth]))
            if ancestor is not None:
                leaves_under[ancestor.pk].append(r)

    clause_rows: list[ClauseRow] = []
    for r in tree:
        leaves = leaves_under.get(r.pk, [r])
        cells: list[str] = []
        for audit in audits:
            marks = [req_cells.get((leaf.pk, audit.pk), "") for leaf in leaves]
            if "audited" in marks:
                cells.append("audited")
            elif "planned" in marks:
                cells.append("planned")
            elif "missed" in marks:
                cells.append("missed")
            else:
                cells.append("")
        audited = sum(
            1 for leaf in leaves if any(req_cells.get((leaf.pk, a.pk)) == "audited" for a in audits)
        )
        planned = sum(
            1
            for leaf in leaves
            if not any(req_cells.get((leaf.pk, a.pk)) == "audited" for a in audits)
            and any(req_cells.get((leaf.pk, a.pk)) == "planned" for a in audits)
        )
        state = _state(audited, planned, len(leaves))
        clause_rows.append(
            ClauseRow(requirement=r, state=state, cells=cells, audited=audited, leaves=len(leaves))
        )

    since = today - timedelta(days=LOOKBACK_DAYS)
    weights: dict[int, int] = defaultdict(int)
    internal = Finding.objects.filter(
        organisation=org, grade__in=NC_GRADES, process__isnull=False, recorded_on__gte=since
    ).values_list("process_id", "grade")
    external = ExternalFinding.objects.filter(
        organisation=org, grade__in=NC_GRADES, process__isnull=False, raised_on__gte=since
    ).values_list("process_id", "grade")
    for process_id, grade in [*internal, *external]:
        weights[process_id] += 2 if grade == Grade.MAJOR_NC else 1
    importance = dict(
        ProgrammeFocus.objects.filter(organisation=org, programme=programme).values_list(
            "process_id", "importance"
        )
    )
    process_rows: list[ProcessRow] = []
    for process in Process.objects.for_org(org).filter(is_active=True).order_by("position", "name"):
        cells = [proc_cells.get((process.pk, a.pk), "") for a in audits]
        level = importance.get(process.pk, Importance.NORMAL)
        previous = weights.get(process.pk, 0)
        wanted = recommended_audits(level + min(previous, MAX_RESULT_WEIGHT))
        audited = cells.count("audited")
        planned = cells.count("planned")
        process_rows.append(
            ProcessRow(
                process=process,
                importance=level,
                previous_results=previous,
                recommended=wanted,
                audited=audited,
                planned=planned,
                state=_state(audited, planned, wanted),
                cells=cells,
            )
        )
    coverage = Coverage(
        programme=programme,
        audits=audits,
        clauses=clause_rows,
        processes=process_rows,
        elapsed=programme.elapsed_share(today),
    )
    coverage.counts = {
        "clauses": len(clause_rows),
        "clauses_audited": sum(1 for r in clause_rows if r.state == CoverageState.AUDITED),
        "clause_gaps": len(coverage.clause_gaps),
        "processes": len(process_rows),
        "processes_audited": sum(1 for r in process_rows if r.state == CoverageState.AUDITED),
        "process_gaps": len(coverage.process_gaps),
    }
    return coverage
