"""Workflows of the process register: the default register, processes, KPIs and RACI."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from openitsms.catalogue.models import Requirement
from openitsms.processes.choices import Raci
from openitsms.processes.models import Process, ProcessKpi, RaciEntry
from openitsms.tenancy.models import Membership, Organisation

DEFAULT_PROCESSES_FILE = (
    Path(__file__).resolve().parent.parent / "catalogue" / "data" / "default_processes.json"
)
# The fields of a process that people edit (the rest is set by the system or by links).
EDITABLE_FIELDS = (
    "name",
    "slug",
    "kind",
    "purpose",
    "inputs",
    "outputs",
    "owner",
    "deputy",
    "procedure",
    "last_reviewed_on",
    "review_interval_months",
    "is_active",
    "position",
)
KPI_FIELDS = ("name", "target", "unit", "direction", "measurement")

RaciRow = tuple[str, Mapping[str, str]]


@dataclass(frozen=True)
class InstallResult:
    created: list[Process]
    existing: int

    @property
    def message(self) -> str:
        if not self.created:
            return f"The default process register is already installed ({self.existing} processes)."
        return (
            f"{len(self.created)} default process(es) installed"
            + (
                f"; {self.existing} already existed and were left as they were."
                if self.existing
                else "."
            )
            + " Name an owner and a deputy for each."
        )


def _primary_requirements() -> dict[str, Requirement]:
    requirements = {r.number: r for r in Requirement.objects.primary()}
    if not requirements:
        # The catalogue is reference data shipped with the app; load it on first need.
        from openitsms.catalogue.loader import load_catalogue

        load_catalogue()
        requirements = {r.number: r for r in Requirement.objects.primary()}
    return requirements


@functools.cache
def default_register() -> list[dict[str, Any]]:
    """The processes of the shipped default register (read once; do not change the result)."""
    with DEFAULT_PROCESSES_FILE.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("schema") != 1:
        raise ValueError(f"default_processes.json: unsupported schema {data.get('schema')!r}")
    processes: list[dict[str, Any]] = data["processes"]
    return processes


@transaction.atomic
def install_default_processes(*, organisation: Organisation) -> InstallResult:
    """Create the default SMS process register; processes that exist (by slug) are left alone.

    Each process gets its clauses, KPIs, inputs and outputs (one per line), interfaces and its
    suggested RACI activities (the rows of its matrix, waiting for their parties).
    """
    requirements = _primary_requirements()
    register = default_register()
    existing = {
        p.slug: p for p in Process.all_orgs.filter(organisation=organisation).only("pk", "slug")
    }
    start = (
        Process.all_orgs.filter(organisation=organisation).aggregate(m=Max("position"))["m"] or 0
    )
    created: list[Process] = []
    for index, entry in enumerate(register, start=1):
        if entry["slug"] in existing:
            continue
        process = Process(
            organisation=organisation,
            slug=entry["slug"],
            name=entry["name"],
            kind=entry["kind"],
            purpose=entry.get("purpose", ""),
            inputs="\n".join(entry.get("inputs", [])),
            outputs="\n".join(entry.get("outputs", [])),
            raci_activities=list(entry.get("raci_activities", [])),
            position=start + index * 10,
        )
        process.save()
        process.clauses.set(
            [requirements[n] for n in entry.get("clauses", []) if n in requirements]
        )
        for kpi in entry.get("kpis", []):
            ProcessKpi(
                organisation=organisation,
                process=process,
                name=kpi["name"],
                target=Decimal(str(kpi["target"])),
                unit=kpi.get("unit", ""),
                direction=kpi["direction"],
                measurement=kpi.get("measurement", ""),
            ).save()
        created.append(process)
        existing[process.slug] = process
    # Interfaces once every process exists, so that links forward in the file resolve.
    by_slug = {entry["slug"]: entry for entry in register}
    for process in created:
        targets = [
            existing[s] for s in by_slug[process.slug].get("interfaces", []) if s in existing
        ]
        if targets:
            process.interfaces.set(targets)
    return InstallResult(created=created, existing=len(register) - len(created))


def _check_member(organisation: Organisation, user: Any, field: str) -> None:
    if user is None:
        return
    if not Membership.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError({field: "Choose a member of this organisation."})


def _validate(process: Process) -> None:
    organisation = process.organisation
    errors: dict[str, list[str]] = {}
    for field in ("owner", "deputy"):
        try:
            _check_member(organisation, getattr(process, field), field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if process.owner_id and process.owner_id == process.deputy_id:
        errors["deputy"] = ["The deputy must be someone other than the owner."]
    if process.procedure_id is not None:
        procedure = process.procedure
        if procedure is None or procedure.organisation_id != organisation.pk:
            errors["procedure"] = ["Choose evidence of this organisation."]
        elif procedure.deleted_at is not None:
            errors["procedure"] = ["This evidence was deleted; choose another or restore it."]
    if (
        process.slug
        and Process.all_orgs.filter(organisation=organisation, slug=process.slug)
        .exclude(pk=process.pk)
        .exists()
    ):
        errors["slug"] = ["Another process already uses this short name."]
    try:
        process.full_clean(exclude=["organisation", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_interfaces(process: Process, interfaces: Iterable[Process]) -> list[Process]:
    targets = list(interfaces)
    if any(p.organisation_id != process.organisation_id for p in targets):
        raise ValidationError({"interfaces": "Choose processes of this organisation."})
    if any(p.pk == process.pk for p in targets):
        raise ValidationError({"interfaces": "A process does not interface with itself."})
    return targets


def unique_slug(organisation: Organisation, name: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(name) or "process")[:54]
    taken = set(
        Process.all_orgs.filter(organisation=organisation, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_process(
    *,
    organisation: Organisation,
    fields: Mapping[str, Any],
    clauses: Iterable[Requirement] = (),
    interfaces: Iterable[Process] = (),
) -> Process:
    """Create a process from ``fields`` (see :data:`EDITABLE_FIELDS`); the short name is made
    from the name when not given."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    process = Process(organisation=organisation, **fields)
    if not process.slug:
        process.slug = unique_slug(organisation, process.name)
    if "position" not in fields:
        top = Process.all_orgs.filter(organisation=organisation).aggregate(m=Max("position"))
        process.position = (top["m"] or 0) + 10
    _validate(process)
    process.save()
    process.clauses.set(list(clauses))
    targets = _check_interfaces(process, interfaces)
    if targets:
        process.interfaces.set(targets)
    return process


@transaction.atomic
def update_process(
    *,
    process: Process,
    changes: Mapping[str, Any],
    clauses: Iterable[Requirement] | None = None,
    interfaces: Iterable[Process] | None = None,
    membership: Membership | None = None,
) -> Process:
    """Change a process. A process owner (``membership`` without edit rights) may change the
    processes they own but not hand them to someone else."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if membership is not None and not process.editable_by(membership):
        raise PermissionDenied("Only owners, managers and the process's owner can change it.")
    if (
        membership is not None
        and not membership.can_edit
        and "owner" in changes
        and getattr(changes["owner"], "pk", changes["owner"]) != process.owner_id
    ):
        raise PermissionDenied("Only owners and managers can hand a process to another owner.")
    for name, value in changes.items():
        setattr(process, name, value)
    if not process.slug:
        process.slug = unique_slug(process.organisation, process.name, exclude_pk=process.pk)
    _validate(process)
    process.save()
    if clauses is not None:
        process.clauses.set(list(clauses))
    if interfaces is not None:
        process.interfaces.set(_check_interfaces(process, interfaces))
    return process


@transaction.atomic
def mark_reviewed(*, process: Process, on: date | None = None) -> Process:
    process.last_reviewed_on = on or timezone.localdate()
    process.save(update_fields=["last_reviewed_on"])
    return process


def _save_kpi(kpi: ProcessKpi) -> ProcessKpi:
    if kpi.target is not None and not isinstance(kpi.target, Decimal):
        kpi.target = Decimal(str(kpi.target))
    kpi.full_clean(exclude=["organisation", "process"])
    kpi.save()
    return kpi


@transaction.atomic
def create_kpi(*, process: Process, fields: Mapping[str, Any]) -> ProcessKpi:
    unknown = set(fields) - set(KPI_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    return _save_kpi(ProcessKpi(organisation_id=process.organisation_id, process=process, **fields))


@transaction.atomic
def update_kpi(*, kpi: ProcessKpi, changes: Mapping[str, Any]) -> ProcessKpi:
    unknown = set(changes) - set(KPI_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for name, value in changes.items():
        setattr(kpi, name, value)
    return _save_kpi(kpi)


@transaction.atomic
def delete_kpi(*, kpi: ProcessKpi) -> None:
    kpi.delete()


def _tidy(text: str) -> str:
    return " ".join((text or "").split())


def check_raci(rows: Sequence[RaciRow]) -> list[tuple[str, dict[str, str]]]:
    """The matrix with names tidied; ValidationError listing every broken rule.

    An activity may have no parties yet (a checklist entry). Once it has any, exactly one of
    them is accountable (A).
    """
    errors: list[str] = []
    seen: set[str] = set()
    clean: list[tuple[str, dict[str, str]]] = []
    for raw_activity, raw_codes in rows:
        activity = _tidy(raw_activity)
        codes: dict[str, str] = {}
        parties_seen: set[str] = set()
        for raw_party, raw_code in raw_codes.items():
            code = (raw_code or "").strip().upper()
            if not code:
                continue
            party = _tidy(raw_party)
            if not party:
                errors.append(f"“{activity or '(no name)'}”: a letter has no party.")
                continue
            if code not in Raci.values:
                errors.append(f"“{activity}”: “{raw_code}” is not R, A, C or I.")
                continue
            if party.lower() in parties_seen:
                errors.append(f"“{activity}”: the party “{party}” appears twice.")
                continue
            if len(party) > 120:
                errors.append(f"The party name “{party[:40]}…” is longer than 120 characters.")
                continue
            parties_seen.add(party.lower())
            codes[party] = code
        if not activity:
            if codes:
                errors.append("A row has letters but no activity; name the activity.")
            continue
        if len(activity) > 200:
            errors.append(f"The activity “{activity[:40]}…” is longer than 200 characters.")
            continue
        if activity.lower() in seen:
            errors.append(f"The activity “{activity}” appears twice.")
            continue
        seen.add(activity.lower())
        accountable = [p for p, c in codes.items() if c == Raci.ACCOUNTABLE]
        if codes and len(accountable) == 0:
            errors.append(f"“{activity}” has no accountable party: mark exactly one party with A.")
        elif len(accountable) > 1:
            errors.append(
                f"“{activity}” has {len(accountable)} accountable parties "
                f"({', '.join(accountable)}): exactly one party is accountable (A)."
            )
        clean.append((activity, codes))
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def set_raci(
    *, process: Process, rows: Sequence[RaciRow], parties: Sequence[str] = ()
) -> list[RaciEntry]:
    """Replace the whole RACI matrix of ``process``: its activities in order, their letters,
    and the order of the parties (``parties``; the others follow as they first appear).

    Only what changed reaches the audit trail: removed letters as deletes, changed letters as
    updates, new ones as creates.
    """
    clean = check_raci(rows)
    wanted = {(activity, party): code for activity, codes in clean for party, code in codes.items()}
    current = {(e.activity, e.party): e for e in RaciEntry.all_orgs.filter(process=process)}
    for key, entry in current.items():
        if key not in wanted:
            entry.delete()
    changed = [e for k, e in current.items() if k in wanted and e.code != wanted[k]]
    # Letters moving away from A first, so that at no moment an activity has two A's.
    for entry in sorted(changed, key=lambda e: wanted[(e.activity, e.party)] == Raci.ACCOUNTABLE):
        entry.code = wanted[(entry.activity, entry.party)]
        entry.save(update_fields=["code"])
    for (activity, party), code in wanted.items():
        if (activity, party) not in current:
            RaciEntry(
                organisation_id=process.organisation_id,
                process=process,
                activity=activity,
                party=party,
                code=code,
            ).save()
    activities = [activity for activity, _ in clean]
    used = [party for _, codes in clean for party in codes]
    order = [_tidy(p) for p in parties if _tidy(p) in used]
    order = list(dict.fromkeys([*order, *used]))
    if activities != process.raci_activities or order != process.raci_parties:
        process.raci_activities = activities
        process.raci_parties = order
        process.save(update_fields=["raci_activities", "raci_parties"])
    return list(RaciEntry.all_orgs.filter(process=process))


def raci_matrix(process: Process, entries: Iterable[RaciEntry] | None = None) -> dict[str, Any]:
    """Rows (activities in order, then any only found in entries) × parties, for display."""
    entries = list(entries if entries is not None else process.raci.all())
    activities = list(process.raci_activities)
    for entry in entries:
        if entry.activity not in activities:
            activities.append(entry.activity)
    present = {entry.party for entry in entries}
    parties = [party for party in process.raci_parties if party in present]
    for entry in entries:
        if entry.party not in parties:
            parties.append(entry.party)
    codes = {(e.activity, e.party): e.code for e in entries}
    rows = []
    for activity in activities:
        letters = [codes.get((activity, party), "") for party in parties]
        rows.append(
            {
                "activity": activity,
                "letters": letters,
                "assigned": any(letters),
                "accountable": letters.count(Raci.ACCOUNTABLE) == 1,
            }
        )
    return {"parties": parties, "rows": rows}
