"""The requirement tree as one organisation sees it: annotated rows, filters and the summary.

The tree page, the requirement page, the API and the exports all read through here, so that
a status or a freshness means the same thing everywhere. Every function runs a fixed number
of queries whatever the number of requirements, evidence items or processes.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone

from openitsms.catalogue.choices import (
    ConformityStatus,
    CrosswalkRelation,
    EvidenceFilter,
    EvidenceState,
    OperatedBy,
)
from openitsms.catalogue.models import (
    Conformity,
    Crosswalk,
    Requirement,
    RequirementQuerySet,
    Standard,
)
from openitsms.evidence.models import DUE_SOON_DAYS
from openitsms.processes.models import Process

if TYPE_CHECKING:
    from openitsms.audit.models import AuditEvent
    from openitsms.tenancy.models import Membership, Organisation


def org_today(org: Organisation) -> date:
    """Today's date where the organisation is (the API runs outside ``org_view``'s zone)."""
    try:
        zone = zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.localdate(timezone=zone)


def evidence_state(count: int, earliest: date | None, today: date) -> EvidenceState:
    """The worst freshness of a requirement's live evidence, from its count and soonest expiry."""
    if not count:
        return EvidenceState.NONE
    if earliest is None:
        return EvidenceState.UNDATED
    if earliest < today:
        return EvidenceState.STALE
    if earliest <= today + timedelta(days=DUE_SOON_DAYS):
        return EvidenceState.DUE_SOON
    return EvidenceState.CURRENT


@dataclass(frozen=True)
class RequirementFilters:
    """What the tree is narrowed to; every field empty means the whole tree."""

    status: str = ""
    clause: str = ""
    process: str = ""
    owner: int | None = None
    evidence: str = ""

    @property
    def active(self) -> bool:
        return bool(self.status or self.clause or self.process or self.owner or self.evidence)

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as GET parameters (for links that keep them)."""
        values = {
            "status": self.status,
            "clause": self.clause,
            "process": self.process,
            "owner": str(self.owner) if self.owner else "",
            "evidence": self.evidence,
        }
        return {k: v for k, v in values.items() if v}


def filtered(
    org: Organisation, filters: RequirementFilters, today: date, *, standard: str | None = None
) -> RequirementQuerySet:
    """The primary standard's requirements (or ``standard``'s), annotated and filtered."""
    qs = Requirement.objects.all()
    qs = qs.of_standard(standard) if standard else qs.primary()
    qs = qs.with_org_state(org).select_related("standard").order_by("position")
    if filters.status:
        qs = qs.with_status(filters.status)
    if filters.clause:
        qs = qs.in_clause(filters.clause)
    if filters.process:
        qs = qs.met_by_process(org, filters.process)
    if filters.owner:
        qs = qs.of_process_owner(org, filters.owner)
    if filters.evidence == EvidenceFilter.MISSING:
        qs = qs.evidence_missing()
    elif filters.evidence == EvidenceFilter.STALE:
        qs = qs.evidence_stale(today)
    return qs


@dataclass
class RequirementRow:
    """One requirement with this organisation's conformity, evidence and processes."""

    requirement: Requirement
    conformity: Conformity | None
    evidence_count: int
    freshness: EvidenceState
    processes: list[Process] = field(default_factory=list)
    can_assess: bool = False

    @property
    def status(self) -> str:
        return self.conformity.status if self.conformity else ConformityStatus.NOT_ASSESSED

    @property
    def status_label(self) -> str:
        return str(ConformityStatus(self.status).label)

    @property
    def freshness_label(self) -> str:
        return str(self.freshness.label)

    @property
    def operated_by_label(self) -> str:
        return self.conformity.get_operated_by_display() if self.conformity else ""

    @property
    def operator(self) -> str:
        """Who operates it, in a few words: 'In house' or the other party's name and kind."""
        if self.conformity is None:
            return ""
        if self.conformity.operated_by == OperatedBy.ORGANISATION:
            return "In house"
        return f"{self.conformity.operator_name} ({self.operated_by_label.lower()})"


def build_rows(
    org: Organisation,
    requirements: Iterable[Requirement],
    today: date,
    membership: Membership | None = None,
) -> list[RequirementRow]:
    """Rows for ``requirements`` (annotated by ``with_org_state``) in three queries in all."""
    requirements = list(requirements)
    ids = [r.pk for r in requirements]
    conformities = {
        c.requirement_id: c
        for c in Conformity.objects.filter(organisation=org)
        .filter(requirement_id__in=ids)
        .select_related("assessed_by", "requirement")
    }
    processes: dict[int, list[Process]] = defaultdict(list)
    links = (
        Process.clauses.through.objects.filter(
            process__organisation=org, process__is_active=True, requirement_id__in=ids
        )
        .select_related("process__owner", "process__deputy")
        .order_by("process__position", "process__name")
    )
    for link in links:
        processes[link.requirement_id].append(link.process)
    assessable = _assessable_ids(membership, processes)
    return [
        RequirementRow(
            requirement=r,
            conformity=conformities.get(r.pk),
            evidence_count=getattr(r, "evidence_count", 0),
            freshness=evidence_state(
                getattr(r, "evidence_count", 0), getattr(r, "evidence_earliest", None), today
            ),
            processes=processes.get(r.pk, []),
            can_assess=assessable is None or r.pk in assessable,
        )
        for r in requirements
    ]


def _assessable_ids(
    membership: Membership | None, processes: dict[int, list[Process]]
) -> set[int] | None:
    """None means every requirement (owners, managers); mirrors ``assessable_by``."""
    if membership is not None and membership.can_edit:
        return None
    if membership is None or not can_assess_any(membership):
        return set()
    user_id = membership.user_id
    return {
        requirement_id
        for requirement_id, procs in processes.items()
        if any(user_id in (p.owner_id, p.deputy_id) for p in procs)
    }


def can_assess_any(membership: Membership) -> bool:
    """Owners and managers assess everything; process owners assess what their processes meet."""
    from openitsms.tenancy.choices import Role

    return membership.can_edit or membership.role == Role.PROCESS_OWNER


def refuse_unassessable(membership: Membership, requirements: Iterable[Requirement]) -> None:
    """PermissionDenied (403 on pages and in the API) when a process owner picks requirements
    that no process they own or deputise for meets."""
    if membership.can_edit:
        return
    wanted = {r.pk: r for r in requirements}
    allowed = set(
        Requirement.objects.filter(pk__in=wanted)
        .assessable_by(membership)
        .values_list("pk", flat=True)
    )
    refused = sorted((r for pk, r in wanted.items() if pk not in allowed), key=lambda r: r.position)
    if refused:
        raise PermissionDenied(
            "You can assess only the requirements of processes you own or deputise for; "
            f"not {', '.join(r.number for r in refused)}."
        )


@dataclass(frozen=True)
class Summary:
    total: int
    conformant: int
    partial: int
    nonconformant: int
    not_assessed: int
    no_evidence: int
    stale_evidence: int

    @property
    def assessed(self) -> int:
        return self.total - self.not_assessed


def summarise(org: Organisation, today: date) -> Summary:
    """Counts over the whole primary standard, in one query."""
    qs = Requirement.objects.primary().with_org_state(org)
    counts: dict[str, Any] = qs.aggregate(
        total=Count("pk"),
        conformant=Count("pk", filter=Q(conformity_status=ConformityStatus.CONFORMANT)),
        partial=Count("pk", filter=Q(conformity_status=ConformityStatus.PARTIAL)),
        nonconformant=Count("pk", filter=Q(conformity_status=ConformityStatus.NONCONFORMANT)),
        not_assessed=Count("pk", filter=Q(conformity_status=ConformityStatus.NOT_ASSESSED)),
        no_evidence=Count("pk", filter=Q(evidence_count=0)),
        stale_evidence=Count("pk", filter=Q(evidence_earliest__lt=today)),
    )
    return Summary(**{k: v or 0 for k, v in counts.items()})


# -- One requirement ------------------------------------------------------------------------


@dataclass
class CrosswalkEntry:
    """Clauses of one standard mapped together, with one relation and one note."""

    clauses: list[str]
    relation: str
    note: str

    @property
    def relation_label(self) -> str:
        return str(CrosswalkRelation(self.relation).label)

    @property
    def annex_a(self) -> bool:
        return all(c.startswith("A.") for c in self.clauses)


@dataclass
class CrosswalkGroup:
    standard: Standard
    entries: list[CrosswalkEntry]

    @property
    def crosswalks(self) -> list[tuple[str, CrosswalkEntry]]:
        """One (clause, entry) pair per mapped clause."""
        return [(clause, entry) for entry in self.entries for clause in entry.clauses]


def _clause_key(clause: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order: numbered clauses before Annex A, and A.5.9 before A.5.10."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in clause.split("."))


def crosswalk_groups(requirement: Requirement) -> list[CrosswalkGroup]:
    """The requirement's mappings by target standard, in the order the standards were declared.

    Clauses that share a relation and a note (one mapping in the data file) are one entry, so
    that a note is read once, not once per Annex A control.
    """
    by_standard: dict[int, tuple[Standard, list[Crosswalk]]] = {}
    crosswalks = requirement.crosswalks.select_related("to_standard").order_by("to_standard_id")
    for cw in crosswalks:
        by_standard.setdefault(cw.to_standard_id, (cw.to_standard, []))[1].append(cw)
    groups = []
    for standard, rows in by_standard.values():
        rows.sort(key=lambda cw: _clause_key(cw.to_clause))
        entries: dict[tuple[str, str], CrosswalkEntry] = {}
        for cw in rows:
            entry = entries.setdefault(
                (cw.relation, cw.note), CrosswalkEntry([], cw.relation, cw.note)
            )
            entry.clauses.append(cw.to_clause)
        groups.append(CrosswalkGroup(standard, list(entries.values())))
    return groups


def ancestors(requirement: Requirement) -> list[Requirement]:
    """The clauses above this one, outermost first, in one query."""
    parts = requirement.number.split(".")
    numbers = [".".join(parts[:i]) for i in range(1, len(parts))]
    if not numbers:
        return []
    found = Requirement.objects.filter(standard_id=requirement.standard_id, number__in=numbers)
    return sorted(found, key=lambda r: r.depth)


# Conformity fields worth showing in a requirement's status history, with their labels.
HISTORY_FIELDS = {
    "status": ("Status", dict(ConformityStatus.choices)),
    "operated_by": ("Operated by", dict(OperatedBy.choices)),
    "operator_name": ("Operator", {}),
    "notes": ("Notes", {}),
    "assessed_on": ("Assessed on", {}),
}


def _history_value(name: str, value: Any, choices: dict[str, Any]) -> str:
    if value in (None, ""):
        return ""
    if name == "assessed_on":
        try:
            return date.fromisoformat(str(value)).strftime("%d %b %Y")
        except ValueError:
            return str(value)
    return str(choices.get(value, value))


@dataclass
class HistoryEntry:
    event: AuditEvent
    changes: list[tuple[str, str, str]]


def status_history(events: Sequence[AuditEvent]) -> list[HistoryEntry]:
    """Audit events of one Conformity in the user's words: labels instead of stored values."""
    entries = []
    for event in events:
        changes = []
        for name, (label, choices) in HISTORY_FIELDS.items():
            change = event.changes.get(name)
            if not isinstance(change, list) or len(change) != 2:
                continue
            before, after = (_history_value(name, v, choices) for v in change)
            changes.append((label, before, after))
        entries.append(HistoryEntry(event, changes))
    return entries
