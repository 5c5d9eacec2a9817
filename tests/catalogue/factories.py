"""Small builders for the catalogue tests: requirements by number, evidence, processes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from openitsms.catalogue.models import Conformity, Requirement
from openitsms.evidence.models import EvidenceItem
from openitsms.processes.models import Process


def req(number: str) -> Requirement:
    return Requirement.objects.primary().get(number=number)


def evidence(
    org: Any,
    *numbers: str,
    title: str = "Incident procedure",
    expires_in_days: int | None = 200,
    deleted: bool = False,
) -> EvidenceItem:
    """A live evidence item linked to the requirements ``numbers``; negative days = stale."""
    today = timezone.localdate()
    valid_until = None if expires_in_days is None else today + timedelta(days=expires_in_days)
    effective = min(today, valid_until) - timedelta(days=30) if valid_until else today
    item = EvidenceItem(
        organisation=org,
        title=title,
        kind="document",
        effective_on=effective,
        valid_until=valid_until,
        deleted_at=timezone.now() if deleted else None,
    )
    item.save()
    item.requirements.add(*[req(n) for n in numbers])
    return item


def process(org: Any, slug: str, *numbers: str, owner: Any = None, name: str = "") -> Process:
    p = Process(
        organisation=org,
        slug=slug,
        name=name or slug.replace("-", " ").capitalize(),
        kind="operational",
        owner=owner,
    )
    p.save()
    p.clauses.add(*[req(n) for n in numbers])
    return p


def conformity(org: Any, number: str, status: str = "conformant", **extra: Any) -> Conformity:
    row = Conformity(organisation=org, requirement=req(number), status=status, **extra)
    row.save()
    return row


def today() -> date:
    return timezone.localdate()
