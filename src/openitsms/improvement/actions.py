"""Workflows of the action tracker, nonconformities and the improvement register.

Every function validates what it is given (records of the same organisation, members as people,
dates in order) and raises ``ValidationError`` with the field to blame, so that pages show the
message next to the field and the API answers 422 with it. The rules of closing a
nonconformity live in :func:`closure_problems`, :func:`close_nonconformity` and
:func:`record_effectiveness_check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils.formats import date_format

from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement.choices import (
    ActionKind,
    ActionStatus,
    CheckResult,
    Decision,
    ImprovementStatus,
    NonconformityStatus,
    NoteKind,
)
from openitsms.improvement.models import (
    Action,
    ActionComment,
    EffectivenessCheck,
    Improvement,
    ImprovementTarget,
    Nonconformity,
    NonconformityNote,
)
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import OrgScopedModel

M = TypeVar("M", bound=models.Model)

# Fields people edit on each record; the rest is set by the workflows below.
ACTION_FIELDS = ("title", "description", "kind", "owner", "due_on", "priority")
ACTION_PROGRESS_FIELDS = ("status", "completion_notes", "completed_on")
NONCONFORMITY_FIELDS = (
    "title",
    "description",
    "source",
    "source_reference",
    "severity",
    "clause",
    "process",
    "owner",
    "raised_on",
    "due_on",
    "containment",
    "correction",
)
ANALYSIS_FIELDS = ("whys", "root_cause", "cause_category", "similar_review", "sms_changes")
IMPROVEMENT_FIELDS = (
    "title",
    "description",
    "source",
    "source_reference",
    "process",
    "clause",
    "owner",
    "raised_on",
    "due_on",
    "benefit",
    "cost",
    "risk",
)
TARGET_FIELDS = ("area", "description", "unit", "direction", "baseline", "target")
MEASURE_FIELDS = ("measured", "measured_on", "notes")


def _d(value: date) -> str:
    return date_format(value, "j M Y")


# ------------------------------------------------------------------------------ shared checks


def next_number(model: type[M], organisation: Organisation) -> int:
    """The next free per-organisation number (NC-001, A-0001...).

    Called inside the caller's transaction; the organisation's row is locked first so that two
    requests at once cannot take the same number (PostgreSQL; SQLite writes one at a time).
    """
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    top = model.all_orgs.filter(organisation=organisation).aggregate(m=Max("number"))["m"]  # type: ignore[attr-defined]
    return int(top or 0) + 1


def check_member(
    organisation: Organisation, user: Any, field: str, *, acting: bool = False
) -> None:
    """``user`` must be a member of ``organisation``; with ``acting``, one who may act (not a
    viewer, who only reads)."""
    if user is None:
        return
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None:
        raise ValidationError({field: "Choose a member of this organisation."})
    if acting and membership.role == Role.VIEWER:
        raise ValidationError(
            {field: f"{user} is a viewer and cannot act on records; choose another member."}
        )


def check_same_org(organisation: Organisation, field: str, *objs: Any) -> None:
    """Linked records must belong to ``organisation`` (another organisation's are refused)."""
    for obj in objs:
        if obj is None:
            continue
        if isinstance(obj, OrgScopedModel) and obj.organisation_id != organisation.pk:
            raise ValidationError({field: "Choose a record of this organisation."})


def check_clause(clause: Requirement | None, field: str = "clause") -> None:
    if clause is not None and clause.standard.key != "iso20000-1-2018":
        raise ValidationError({field: "Choose a clause of ISO/IEC 20000-1:2018."})


def _validate(obj: models.Model, errors: dict[str, list[str]] | None = None) -> None:
    """``full_clean`` merged with ``errors`` found earlier, raised as one ValidationError."""
    errors = dict(errors or {})
    try:
        obj.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _unknown(fields: Iterable[str], allowed: Sequence[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")


def _collect(check: Any, errors: dict[str, list[str]]) -> None:
    try:
        check()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)


def _set_evidence(obj: Any, organisation: Organisation, evidence: Iterable[Any] | None) -> None:
    if evidence is None:
        return
    items = list(evidence)
    check_same_org(organisation, "evidence", *items)
    obj.evidence.set(items)


# ------------------------------------------------------------------------------ the tracker


def find_source(reference: str) -> models.Model:
    """The record named ``app_label.model:id`` (e.g. ``audits.finding:12``) in the current
    organisation, as the source of an action; Http404 for anything else."""
    from django.apps import apps
    from django.http import Http404

    label, _, pk = reference.partition(":")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404("No such kind of record.") from None
    if (
        not issubclass(model, OrgScopedModel)
        or model in (Action, ActionComment)
        or not pk.isdigit()
    ):
        raise Http404("Actions cannot be raised by this kind of record.")
    found: models.Model | None = model.objects.filter(pk=int(pk)).first()
    if found is None:
        raise Http404("No such record in this organisation.")
    return found


@transaction.atomic
def create_action(
    *,
    organisation: Organisation,
    by: Any,
    title: str,
    owner: Any,
    due_on: date,
    description: str = "",
    kind: str = ActionKind.FOLLOW_UP,
    priority: str = "medium",
    evidence: Iterable[Any] = (),
    nonconformity: Nonconformity | None = None,
    improvement: Improvement | None = None,
    source: models.Model | None = None,
) -> Action:
    """Open an action, raised by at most one record of the same organisation."""
    if sum(x is not None for x in (nonconformity, improvement, source)) > 1:
        raise ValidationError("An action is raised by one record at most.")
    action = Action(
        organisation=organisation,
        number=next_number(Action, organisation),
        title=title,
        description=description,
        kind=kind,
        owner=owner,
        due_on=due_on,
        priority=priority,
        nonconformity=nonconformity,
        improvement=improvement,
        created_by=by,
    )
    if source is not None:
        if not isinstance(source, OrgScopedModel) or source.pk is None:
            raise ValidationError("Actions link only to saved records of an organisation.")
        action.source_type = ContentType.objects.get_for_model(source)
        action.source_id = source.pk
    errors: dict[str, list[str]] = {}
    if owner is None:
        errors["owner"] = ["Name the member who owns the action."]
    _collect(lambda: check_member(organisation, owner, "owner", acting=True), errors)
    _collect(
        lambda: check_same_org(organisation, "source", nonconformity, improvement, source), errors
    )
    if nonconformity is not None and not nonconformity.is_open:
        errors.setdefault("nonconformity", []).append(
            f"{nonconformity.reference} is closed; actions can no longer be added to it."
        )
    if improvement is not None and improvement.status in (
        ImprovementStatus.REJECTED,
        ImprovementStatus.COMPLETED,
    ):
        errors.setdefault("improvement", []).append(
            f"{improvement.reference} is {improvement.get_status_display().lower()}; "
            "actions can no longer be added to it."
        )
    _validate(action, errors)
    action.save()
    _set_evidence(action, organisation, evidence)
    if improvement is not None and improvement.status == ImprovementStatus.APPROVED:
        improvement.status = ImprovementStatus.IN_PROGRESS
        improvement.save(update_fields=["status"])
    return action


def _check_progress(action: Action) -> None:
    if action.nonconformity_id is not None and not action.nonconformity.is_open:  # type: ignore[union-attr]
        raise ValidationError(
            {
                "status": f"{action.nonconformity.reference} is closed, so its actions are "  # type: ignore[union-attr]
                "settled; a failed effectiveness check reopens it."
            }
        )


@transaction.atomic
def update_action(
    *,
    action: Action,
    changes: Mapping[str, Any],
    membership: Membership | None = None,
    evidence: Iterable[Any] | None = None,
) -> Action:
    """Change an action. Its owner (without edit rights) may only record progress: status,
    completion notes and date, evidence."""
    _unknown(changes, ACTION_FIELDS + ACTION_PROGRESS_FIELDS)
    if membership is not None:
        if not action.updatable_by(membership):
            raise PermissionDenied("Only owners, managers and the action's owner can update it.")
        if not membership.can_edit and set(changes) - set(ACTION_PROGRESS_FIELDS):
            raise PermissionDenied(
                "As the action's owner you can record progress (status, completion notes, "
                "evidence); ask a manager to change what it is, who owns it or when it is due."
            )
    organisation = action.organisation
    today = org_today(organisation)
    previous_status = action.status
    for name, value in changes.items():
        setattr(action, name, value)
    errors: dict[str, list[str]] = {}
    if "owner" in changes:
        if action.owner is None:
            errors["owner"] = ["Name the member who owns the action."]
        _collect(lambda: check_member(organisation, action.owner, "owner", acting=True), errors)
    if action.status != previous_status:
        _collect(lambda: _check_progress(action), errors)
    if action.status == ActionStatus.DONE and action.completed_on is None:
        action.completed_on = today
    if action.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
        action.completed_on = None
    if action.status == ActionStatus.CANCELLED and not action.completion_notes.strip():
        errors.setdefault("completion_notes", []).append("Say why the action was cancelled.")
    if action.completed_on is not None and action.completed_on > today:
        errors.setdefault("completed_on", []).append("The completion date cannot be in the future.")
    _validate(action, errors)
    action.save()
    _set_evidence(action, organisation, evidence)
    return action


@transaction.atomic
def add_action_comment(*, action: Action, author: Any, body: str) -> ActionComment:
    if not body.strip():
        raise ValidationError({"body": "Write the comment."})
    comment = ActionComment(
        organisation_id=action.organisation_id, action=action, author=author, body=body.strip()
    )
    comment.save()
    return comment


# --------------------------------------------------------------------------- nonconformities


def _add_note(nc: Nonconformity, kind: str, body: str, author: Any) -> NonconformityNote:
    note = NonconformityNote(
        organisation_id=nc.organisation_id, nonconformity=nc, kind=kind, body=body, author=author
    )
    note.save()
    return note


def _check_nonconformity_links(nc: Nonconformity, errors: dict[str, list[str]]) -> None:
    organisation = nc.organisation
    _collect(lambda: check_same_org(organisation, "process", nc.process), errors)
    _collect(lambda: check_clause(nc.clause), errors)
    _collect(lambda: check_member(organisation, nc.owner, "owner", acting=True), errors)
    if nc.due_on is not None and nc.raised_on is not None and nc.due_on < nc.raised_on:
        errors.setdefault("due_on", []).append(
            "The target closure date cannot be before the date it was raised."
        )


@transaction.atomic
def raise_nonconformity(
    *,
    organisation: Organisation,
    by: Any,
    title: str,
    description: str,
    source: str,
    severity: str,
    clause: Requirement | None = None,
    process: Any = None,
    owner: Any = None,
    raised_on: date | None = None,
    due_on: date | None = None,
    source_reference: str = "",
    containment: str = "",
    correction: str = "",
    note: str = "",
    evidence: Iterable[Any] = (),
) -> Nonconformity:
    """Record a nonconformity; its timeline starts with where it came from."""
    nc = Nonconformity(
        organisation=organisation,
        number=next_number(Nonconformity, organisation),
        title=title,
        description=description,
        source=source,
        source_reference=source_reference,
        severity=severity,
        clause=clause,
        process=process,
        owner=owner,
        raised_on=raised_on or org_today(organisation),
        raised_by=by,
        due_on=due_on,
        containment=containment,
        correction=correction,
    )
    errors: dict[str, list[str]] = {}
    _check_nonconformity_links(nc, errors)
    _validate(nc, errors)
    nc.save()
    _set_evidence(nc, organisation, evidence)
    _add_note(nc, NoteKind.RAISED, note or f"Raised from: {nc.get_source_display()}.", by)
    return nc


@transaction.atomic
def update_nonconformity(
    *,
    nc: Nonconformity,
    changes: Mapping[str, Any],
    membership: Membership | None = None,
    evidence: Iterable[Any] | None = None,
) -> Nonconformity:
    """Change the record or its root cause analysis. The assigned process owner may update the
    containment, correction and analysis; owners and managers everything."""
    _unknown(changes, NONCONFORMITY_FIELDS + ANALYSIS_FIELDS)
    if membership is not None:
        if not nc.analysable_by(membership):
            raise PermissionDenied("Only owners, managers and the assigned owner can change it.")
        allowed = ("containment", "correction", *ANALYSIS_FIELDS)
        if not membership.can_edit and set(changes) - set(allowed):
            raise PermissionDenied(
                "As its owner you can record containment, correction and the root cause "
                "analysis; ask a manager to change the rest."
            )
    if not nc.is_open:
        raise ValidationError("This nonconformity is closed; its record is kept as it was.")
    for name, value in changes.items():
        if name == "whys":
            value = [str(w).strip() for w in (value or []) if str(w).strip()]
        setattr(nc, name, value)
    errors: dict[str, list[str]] = {}
    if "whys" in changes and len(nc.whys) > 7:
        errors["whys"] = ["Five whys are usually enough; keep at most seven."]
    _check_nonconformity_links(nc, errors)
    _validate(nc, errors)
    nc.save()
    _set_evidence(nc, nc.organisation, evidence)
    return nc


@transaction.atomic
def add_nonconformity_note(*, nc: Nonconformity, author: Any, body: str) -> NonconformityNote:
    if not body.strip():
        raise ValidationError({"body": "Write the comment."})
    return _add_note(nc, NoteKind.COMMENT, body.strip(), author)


@dataclass(frozen=True)
class Problem:
    """One reason a nonconformity cannot be closed yet."""

    key: str  # analysis, actions, check
    message: str


def closure_problems(nc: Nonconformity) -> list[Problem]:
    """Everything that stands between ``nc`` and its closure, in the order to fix it.

    Closing needs (1) the root cause and its category, (2) at least one corrective action in
    the tracker, every action done or cancelled with a reason and at least one done — and after
    a failed effectiveness check, one more done since — and (3) an effectiveness check that
    passed, performed on or after the day the last action was completed. Reads
    ``nc.actions.all()`` and ``nc.checks.all()`` so that lists can prefetch them.
    """
    problems: list[Problem] = []
    if not nc.root_cause.strip():
        problems.append(Problem("analysis", "Record the root cause."))
    if not nc.cause_category:
        problems.append(Problem("analysis", "Choose the category of the root cause."))

    actions = list(nc.actions.all())
    active = [a for a in actions if a.is_active]
    done = [a for a in actions if a.status == ActionStatus.DONE]
    checks = [c for c in nc.checks.all() if c.result != CheckResult.PENDING]
    checks.sort(key=lambda c: (c.performed_on, c.pk))
    last_check = checks[-1] if checks else None
    last_failed = next((c for c in reversed(checks) if c.result == CheckResult.FAILED), None)

    if not actions:
        problems.append(
            Problem("actions", "Add at least one corrective action to the action tracker.")
        )
    if active:
        listed = "; ".join(f"{a.reference} “{a.title}” ({a.get_status_display()})" for a in active)
        problems.append(
            Problem("actions", f"Complete or cancel (with a reason) the open actions: {listed}.")
        )
    if actions and not active and not done:
        problems.append(
            Problem(
                "actions",
                "Every action was cancelled: complete at least one corrective action that "
                "removes the cause.",
            )
        )
    last_done = max((a.completed_on for a in done if a.completed_on), default=None)
    if (
        last_failed is not None
        and last_failed.performed_on is not None
        and (last_done is None or last_done < last_failed.performed_on)
    ):
        problems.append(
            Problem(
                "actions",
                f"The effectiveness check of {_d(last_failed.performed_on)} failed: complete a "
                "further corrective action after it.",
            )
        )

    if last_check is None:
        problems.append(
            Problem("check", "Record an effectiveness check that passed (none is recorded yet).")
        )
    elif last_check.result != CheckResult.PASSED:
        problems.append(
            Problem(
                "check",
                f"The last effectiveness check ({_d(last_check.performed_on)}) failed: record "  # type: ignore[arg-type]
                "a new check that passes.",
            )
        )
    elif last_done is not None and last_check.performed_on < last_done:  # type: ignore[operator]
        problems.append(
            Problem(
                "check",
                f"The effectiveness check ({_d(last_check.performed_on)}) was made before the "  # type: ignore[arg-type]
                f"last action was completed ({_d(last_done)}): check again now that the "
                "actions are done.",
            )
        )
    return problems


def close_nonconformity(*, nc: Nonconformity, by: Any, note: str = "") -> Nonconformity:
    """Close ``nc`` when nothing stands in the way; otherwise refuse with every reason.

    A refused attempt is kept on the nonconformity's timeline (and so in the audit trail), as
    it happened: auditors look for nonconformities closed without an effectiveness check.
    """
    if not nc.is_open:
        raise ValidationError(f"{nc.reference} is already closed.")
    problems = closure_problems(nc)
    if problems:
        messages = [p.message for p in problems]
        with transaction.atomic():
            _add_note(
                nc,
                NoteKind.CLOSURE_REFUSED,
                "Closure was refused: " + " ".join(messages),
                by,
            )
        raise ValidationError(messages, code="closure_refused")
    with transaction.atomic():
        nc.status = NonconformityStatus.CLOSED
        nc.closed_on = org_today(nc.organisation)
        nc.closed_by = by
        nc.save(update_fields=["status", "closed_on", "closed_by"])
        _add_note(
            nc,
            NoteKind.CLOSED,
            note.strip()
            or "Closed: root cause removed, actions complete and an effectiveness check passed.",
            by,
        )
    return nc


@transaction.atomic
def plan_effectiveness_check(
    *, nc: Nonconformity, by: Any, planned_on: date, checker: Any, method: str
) -> EffectivenessCheck:
    """Plan when, by whom and how the effectiveness of the corrective action is checked."""
    check = EffectivenessCheck(
        organisation_id=nc.organisation_id,
        nonconformity=nc,
        planned_on=planned_on,
        checker=checker,
        method=method.strip(),
    )
    errors: dict[str, list[str]] = {}
    if checker is None:
        errors["checker"] = ["Name who performs the check."]
    _collect(lambda: check_member(nc.organisation, checker, "checker", acting=True), errors)
    if planned_on is not None and planned_on < nc.raised_on:
        errors["planned_on"] = ["The check cannot be planned before the nonconformity was raised."]
    _validate(check, errors)
    check.save()
    return check


def record_effectiveness_check(
    *,
    check: EffectivenessCheck,
    by: Any,
    result: str,
    performed_on: date | None = None,
    notes: str = "",
) -> EffectivenessCheck:
    """Record the outcome of a check. A failed check reopens a closed nonconformity and sends
    an open one back to corrective action (closure then needs a further action and a new check
    that passes)."""
    nc = check.nonconformity
    today = org_today(nc.organisation)
    performed_on = performed_on or today
    errors: dict[str, list[str]] = {}
    if result not in (CheckResult.PASSED, CheckResult.FAILED):
        errors["result"] = ["Choose whether the actions were effective (passed) or not (failed)."]
    if check.result != CheckResult.PENDING:
        errors["result"] = ["This check already has its result; plan a new check to check again."]
    if performed_on > today:
        errors["performed_on"] = ["A check cannot be recorded before it is performed."]
    elif performed_on < nc.raised_on:
        errors["performed_on"] = ["The check cannot be before the nonconformity was raised."]
    if result == CheckResult.FAILED and not notes.strip():
        errors["notes"] = ["Say what showed the actions were not effective."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check.result = result
        check.performed_on = performed_on
        check.notes = notes.strip()
        check.save(update_fields=["result", "performed_on", "notes"])
        verdict = "passed" if result == CheckResult.PASSED else "failed"
        _add_note(
            nc,
            NoteKind.CHECK,
            f"Effectiveness check {verdict} on {_d(performed_on)}"
            + (f": {check.notes}" if check.notes else "."),
            by,
        )
        if result == CheckResult.FAILED:
            if not nc.is_open:
                nc.status = NonconformityStatus.OPEN
                nc.closed_on = None
                nc.closed_by = None
            nc.reopened_count += 1
            nc.save(update_fields=["status", "closed_on", "closed_by", "reopened_count"])
            _add_note(
                nc,
                NoteKind.REOPENED,
                "Reopened: the corrective action was not effective. Find out why, add a "
                "further corrective action and check again.",
                by,
            )
    return check


# ---------------------------------------------------------------------------- improvements


def _check_improvement(improvement: Improvement, errors: dict[str, list[str]]) -> None:
    organisation = improvement.organisation
    _collect(lambda: check_same_org(organisation, "process", improvement.process), errors)
    _collect(lambda: check_clause(improvement.clause), errors)
    _collect(lambda: check_member(organisation, improvement.owner, "owner", acting=True), errors)
    if (
        improvement.due_on is not None
        and improvement.raised_on is not None
        and improvement.due_on < improvement.raised_on
    ):
        errors.setdefault("due_on", []).append(
            "The target date cannot be before the date it was raised."
        )


@transaction.atomic
def create_improvement(
    *,
    organisation: Organisation,
    by: Any,
    fields: Mapping[str, Any],
    evidence: Iterable[Any] = (),
) -> Improvement:
    _unknown(fields, IMPROVEMENT_FIELDS)
    improvement = Improvement(
        organisation=organisation,
        number=next_number(Improvement, organisation),
        raised_by=by,
        **fields,
    )
    if improvement.raised_on is None:
        improvement.raised_on = org_today(organisation)
    errors: dict[str, list[str]] = {}
    _check_improvement(improvement, errors)
    _validate(improvement, errors)
    improvement.save()
    _set_evidence(improvement, organisation, evidence)
    return improvement


@transaction.atomic
def update_improvement(
    *,
    improvement: Improvement,
    changes: Mapping[str, Any],
    evidence: Iterable[Any] | None = None,
) -> Improvement:
    _unknown(changes, IMPROVEMENT_FIELDS)
    if improvement.status in (ImprovementStatus.COMPLETED, ImprovementStatus.REJECTED):
        raise ValidationError(
            f"{improvement.reference} is {improvement.get_status_display().lower()}; its record "
            "is kept as it was."
        )
    for name, value in changes.items():
        setattr(improvement, name, value)
    errors: dict[str, list[str]] = {}
    _check_improvement(improvement, errors)
    _validate(improvement, errors)
    improvement.save()
    _set_evidence(improvement, improvement.organisation, evidence)
    return improvement


@transaction.atomic
def decide_improvement(
    *, improvement: Improvement, by: Any, decision: str, notes: str = ""
) -> Improvement:
    """Approve (needs an evaluation and at least one target) or reject (needs a reason)."""
    if improvement.status != ImprovementStatus.PROPOSED:
        raise ValidationError(
            f"{improvement.reference} was already decided "
            f"({improvement.get_status_display().lower()})."
        )
    errors: dict[str, list[str]] = {}
    if decision == Decision.APPROVE:
        if not improvement.is_evaluated:
            errors.setdefault("decision", []).append(
                "Evaluate it first: rate its benefit, cost and risk."
            )
        if not improvement.targets.exists():
            errors.setdefault("decision", []).append(
                "Set at least one measurable target before approving it."
            )
    elif decision == Decision.REJECT:
        if not notes.strip():
            errors["notes"] = ["Say why it is rejected."]
    else:
        errors["decision"] = ["Choose approve or reject."]
    if errors:
        raise ValidationError(errors)
    improvement.status = (
        ImprovementStatus.APPROVED if decision == Decision.APPROVE else ImprovementStatus.REJECTED
    )
    improvement.decided_by = by
    improvement.decided_on = org_today(improvement.organisation)
    improvement.decision_notes = notes.strip()
    improvement.save(update_fields=["status", "decided_by", "decided_on", "decision_notes"])
    return improvement


@transaction.atomic
def add_target(*, improvement: Improvement, fields: Mapping[str, Any]) -> ImprovementTarget:
    _unknown(fields, TARGET_FIELDS)
    if improvement.status in (ImprovementStatus.COMPLETED, ImprovementStatus.REJECTED):
        raise ValidationError(f"{improvement.reference} is closed to new targets.")
    target = ImprovementTarget(
        organisation_id=improvement.organisation_id, improvement=improvement, **fields
    )
    _validate(target)
    target.save()
    return target


@transaction.atomic
def update_target(
    *, target: ImprovementTarget, changes: Mapping[str, Any], membership: Membership | None = None
) -> ImprovementTarget:
    """Change a target or record its measured result. The improvement's owner may record
    results; owners and managers may change the target itself."""
    _unknown(changes, TARGET_FIELDS + MEASURE_FIELDS)
    improvement = target.improvement
    if membership is not None:
        if not improvement.measurable_by(membership):
            raise PermissionDenied("Only owners, managers and the improvement's owner can.")
        if not membership.can_edit and set(changes) - set(MEASURE_FIELDS):
            raise PermissionDenied("As its owner you can record measured results only.")
    if improvement.status == ImprovementStatus.COMPLETED:
        raise ValidationError(f"{improvement.reference} is completed; its results are kept.")
    for name, value in changes.items():
        setattr(target, name, value)
    errors: dict[str, list[str]] = {}
    today = org_today(improvement.organisation)
    if target.measured is not None and target.measured_on is None:
        target.measured_on = today
    if target.measured is None:
        target.measured_on = None
    if target.measured_on is not None and target.measured_on > today:
        errors["measured_on"] = ["A result cannot be measured in the future."]
    _validate(target, errors)
    target.save()
    return target


@transaction.atomic
def complete_improvement(*, improvement: Improvement, by: Any, result_summary: str) -> Improvement:
    """Complete an approved improvement: its actions are settled and every target measured."""
    errors: list[str] = []
    if improvement.status not in (ImprovementStatus.APPROVED, ImprovementStatus.IN_PROGRESS):
        errors.append("Only an approved improvement can be completed.")
    active = [a for a in improvement.actions.all() if a.is_active]
    if active:
        errors.append(
            "Complete or cancel its open actions: " + ", ".join(a.reference for a in active) + "."
        )
    targets = list(improvement.targets.all())
    if not targets:
        errors.append("Set at least one target and measure it.")
    unmeasured = [t for t in targets if t.measured is None]
    if unmeasured:
        errors.append(
            "Measure the result of every target: "
            + "; ".join(t.description for t in unmeasured)
            + "."
        )
    if not result_summary.strip():
        errors.append("Summarise what the improvement achieved.")
    if errors:
        raise ValidationError(errors)
    improvement.status = ImprovementStatus.COMPLETED
    improvement.completed_on = org_today(improvement.organisation)
    improvement.result_summary = result_summary.strip()
    improvement.save(update_fields=["status", "completed_on", "result_summary"])
    return improvement
