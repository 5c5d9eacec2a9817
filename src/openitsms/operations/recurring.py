"""Recurring incidents as problem candidates, and raising a problem from them.

:func:`problem_candidates` looks at the incidents not yet linked to a problem, opened in the
last ``lookback_days`` of the data. Incidents are grouped by what they affect — the
configuration item, else the service, else the category — and, within a group, clustered
by similar text: two titles are similar when they share at least half of their words of
three letters or more (Jaccard ≥ 0.5; incidents without a title compare by category). A
cluster spans at most ``window_days`` from its first incident; one with ``min_incidents``
or more is a candidate.

:func:`raise_problem` creates a problem record (source ``openitsms``) and links the
incidents to it (their ``problem_ref``), each change through the audit trail.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from openitsms.operations.actions import refresh_rollups
from openitsms.operations.choices import RecordKind, RecordStatus, Source
from openitsms.operations.models import Record
from openitsms.tenancy.models import Organisation

_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Candidate:
    affects: str
    what: str
    text: str
    incidents: list[Record]

    @property
    def first_opened(self) -> Any:
        return self.incidents[0].opened_at


def _words(record: Record) -> frozenset[str]:
    return frozenset(word.casefold() for word in _WORD.findall(record.title or record.category))


def _similar(first: frozenset[str], second: frozenset[str]) -> bool:
    if not first or not second:
        return first == second
    return len(first & second) / len(first | second) >= 0.5


def problem_candidates(
    *, window_days: int = 30, min_incidents: int = 3, lookback_days: int = 180
) -> list[Candidate]:
    """Groups of similar incidents on the same CI, service or category (see the module)."""
    incidents = Record.objects.filter(kind=RecordKind.INCIDENT, problem_ref="")
    latest = incidents.aggregate(latest=Max("opened_at"))["latest"]
    if latest is None:
        return []
    recent = incidents.filter(opened_at__gte=latest - timedelta(days=lookback_days)).only(
        "pk",
        "source_id",
        "title",
        "category",
        "configuration_item",
        "service_name",
        "opened_at",
        "status",
        "organisation_id",
    )
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in recent.order_by("opened_at", "pk").iterator(chunk_size=2000):
        for affects, value in (
            ("configuration item", record.configuration_item),
            ("service", record.service_name),
            ("category", record.category),
        ):
            if value:
                groups[(affects, value)].append(record)
                break
    window = timedelta(days=window_days)
    found: list[Candidate] = []
    for (affects, what), records in groups.items():
        clusters: list[tuple[frozenset[str], list[Record]]] = []
        for record in records:
            words = _words(record)
            for cluster_words, members in clusters:
                if record.opened_at - members[0].opened_at <= window and _similar(
                    words, cluster_words
                ):
                    members.append(record)
                    break
            else:
                clusters.append((words, [record]))
        for _words_of_cluster, members in clusters:
            if len(members) >= min_incidents:
                text = members[0].title or members[0].category or "(no title)"
                found.append(Candidate(affects, what, text, members))
    found.sort(key=lambda c: (-len(c.incidents), c.first_opened))
    return found


def raise_problem(
    *, organisation: Organisation, user: Any, incident_ids: list[int], title: str
) -> Record:
    """Create a problem record and link ``incident_ids`` to it (all or nothing)."""
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the problem a title."})
    with transaction.atomic():
        incidents = list(
            Record.objects.select_for_update().filter(kind=RecordKind.INCIDENT, pk__in=incident_ids)
        )
        if not incidents:
            raise ValidationError({"incidents": "Choose at least one incident of yours."})
        count = Record.objects.filter(source=Source.OPENITSMS, kind=RecordKind.PROBLEM).count()
        problem = Record(
            organisation=organisation,
            kind=RecordKind.PROBLEM,
            source=Source.OPENITSMS,
            source_id=f"PRB-{count + 1:05d}",
            title=title[:500],
            status=RecordStatus.NEW,
            opened_at=timezone.now(),
            service=incidents[0].service,
            service_name=incidents[0].service_name,
            configuration_item=incidents[0].configuration_item,
            category=incidents[0].category,
            fingerprint="",
        )
        problem.save()
        for incident in incidents:
            incident.problem_ref = problem.source_id
            incident.save(update_fields=["problem_ref"])
        # The new problem counts in the problem KPIs at once, not at the next import.
        refresh_rollups(organisation=organisation, records=[problem, *incidents])
    return problem
