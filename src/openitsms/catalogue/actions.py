"""Workflows of the catalogue: assessing how far an organisation meets requirements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from openitsms.catalogue.choices import ConformityStatus, OperatedBy
from openitsms.catalogue.models import Conformity, Requirement
from openitsms.catalogue.tree import org_today

if TYPE_CHECKING:
    from openitsms.tenancy.models import Organisation

NAME_THE_OPERATOR = "Name the party that operates this requirement."


@transaction.atomic
def set_conformity(
    *,
    organisation: Organisation,
    requirements: Iterable[Requirement],
    status: str | None,
    operated_by: str | None = None,
    operator_name: str | None = None,
    notes: str | None = None,
    assessed_by: Any,
) -> list[Conformity]:
    """Record one assessment for one or several requirements, all or nothing.

    ``None`` keeps a field as it is on each requirement (new assessments start as 'not
    assessed', operated by the organisation itself); a string, even empty, replaces it. Every
    row saved gets ``assessed_by`` and today's date; the audit trail records each change.
    Refuses with ``ValidationError`` (a dict by field) before anything is written.
    """
    chosen = list({r.pk: r for r in requirements}.values())
    if not chosen:
        raise ValidationError({"requirements": "Select at least one requirement."})
    if status is None and operated_by is None and operator_name is None and notes is None:
        raise ValidationError("Choose a status, who operates them, or notes to record.")
    errors: dict[str, str] = {}
    if status is not None and status not in ConformityStatus.values:
        errors["status"] = f"'{status}' is not a status; use one of {ConformityStatus.values}."
    if operated_by is not None and operated_by not in OperatedBy.values:
        errors["operated_by"] = f"'{operated_by}' is not one of {OperatedBy.values}."
    name = operator_name.strip() if operator_name is not None else None
    if operated_by == OperatedBy.ORGANISATION:
        name = ""  # nobody else to name: a stale name would mislead the auditor
    elif operated_by is not None and not name:
        errors["operator_name"] = NAME_THE_OPERATOR
    elif operated_by is None and name:
        errors["operated_by"] = "Choose who operates them as well as the operator's name."
    if errors:
        raise ValidationError(errors)

    existing = {
        c.requirement_id: c
        for c in Conformity.objects.filter(organisation=organisation)
        .select_for_update(of=("self",))
        .select_related("requirement")
        .filter(requirement_id__in=[r.pk for r in chosen])
    }
    today = org_today(organisation)
    rows: list[Conformity] = []
    refused: list[str] = []
    for requirement in sorted(chosen, key=lambda r: (r.standard_id, r.position)):
        row = existing.get(requirement.pk) or Conformity(
            organisation=organisation, requirement=requirement
        )
        if status is not None:
            row.status = status
        if operated_by is not None:
            row.operated_by = operated_by
        if name is not None:
            row.operator_name = name
        if notes is not None:
            row.notes = notes.strip()
        row.assessed_by = assessed_by
        row.assessed_on = today
        try:
            row.clean()
        except ValidationError:
            refused.append(requirement.number)
        rows.append(row)
    if refused:
        raise ValidationError(
            {"operator_name": f"{NAME_THE_OPERATOR} Missing for {', '.join(refused)}."}
        )
    for row in rows:
        row.save()
    return rows
