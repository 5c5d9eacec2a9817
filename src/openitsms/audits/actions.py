"""Workflows of the audit programme, internal audits, findings and the certification cycle.

A major or minor nonconformity found by an audit opens a nonconformity through
``improvement.actions.raise_nonconformity``; an opportunity for improvement goes to the
improvement register through ``improvement.actions.create_improvement``. Every function refuses
bad input with a ``ValidationError`` naming the field to blame.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from openitsms.audits import cycle as rules
from openitsms.audits.choices import (
    GRADE_RESULT,
    NC_GRADES,
    ONCE_PER_CYCLE,
    PREPARED_KINDS,
    RESULT_GRADE,
    AuditStatus,
    ExternalAuditKind,
    ExternalAuditStatus,
    Grade,
    ItemResult,
    PrepTopic,
)
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    ChecklistItem,
    ExternalAudit,
    ExternalFinding,
    Finding,
    PreparationItem,
    ProgrammeFocus,
)
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions as improvement_actions
from openitsms.improvement.actions import (
    _collect,
    _set_evidence,
    _unknown,
    _validate,
    check_clause,
    check_member,
    check_same_org,
    next_number,
)
from openitsms.improvement.choices import (
    ImprovementSource,
    NonconformitySource,
    NonconformityStatus,
    Severity,
)
from openitsms.improvement.models import Improvement, Nonconformity
from openitsms.processes.models import Process
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Membership, Organisation

# Days an internal-audit nonconformity is given to close, by grade (editable on the NC).
INTERNAL_NC_DAYS = {Grade.MAJOR_NC: 30, Grade.MINOR_NC: 90}

CYCLE_FIELDS = (
    "certification_body",
    "certificate_number",
    "scope",
    "decision_on",
    "expires_on",
    "plan_days",
    "close_days",
    "lead_months",
    "notes",
)
EXTERNAL_AUDIT_FIELDS = (
    "kind",
    "window_opens",
    "window_target",
    "window_closes",
    "starts_on",
    "ends_on",
    "status",
    "auditor_name",
    "outcome",
)
WINDOW_FIELDS = ("window_opens", "window_target", "window_closes")
EXTERNAL_FINDING_FIELDS = (
    "cb_reference",
    "grade",
    "clause",
    "process",
    "description",
    "raised_on",
    "plan_due_on",
    "close_due_on",
    "plan_submitted_on",
    "closed_on",
)
PROGRAMME_FIELDS = ("title", "cycle", "starts_on", "ends_on", "objectives", "approach", "owner")
AUDIT_FIELDS = ("title", "scope", "criteria", "lead_auditor", "starts_on", "ends_on", "conclusion")
FINDING_FIELDS = ("grade", "title", "clause", "process", "description", "objective_evidence")
PREP_FIELDS = ("status", "owner", "notes")


def _stored(obj: Any, *fields: str) -> dict[str, Any]:
    """The values of ``fields`` as saved in the database (a bound form may have changed the
    instance already); the instance's own values for a record not saved yet."""
    if obj.pk is None:
        return {f: getattr(obj, f) for f in fields}
    row = type(obj).all_orgs.filter(pk=obj.pk).values(*fields).first() or {}
    return {f: row.get(f) for f in fields}


def _merge(errors: dict[str, list[str]], more: Mapping[str, list[str]]) -> None:
    for field, messages in more.items():
        errors.setdefault(field, []).extend(messages)


# ------------------------------------------------------------------ the certification cycle


def _check_cycle(cycle: CertificationCycle, errors: dict[str, list[str]]) -> None:
    if cycle.decision_on and cycle.expires_on and cycle.expires_on <= cycle.decision_on:
        errors.setdefault("expires_on", []).append(
            "The certificate must expire after the decision date."
        )
    if cycle.expires_on and not cycle.decision_on:
        errors.setdefault("decision_on", []).append(
            "Give the decision date too: the cycle starts on it."
        )


@transaction.atomic
def save_cycle(*, cycle: CertificationCycle, organisation: Organisation) -> CertificationCycle:
    """Create or change a certificate; plans its audits and recomputes their windows."""
    cycle.organisation = organisation
    if cycle.decision_on and not cycle.expires_on:
        cycle.expires_on = rules.default_expiry(cycle.decision_on)
    errors: dict[str, list[str]] = {}
    _check_cycle(cycle, errors)
    _validate(cycle, errors)
    creating = cycle.pk is None
    cycle.save()
    kinds = set(cycle.audits.values_list("kind", flat=True))
    wanted: list[str] = []
    if cycle.decision_on is None and creating:
        wanted = [ExternalAuditKind.STAGE1, ExternalAuditKind.STAGE2]
    if cycle.decision_on is not None:
        wanted = [
            ExternalAuditKind.SURVEILLANCE1,
            ExternalAuditKind.SURVEILLANCE2,
            ExternalAuditKind.RECERTIFICATION,
        ]
    for kind in wanted:
        if kind not in kinds:
            _new_external_audit(cycle, kind)
    recompute_windows(cycle=cycle)
    return cycle


def _new_external_audit(cycle: CertificationCycle, kind: str) -> ExternalAudit:
    audit = ExternalAudit(organisation_id=cycle.organisation_id, cycle=cycle, kind=kind)
    audit.save()
    if kind in PREPARED_KINDS:
        ensure_preparation(external_audit=audit)
    return audit


def windows_for(cycle: CertificationCycle) -> dict[str, rules.Window]:
    """The windows the rules give each kind of audit of ``cycle`` today."""
    if cycle.decision_on is None or cycle.expires_on is None:
        pending = rules.initial_window(None)
        return {kind: pending for kind in ExternalAuditKind.values}
    s1 = cycle.audits.filter(
        kind=ExternalAuditKind.SURVEILLANCE1, status=ExternalAuditStatus.HELD
    ).first()
    return rules.cycle_windows(
        cycle.decision_on,
        cycle.expires_on,
        close_days=cycle.close_days,
        lead_months=cycle.lead_months,
        surveillance_1_held=(s1.ends_on or s1.starts_on) if s1 else None,
    )


@transaction.atomic
def recompute_windows(*, cycle: CertificationCycle, reset: bool = False) -> None:
    """Set each audit's window from the rules; windows set by hand stay unless ``reset``."""
    windows = windows_for(cycle)
    for audit in cycle.audits.all():
        if audit.window_edited and not reset:
            continue
        window = windows[audit.kind]
        audit.window_opens = window.opens
        audit.window_target = window.target
        audit.window_closes = window.closes
        audit.window_rule = window.rule
        audit.window_edited = False
        audit.save()


def year_gaps(cycle: CertificationCycle) -> list[int]:
    """Calendar years of the cycle with no certification audit held or planned."""
    if cycle.decision_on is None or cycle.expires_on is None:
        return []
    audits = [a for a in cycle.audits.all() if a.status != ExternalAuditStatus.CANCELLED]
    days = [
        a.audit_day
        for a in audits
        if a.audit_day is not None
        and a.kind not in (ExternalAuditKind.STAGE1, ExternalAuditKind.STAGE2)
    ]
    recert = next((a for a in audits if a.kind == ExternalAuditKind.RECERTIFICATION), None)
    last = recert.audit_day if recert and recert.audit_day else cycle.expires_on
    return rules.years_without_audit(cycle.decision_on, last.year, days)


def _check_external_audit(audit: ExternalAudit, errors: dict[str, list[str]]) -> None:
    if audit.starts_on and audit.ends_on and audit.ends_on < audit.starts_on:
        errors.setdefault("ends_on", []).append("The last day cannot be before the first day.")
    if audit.window_opens and audit.window_closes and audit.window_closes < audit.window_opens:
        errors.setdefault("window_closes", []).append("The window cannot close before it opens.")
    if audit.status == ExternalAuditStatus.HELD and not audit.starts_on:
        errors.setdefault("starts_on", []).append("Give the days the audit was held.")
    if audit.kind in ONCE_PER_CYCLE and (
        ExternalAudit.all_orgs.filter(cycle_id=audit.cycle_id, kind=audit.kind)
        .exclude(pk=audit.pk)
        .exists()
    ):
        errors.setdefault("kind", []).append(
            f"This cycle already has its {audit.get_kind_display()} audit."
        )


@transaction.atomic
def save_external_audit(
    *,
    audit: ExternalAudit,
    changes: Mapping[str, Any],
    evidence: Iterable[Any] | None = None,
) -> ExternalAudit:
    """Create (``audit`` unsaved, with its cycle) or change a certification audit. A window
    changed by hand is kept as the body set it."""
    _unknown(changes, EXTERNAL_AUDIT_FIELDS)
    creating = audit.pk is None
    stored = _stored(audit, *WINDOW_FIELDS)
    for name, value in changes.items():
        if name in WINDOW_FIELDS and not creating and stored[name] != value:
            audit.window_edited = True
        setattr(audit, name, value)
    audit.organisation_id = audit.cycle.organisation_id
    errors: dict[str, list[str]] = {}
    _check_external_audit(audit, errors)
    _validate(audit, errors)
    if creating and not audit.window_edited:
        window = windows_for(audit.cycle)[audit.kind]
        audit.window_opens, audit.window_target = window.opens, window.target
        audit.window_closes, audit.window_rule = window.closes, window.rule
    if audit.window_edited:
        audit.window_rule = "Set by hand to the certification body's own dates."
    audit.save()
    _set_evidence(audit, audit.cycle.organisation, evidence)
    if creating and audit.kind in PREPARED_KINDS:
        ensure_preparation(external_audit=audit)
    if audit.kind == ExternalAuditKind.SURVEILLANCE1:
        # Surveillance 2 is timed from the day surveillance 1 was held.
        recompute_windows(cycle=audit.cycle)
        audit.refresh_from_db()
    return audit


@transaction.atomic
def ensure_preparation(*, external_audit: ExternalAudit) -> list[PreparationItem]:
    """The preparation checklist of a surveillance or recertification audit, one item per
    topic every surveillance covers; missing topics are added, none is duplicated."""
    have = set(external_audit.preparation.values_list("topic", flat=True))
    for topic in PrepTopic.values:
        if topic not in have:
            PreparationItem(
                organisation_id=external_audit.organisation_id,
                external_audit=external_audit,
                topic=topic,
            ).save()
    return list(external_audit.preparation.all())


@transaction.atomic
def update_preparation_item(
    *, item: PreparationItem, changes: Mapping[str, Any], evidence: Iterable[Any] | None = None
) -> PreparationItem:
    _unknown(changes, PREP_FIELDS)
    for name, value in changes.items():
        setattr(item, name, value)
    errors: dict[str, list[str]] = {}
    _collect(
        lambda: check_member(item.external_audit.organisation, item.owner, "owner", acting=True),
        errors,
    )
    _validate(item, errors)
    item.save()
    _set_evidence(item, item.external_audit.organisation, evidence)
    return item


def _check_finding_links(org: Organisation, clause: Any, process: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    _collect(lambda: check_same_org(org, "process", process), errors)
    _collect(lambda: check_clause(clause), errors)
    return errors


def _nc_owner(process: Process | None) -> Any:
    """The process owner leads the corrective action when they can act in the organisation."""
    if process is None or process.owner_id is None:
        return None
    membership = Membership.objects.filter(
        organisation_id=process.organisation_id, user_id=process.owner_id
    ).first()
    if membership is None or membership.role == Role.VIEWER:
        return None
    return process.owner


@transaction.atomic
def record_external_finding(
    *,
    external_audit: ExternalAudit,
    by: Any,
    grade: str,
    description: str,
    raised_on: date | None = None,
    cb_reference: str = "",
    clause: Requirement | None = None,
    process: Process | None = None,
    evidence: Iterable[Any] = (),
) -> ExternalFinding:
    """Record a finding of the body. Its deadlines come from the certificate (and are capped
    at its expiry); a major or minor nonconformity opens a nonconformity due at closure."""
    cycle = external_audit.cycle
    org = cycle.organisation
    raised_on = raised_on or external_audit.ends_on or org_today(org)
    deadlines = rules.finding_deadlines(
        raised_on,
        plan_days=cycle.plan_days,
        close_days=cycle.close_days,
        expires_on=cycle.expires_on,
    )
    finding = ExternalFinding(
        organisation_id=org.pk,
        external_audit=external_audit,
        cb_reference=cb_reference,
        grade=grade,
        clause=clause,
        process=process,
        description=description,
        raised_on=raised_on,
        plan_due_on=deadlines.plan_due if grade in NC_GRADES else None,
        close_due_on=deadlines.close_due if grade in NC_GRADES else None,
        deadlines_shortened=deadlines.shortened and grade in NC_GRADES,
    )
    errors = _check_finding_links(org, clause, process)
    if external_audit.starts_on and raised_on < external_audit.starts_on:
        errors.setdefault("raised_on", []).append(
            "A finding cannot be raised before the audit started."
        )
    _validate(finding, errors)
    finding.save()
    _set_evidence(finding, org, evidence)
    if grade in NC_GRADES:
        label = f"{external_audit.get_kind_display()} audit" + (
            f", finding {cb_reference}" if cb_reference else ""
        )
        finding.nonconformity = improvement_actions.raise_nonconformity(
            organisation=org,
            by=by,
            title=_title_from(description),
            description=description,
            source=NonconformitySource.EXTERNAL_AUDIT,
            severity=Severity.MAJOR if grade == Grade.MAJOR_NC else Severity.MINOR,
            clause=clause,
            process=process,
            owner=_nc_owner(process),
            raised_on=raised_on,
            due_on=finding.close_due_on,
            source_reference=f"{cycle.certification_body}: {label}"[:120],
            note=f"Raised by the certification body ({label}). Action plan due "
            f"{finding.plan_due_on:%d %b %Y}, closure due {finding.close_due_on:%d %b %Y}.",
        )
        finding.save(update_fields=["nonconformity"])
    return finding


@transaction.atomic
def update_external_finding(
    *, finding: ExternalFinding, changes: Mapping[str, Any], evidence: Iterable[Any] | None = None
) -> ExternalFinding:
    _unknown(changes, EXTERNAL_FINDING_FIELDS)
    org = finding.external_audit.cycle.organisation
    before_grade = _stored(finding, "grade")["grade"]
    for name, value in changes.items():
        setattr(finding, name, value)
    errors = _check_finding_links(org, finding.clause, finding.process)
    _grade_change_errors(before_grade, finding.grade, finding.nonconformity, errors)
    for field in ("plan_submitted_on", "closed_on"):
        value = getattr(finding, field)
        if value is not None and value < finding.raised_on:
            errors.setdefault(field, []).append("This cannot be before the finding was raised.")
        if value is not None and value > org_today(org):
            errors.setdefault(field, []).append("This cannot be in the future.")
    _validate(finding, errors)
    finding.save()
    _set_evidence(finding, org, evidence)
    _sync_nc_severity(finding.nonconformity, before_grade, finding.grade)
    return finding


def _title_from(text: str) -> str:
    """A short title from a finding's text: its first phrase, or its start."""
    flat = " ".join(text.split())
    for mark in (": ", ". ", "; "):
        head = flat.split(mark, 1)[0]
        if 12 <= len(head) < len(flat):
            flat = head
            break
    flat = flat.rstrip(".")
    return flat if len(flat) <= 100 else flat[:97].rstrip() + "…"


# ---------------------------------------------------------------------- the audit programme


def _check_programme(programme: AuditProgramme, errors: dict[str, list[str]]) -> None:
    org = programme.organisation
    if programme.starts_on and programme.ends_on and programme.ends_on <= programme.starts_on:
        errors.setdefault("ends_on", []).append("The programme must end after it starts.")
    _collect(lambda: check_same_org(org, "cycle", programme.cycle), errors)
    _collect(lambda: check_member(org, programme.owner, "owner", acting=True), errors)


@transaction.atomic
def save_programme(*, programme: AuditProgramme, organisation: Organisation) -> AuditProgramme:
    programme.organisation = organisation
    errors: dict[str, list[str]] = {}
    _check_programme(programme, errors)
    _validate(programme, errors)
    programme.save()
    return programme


@transaction.atomic
def set_focus(
    *, programme: AuditProgramme, process: Process, importance: int, reason: str = ""
) -> ProgrammeFocus:
    """Set how important ``process`` is to the programme (its weight in the coverage plan)."""
    check_same_org(programme.organisation, "process", process)
    focus = ProgrammeFocus.objects.filter(programme=programme, process=process).first()
    if focus is None:
        focus = ProgrammeFocus(
            organisation_id=programme.organisation_id, programme=programme, process=process
        )
    focus.importance = importance
    focus.reason = reason
    _validate(focus)
    focus.save()
    return focus


# --------------------------------------------------------------------------- internal audits


def _all_requirements() -> list[Requirement]:
    return list(Requirement.objects.primary().order_by("position"))


def expand_clauses(selected: Iterable[Requirement], tree: list[Requirement]) -> list[Requirement]:
    """``selected`` with all their sub-clauses, in clause order."""
    numbers = {r.number for r in selected}
    return [
        r for r in tree if r.number in numbers or any(r.number.startswith(f"{n}.") for n in numbers)
    ]


def independence_problems(
    *,
    organisation: Organisation,
    lead: Any,
    team: Iterable[Any],
    processes: Iterable[Process],
    clauses: Iterable[Requirement],
) -> dict[str, list[str]]:
    """Auditors may not audit their own work: the lead auditor and each team member must
    neither own nor deputise for a process in scope — named in the scope, or meeting one of
    its clauses."""
    auditors = [("lead_auditor", lead)] if lead is not None else []
    auditors += [("team", member) for member in team]
    if not auditors:
        return {}
    tree = _all_requirements()
    clause_ids = {r.pk for r in expand_clauses(clauses, tree)}
    named = {p.pk for p in processes}
    user_ids = {user.pk for _, user in auditors}
    candidates = Process.all_orgs.filter(
        Q(owner_id__in=user_ids) | Q(deputy_id__in=user_ids), organisation=organisation
    ).prefetch_related("clauses")
    errors: dict[str, list[str]] = {}
    for field, user in auditors:
        name = user.get_full_name() or user.username
        for process in candidates:
            role = (
                "owns"
                if process.owner_id == user.pk
                else "is deputy owner of"
                if process.deputy_id == user.pk
                else None
            )
            if role is None:
                continue
            if process.pk in named:
                reason = "which is in this audit's scope"
            else:
                met = sorted(
                    (r for r in process.clauses.all() if r.pk in clause_ids),
                    key=lambda r: r.position,
                )
                if not met:
                    continue
                reason = f"which meets clause {met[0].number} in this audit's scope"
            errors.setdefault(field, []).append(
                f"{name} {role} the process “{process.name}”, {reason}: an auditor may not "
                "audit their own process. Choose another auditor or take it out of scope."
            )
    return errors


def _check_audit(
    audit: Audit,
    team: list[Any],
    processes: list[Process],
    clauses: list[Requirement],
    errors: dict[str, list[str]],
) -> None:
    org = audit.programme.organisation
    if audit.starts_on and audit.ends_on and audit.ends_on < audit.starts_on:
        errors.setdefault("ends_on", []).append("The last day cannot be before the first day.")
    if audit.lead_auditor_id is None:
        errors.setdefault("lead_auditor", []).append("Name the lead auditor.")
    _collect(lambda: check_member(org, audit.lead_auditor, "lead_auditor", acting=True), errors)
    for member in team:
        _collect(lambda m=member: check_member(org, m, "team", acting=True), errors)
    if audit.lead_auditor_id is not None and any(m.pk == audit.lead_auditor_id for m in team):
        errors.setdefault("team", []).append("The lead auditor is already on the audit.")
    _collect(lambda: check_same_org(org, "processes", *processes), errors)
    for clause in clauses:
        _collect(lambda c=clause: check_clause(c, "clauses"), errors)
    if not clauses and not processes:
        errors.setdefault("clauses", []).append("Choose at least one clause or process to audit.")
    if "lead_auditor" not in errors and "team" not in errors:
        _merge(
            errors,
            independence_problems(
                organisation=org,
                lead=audit.lead_auditor,
                team=team,
                processes=processes,
                clauses=clauses,
            ),
        )


@transaction.atomic
def create_audit(
    *,
    programme: AuditProgramme,
    fields: Mapping[str, Any],
    clauses: Iterable[Requirement] = (),
    processes: Iterable[Process] = (),
    team: Iterable[Any] = (),
) -> Audit:
    """Plan an audit of the programme; its checklist is generated from the catalogue."""
    _unknown(fields, AUDIT_FIELDS)
    org = programme.organisation
    audit = Audit(organisation=org, programme=programme, number=next_number(Audit, org), **fields)
    clauses, processes, team = list(clauses), list(processes), list(team)
    errors: dict[str, list[str]] = {}
    _check_audit(audit, team, processes, clauses, errors)
    _validate(audit, errors)
    audit.save()
    audit.clauses.set(clauses)
    audit.processes.set(processes)
    audit.team.set(team)
    sync_checklist(audit=audit)
    return audit


@transaction.atomic
def update_audit(
    *,
    audit: Audit,
    changes: Mapping[str, Any],
    clauses: Iterable[Requirement] | None = None,
    processes: Iterable[Process] | None = None,
    team: Iterable[Any] | None = None,
) -> Audit:
    _unknown(changes, AUDIT_FIELDS)
    if audit.status in (AuditStatus.COMPLETED, AuditStatus.CANCELLED):
        raise ValidationError(
            f"{audit.reference} is {audit.get_status_display().lower()}; its record is kept."
        )
    for name, value in changes.items():
        setattr(audit, name, value)
    new_clauses = list(clauses) if clauses is not None else list(audit.clauses.all())
    new_processes = list(processes) if processes is not None else list(audit.processes.all())
    new_team = list(team) if team is not None else list(audit.team.all())
    errors: dict[str, list[str]] = {}
    _check_audit(audit, new_team, new_processes, new_clauses, errors)
    _validate(audit, errors)
    audit.save()
    if clauses is not None:
        audit.clauses.set(new_clauses)
    if processes is not None:
        audit.processes.set(new_processes)
    if team is not None:
        audit.team.set(new_team)
    if clauses is not None or processes is not None:
        sync_checklist(audit=audit)
    return audit


def _prompt(requirement: Requirement | None, process: Process | None) -> str:
    if requirement is None:
        return (
            f"How is “{process}” planned, performed, measured and improved? Check its "
            "procedure, records, KPIs and the actions taken on them."
        )
    prefix = f"For “{process}”: " if process is not None else ""
    return f"{prefix}{requirement.guidance}".strip() or f"{prefix}{requirement.title}"


@transaction.atomic
def sync_checklist(*, audit: Audit) -> list[ChecklistItem]:
    """Make the checklist match the scope: one item per lowest-level clause in scope, per
    process in scope for the clauses it meets. Items already checked, or with a finding, are
    kept even when their clause leaves the scope."""
    tree = _all_requirements()
    parents = {r.parent_id for r in tree if r.parent_id}
    leaves = [r for r in tree if r.pk not in parents]
    leaf_ids = {r.pk for r in leaves}
    wanted: dict[tuple[int | None, int | None], tuple[Requirement | None, Process | None]] = {}
    processes = list(audit.processes.prefetch_related("clauses"))
    for process in processes:
        met = [r for r in expand_clauses(process.clauses.all(), tree) if r.pk in leaf_ids]
        if not met:
            wanted[(None, process.pk)] = (None, process)
        for requirement in met:
            wanted[(requirement.pk, process.pk)] = (requirement, process)
    covered = {key[0] for key in wanted}
    for requirement in expand_clauses(audit.clauses.all(), tree):
        if requirement.pk in leaf_ids and requirement.pk not in covered:
            wanted[(requirement.pk, None)] = (requirement, None)

    existing = {
        (item.requirement_id, item.process_id): item
        for item in audit.items.select_related("finding")
    }
    for key, item in existing.items():
        if key not in wanted and not item.is_checked and not _has_finding(item):
            item.delete()
    positions = {r.pk: r.position for r in tree}
    process_order = {p.pk: i for i, p in enumerate(processes, start=1)}
    for key, (req, proc) in wanted.items():
        position = (positions.get(key[0] or 0, 0) * 100) + process_order.get(key[1] or 0, 0)
        if key in existing:
            item = existing[key]
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
            continue
        ChecklistItem(
            organisation_id=audit.organisation_id,
            audit=audit,
            requirement=req,
            process=proc,
            position=position,
            prompt=_prompt(req, proc),
        ).save()
    return list(audit.items.all())


def _has_finding(item: ChecklistItem) -> bool:
    try:
        return item.finding is not None
    except Finding.DoesNotExist:
        return False


def _check_runnable(audit: Audit) -> None:
    if audit.status == AuditStatus.COMPLETED:
        raise ValidationError(f"{audit.reference} is completed; its record is kept as it was.")
    if audit.status == AuditStatus.CANCELLED:
        raise ValidationError(f"{audit.reference} was cancelled.")


@transaction.atomic
def start_audit(*, audit: Audit) -> Audit:
    _check_runnable(audit)
    if audit.status == AuditStatus.PLANNED:
        audit.status = AuditStatus.IN_PROGRESS
        audit.save(update_fields=["status"])
    return audit


@transaction.atomic
def record_item_result(
    *,
    item: ChecklistItem,
    by: Any,
    result: str,
    notes: str = "",
    evidence: Iterable[Any] | None = None,
    on: date | None = None,
) -> ChecklistItem:
    """Record what the auditor found for one item. A nonconformity, observation or opportunity
    becomes a finding of the audit at once (a major or minor one opens a nonconformity)."""
    audit = item.audit
    _check_runnable(audit)
    if result not in ItemResult.values:
        raise ValidationError({"result": "Choose one of the listed results."})
    finding = item.finding if _has_finding(item) else None
    if finding is not None and result != GRADE_RESULT.get(Grade(finding.grade), result):
        raise ValidationError(
            {
                "result": f"This item's finding {finding.reference} is recorded; change the "
                "finding's grade instead."
            }
        )
    if result in RESULT_GRADE and not notes.strip():
        raise ValidationError({"notes": "Describe what you found: it becomes the finding."})
    start_audit(audit=audit)
    item.result = result
    item.notes = notes.strip()
    item.checked_by = by if result != ItemResult.NOT_CHECKED else None
    day = on or org_today(audit.organisation)
    item.checked_on = day if result != ItemResult.NOT_CHECKED else None
    item.save()
    _set_evidence(item, audit.organisation, evidence)
    if result in RESULT_GRADE and finding is None:
        record_finding(
            audit=audit,
            by=by,
            grade=RESULT_GRADE[ItemResult(result)],
            title=_title_from(item.notes),
            description=item.notes,
            clause=item.requirement,
            process=item.process,
            checklist_item=item,
            evidence=list(item.evidence.all()),
            recorded_on=day,
        )
    return item


def _grade_change_errors(
    before: str, after: str, nc: Nonconformity | None, errors: dict[str, list[str]]
) -> None:
    if before in NC_GRADES and after not in NC_GRADES:
        errors.setdefault("grade", []).append(
            "A nonconformity is never downgraded to an observation, an opportunity or good "
            "practice; it stays a major or minor nonconformity."
        )
    if before != after and nc is not None and nc.status == NonconformityStatus.CLOSED:
        errors.setdefault("grade", []).append(
            f"{nc.reference} is closed; the grade of its finding is kept."
        )


def _sync_nc_severity(nc: Nonconformity | None, before: str, after: str) -> None:
    if nc is None or before == after or after not in NC_GRADES:
        return
    nc.severity = Severity.MAJOR if after == Grade.MAJOR_NC else Severity.MINOR
    nc.save(update_fields=["severity"])
    improvement_actions.add_nonconformity_note(
        nc=nc,
        author=None,
        body=f"The finding was regraded to {Grade(after).label.lower()}; severity updated.",
    )


def _open_nc_for(finding: Finding, by: Any) -> None:
    audit = finding.audit
    days = INTERNAL_NC_DAYS.get(Grade(finding.grade), 90)
    description = finding.description
    if finding.objective_evidence:
        description += f"\n\nObjective evidence: {finding.objective_evidence}"
    finding.nonconformity = improvement_actions.raise_nonconformity(
        organisation=audit.organisation,
        by=by,
        title=finding.title,
        description=description,
        source=NonconformitySource.INTERNAL_AUDIT,
        severity=Severity.MAJOR if finding.grade == Grade.MAJOR_NC else Severity.MINOR,
        clause=finding.clause,
        process=finding.process,
        owner=_nc_owner(finding.process),
        raised_on=finding.recorded_on,
        due_on=finding.recorded_on + timedelta(days=days),
        source_reference=f"{audit.reference} {finding.reference}",
        note=f"Opened automatically by finding {finding.reference} of internal audit "
        f"{audit.reference} “{audit.title}”.",
    )
    finding.save(update_fields=["nonconformity"])


@transaction.atomic
def record_finding(
    *,
    audit: Audit,
    by: Any,
    grade: str,
    title: str,
    description: str,
    clause: Requirement | None = None,
    process: Process | None = None,
    objective_evidence: str = "",
    evidence: Iterable[Any] = (),
    checklist_item: ChecklistItem | None = None,
    recorded_on: date | None = None,
) -> Finding:
    """Record a finding; a major or minor nonconformity opens a nonconformity record."""
    _check_runnable(audit)
    org = audit.organisation
    finding = Finding(
        organisation=org,
        audit=audit,
        number=next_number(Finding, org),
        grade=grade,
        title=title,
        clause=clause,
        process=process,
        description=description,
        objective_evidence=objective_evidence,
        checklist_item=checklist_item,
        recorded_by=by,
        recorded_on=recorded_on or org_today(org),
    )
    errors = _check_finding_links(org, clause, process)
    if checklist_item is not None and checklist_item.audit_id != audit.pk:
        errors.setdefault("checklist_item", []).append("Choose an item of this audit.")
    _validate(finding, errors)
    start_audit(audit=audit)
    finding.save()
    _set_evidence(finding, org, evidence)
    if grade in NC_GRADES:
        _open_nc_for(finding, by)
    if checklist_item is not None and checklist_item.result != GRADE_RESULT.get(Grade(grade)):
        result = GRADE_RESULT.get(Grade(grade))
        if result is not None:
            checklist_item.result = result
            checklist_item.save(update_fields=["result"])
    return finding


@transaction.atomic
def update_finding(
    *, finding: Finding, by: Any, changes: Mapping[str, Any], evidence: Iterable[Any] | None = None
) -> Finding:
    """Change a finding. Raising it to a nonconformity opens one; a nonconformity is never
    downgraded."""
    _unknown(changes, FINDING_FIELDS)
    _check_runnable(finding.audit)
    before = _stored(finding, "grade")["grade"]
    for name, value in changes.items():
        setattr(finding, name, value)
    errors = _check_finding_links(finding.organisation, finding.clause, finding.process)
    _grade_change_errors(before, finding.grade, finding.nonconformity, errors)
    _validate(finding, errors)
    finding.save()
    _set_evidence(finding, finding.organisation, evidence)
    if finding.grade in NC_GRADES and finding.nonconformity is None:
        _open_nc_for(finding, by)
    else:
        _sync_nc_severity(finding.nonconformity, before, finding.grade)
    item = finding.checklist_item
    result = GRADE_RESULT.get(Grade(finding.grade))
    if item is not None and result is not None and item.result != result:
        item.result = result
        item.save(update_fields=["result"])
    return finding


@transaction.atomic
def send_to_improvement(*, finding: Finding | ExternalFinding, by: Any) -> Improvement:
    """Put an opportunity for improvement in the improvement register (once)."""
    if finding.grade != Grade.OFI:
        raise ValidationError("Only an opportunity for improvement goes to the register.")
    if finding.improvement_id is not None:
        raise ValidationError(
            f"It is already in the register as {finding.improvement.reference}."  # type: ignore[union-attr]
        )
    if isinstance(finding, Finding):
        org = finding.organisation
        source = ImprovementSource.INTERNAL_AUDIT
        reference = f"{finding.audit.reference} {finding.reference}"
        title = finding.title
    else:
        org = finding.external_audit.cycle.organisation
        source = ImprovementSource.EXTERNAL_AUDIT
        reference = f"{finding.external_audit} {finding.cb_reference}".strip()
        title = _title_from(finding.description)
    improvement = improvement_actions.create_improvement(
        organisation=org,
        by=by,
        fields={
            "title": title,
            "description": finding.description,
            "source": source,
            "source_reference": reference[:120],
            "process": finding.process,
            "clause": finding.clause,
            "owner": _nc_owner(finding.process),
        },
    )
    finding.improvement = improvement
    finding.save(update_fields=["improvement"])
    return improvement


def completion_problems(audit: Audit) -> list[str]:
    problems: list[str] = []
    items = list(audit.items.all())
    if items and not any(item.is_checked for item in items):
        problems.append("Check at least one item of the checklist.")
    if not audit.conclusion.strip():
        problems.append("Write the auditors' conclusion for the report.")
    return problems


@transaction.atomic
def complete_audit(*, audit: Audit, conclusion: str | None = None, on: date | None = None) -> Audit:
    """Complete the audit: the report is final and the coverage matrix counts it."""
    _check_runnable(audit)
    if conclusion is not None:
        audit.conclusion = conclusion.strip()
    problems = completion_problems(audit)
    if problems:
        raise ValidationError(problems)
    audit.status = AuditStatus.COMPLETED
    audit.completed_on = on or org_today(audit.organisation)
    audit.save(update_fields=["status", "completed_on", "conclusion"])
    return audit


@transaction.atomic
def cancel_audit(*, audit: Audit) -> Audit:
    _check_runnable(audit)
    if audit.findings.exists():
        raise ValidationError("An audit with findings cannot be cancelled; complete it.")
    audit.status = AuditStatus.CANCELLED
    audit.save(update_fields=["status"])
    return audit


def check_runnable_by(audit: Audit, membership: Membership) -> None:
    if not audit.runnable_by(membership):
        raise PermissionDenied(
            "Only owners, managers and the auditors of this audit can record its results."
        )
