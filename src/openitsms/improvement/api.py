"""REST API of the action tracker, nonconformities and the improvement register.

Every id in a body (owner_id, clause_id, process_id, evidence_ids...) must name a record the
caller's organisation can reach; any other answers 404, exactly like a path id.
"""

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.evidence.models import EvidenceItem
from openitsms.improvement import actions
from openitsms.improvement.choices import (
    ActionKind,
    ActionStatus,
    CauseCategory,
    CheckResult,
    Decision,
    Direction,
    ImprovementSource,
    ImprovementStatus,
    NonconformitySource,
    NonconformityStatus,
    Priority,
    Severity,
    TargetArea,
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
from openitsms.improvement.similar import similar_nonconformities
from openitsms.processes.models import Process
from openitsms.tenancy.access import api_require, can_edit, request_membership, request_org
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Membership

router = Router(tags=["improvement"])
User = get_user_model()
EDIT = "Only owners and managers can do this."


# ------------------------------------------------------------------------ shared look-ups


def member(request: HttpRequest, user_id: int | None) -> Any:
    """A member of the caller's organisation, or 404."""
    if user_id is None:
        return None
    membership = Membership.objects.filter(
        organisation=request_org(request), user_id=user_id
    ).select_related("user")
    found = membership.first()
    if found is None:
        raise Http404("No such member in this organisation.")
    return found.user


def clause(clause_id: int | None) -> Requirement | None:
    """A clause of ISO/IEC 20000-1:2018, or 404."""
    if clause_id is None:
        return None
    return get_object_or_404(Requirement.objects.primary(), pk=clause_id)


def process(process_id: int | None) -> Process | None:
    """A process of the caller's organisation (the scoped manager is bound), or 404."""
    if process_id is None:
        return None
    return get_object_or_404(Process.objects.all(), pk=process_id)


def evidence(ids: list[int] | None) -> list[EvidenceItem] | None:
    """Live evidence items of the caller's organisation, or 404 if any id is not one."""
    if ids is None:
        return None
    wanted = set(ids)
    found = list(EvidenceItem.objects.live().filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise Http404("No such evidence item in this organisation.")
    return found


def not_viewer(request: HttpRequest) -> Membership:
    membership = request_membership(request)
    if membership.role == Role.VIEWER:
        raise HttpError(403, "Viewers read; they cannot change records.")
    return membership


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.get_full_name() or obj.username


class Link(Schema):
    type: str
    id: int
    label: str


# ---------------------------------------------------------------------------- the tracker


class ActionOut(Schema):
    id: int
    reference: str
    title: str
    description: str
    kind: ActionKind
    owner: UserRef | None
    due_on: date
    priority: Priority
    status: ActionStatus
    overdue: bool
    completed_on: date | None
    completion_notes: str
    nonconformity_id: int | None
    improvement_id: int | None
    raised_by: Link | None
    evidence_ids: list[int]
    created_at: datetime

    @staticmethod
    def resolve_overdue(obj: Action) -> bool:
        return obj.is_overdue(org_today(obj.organisation))

    @staticmethod
    def resolve_raised_by(obj: Action) -> Link | None:
        source = obj.raised_by
        if source is None:
            return None
        return Link(type=source._meta.label_lower, id=source.pk, label=str(source))

    @staticmethod
    def resolve_evidence_ids(obj: Action) -> list[int]:
        return [e.pk for e in obj.evidence.all()]


class ActionIn(Schema):
    title: str
    description: str = ""
    kind: ActionKind = ActionKind.FOLLOW_UP
    owner_id: int
    due_on: date
    priority: Priority = Priority.MEDIUM
    evidence_ids: list[int] = []
    nonconformity_id: int | None = None
    improvement_id: int | None = None
    source: str | None = None  # any other record of the organisation: "audits.finding:12"


class ActionPatch(Schema):
    title: str | None = None
    description: str | None = None
    kind: ActionKind | None = None
    owner_id: int | None = None
    due_on: date | None = None
    priority: Priority | None = None
    status: ActionStatus | None = None
    completion_notes: str | None = None
    completed_on: date | None = None
    evidence_ids: list[int] | None = None


class CommentIn(Schema):
    body: str


class CommentOut(Schema):
    id: int
    author: UserRef | None
    body: str
    created_at: datetime


def _actions(request: HttpRequest) -> Any:
    # ``overdue`` reads the organisation's time zone: joined once, not fetched per row.
    return Action.objects.for_list().prefetch_related("evidence").select_related("organisation")


@router.get("/orgs/{org}/actions", response=list[ActionOut], summary="Actions (the one tracker)")
@paginate(PageNumberPagination)
def action_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    status: str = "",
    mine: bool = False,
    overdue: bool = False,
    owner_id: int | None = None,
    nonconformity_id: int | None = None,
    improvement_id: int | None = None,
):
    """Filter with ``status`` (or ``active``), ``mine``, ``overdue``, ``owner_id`` and the
    record that raised them."""
    qs = _actions(request)
    if status == "active":
        qs = qs.active()
    elif status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(owner_id=request.auth.pk)  # type: ignore[attr-defined]
    if overdue:
        qs = qs.overdue(org_today(request_org(request)))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if nonconformity_id is not None:
        qs = qs.filter(nonconformity_id=nonconformity_id)
    if improvement_id is not None:
        qs = qs.filter(improvement_id=improvement_id)
    return qs


@router.post("/orgs/{org}/actions", response={201: ActionOut}, summary="Add an action")
def action_create(request: HttpRequest, org: str, payload: ActionIn) -> Status:
    api_require(request, can_edit, EDIT)
    nc = (
        get_object_or_404(Nonconformity.objects.all(), pk=payload.nonconformity_id)
        if payload.nonconformity_id
        else None
    )
    improvement = (
        get_object_or_404(Improvement.objects.all(), pk=payload.improvement_id)
        if payload.improvement_id
        else None
    )
    action = actions.create_action(
        organisation=request_org(request),
        by=request.auth,  # type: ignore[attr-defined]
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        owner=member(request, payload.owner_id),
        due_on=payload.due_on,
        priority=payload.priority,
        evidence=evidence(payload.evidence_ids) or [],
        nonconformity=nc,
        improvement=improvement,
        source=actions.find_source(payload.source) if payload.source else None,
    )
    return Status(201, _actions(request).get(pk=action.pk))


@router.get("/orgs/{org}/actions/{action_id}", response=ActionOut, summary="One action")
def action_detail(request: HttpRequest, org: str, action_id: int) -> Action:
    return get_object_or_404(_actions(request), pk=action_id)


@router.patch(
    "/orgs/{org}/actions/{action_id}",
    response=ActionOut,
    summary="Change an action or record its progress",
)
def action_update(request: HttpRequest, org: str, action_id: int, payload: ActionPatch) -> Action:
    """Owners and managers change anything; the action's owner records progress (status,
    completion notes and date, evidence)."""
    membership = not_viewer(request)
    action = get_object_or_404(_actions(request), pk=action_id)
    data = payload.dict(exclude_unset=True)
    ids = data.pop("evidence_ids", None)
    if "owner_id" in data:
        data["owner"] = member(request, data.pop("owner_id"))
    # A PermissionDenied from the action (not the action's owner) answers 403.
    actions.update_action(
        action=action,
        changes=data,
        membership=membership,
        evidence=evidence(ids),
    )
    return get_object_or_404(_actions(request), pk=action_id)


@router.get(
    "/orgs/{org}/actions/{action_id}/comments", response=list[CommentOut], summary="Comments"
)
def action_comments(request: HttpRequest, org: str, action_id: int) -> Any:
    action = get_object_or_404(Action.objects.all(), pk=action_id)
    return ActionComment.objects.filter(action=action).select_related("author")


@router.post(
    "/orgs/{org}/actions/{action_id}/comments",
    response={201: CommentOut},
    summary="Comment on an action",
)
def action_comment(request: HttpRequest, org: str, action_id: int, payload: CommentIn) -> Status:
    not_viewer(request)
    action = get_object_or_404(Action.objects.all(), pk=action_id)
    comment = actions.add_action_comment(
        action=action,
        author=request.auth,  # type: ignore[attr-defined]
        body=payload.body,
    )
    return Status(201, comment)


# ------------------------------------------------------------------------ nonconformities


class NonconformityOut(Schema):
    id: int
    reference: str
    title: str
    description: str
    source: NonconformitySource
    source_reference: str
    severity: Severity
    clause_id: int | None
    clause_number: str | None
    process_id: int | None
    owner: UserRef | None
    raised_on: date
    raised_by: UserRef | None
    due_on: date | None
    overdue: bool
    containment: str
    correction: str
    whys: list[str]
    root_cause: str
    cause_category: str
    similar_review: str
    sms_changes: str
    status: NonconformityStatus
    stage: str
    closed_on: date | None
    reopened_count: int
    evidence_ids: list[int]

    @staticmethod
    def resolve_clause_number(obj: Nonconformity) -> str | None:
        return obj.clause.number if obj.clause else None

    @staticmethod
    def resolve_overdue(obj: Nonconformity) -> bool:
        return obj.is_overdue(org_today(obj.organisation))

    @staticmethod
    def resolve_stage(obj: Nonconformity) -> str:
        return obj.stage().value

    @staticmethod
    def resolve_evidence_ids(obj: Nonconformity) -> list[int]:
        return [e.pk for e in obj.evidence.all()]


class NonconformityIn(Schema):
    title: str
    description: str
    source: NonconformitySource
    severity: Severity = Severity.MINOR
    source_reference: str = ""
    clause_id: int | None = None
    process_id: int | None = None
    owner_id: int | None = None
    raised_on: date | None = None
    due_on: date | None = None
    containment: str = ""
    correction: str = ""


class NonconformityPatch(Schema):
    title: str | None = None
    description: str | None = None
    source: NonconformitySource | None = None
    source_reference: str | None = None
    severity: Severity | None = None
    clause_id: int | None = None
    process_id: int | None = None
    owner_id: int | None = None
    raised_on: date | None = None
    due_on: date | None = None
    containment: str | None = None
    correction: str | None = None
    whys: list[str] | None = None
    root_cause: str | None = None
    cause_category: CauseCategory | None = None
    similar_review: str | None = None
    sms_changes: str | None = None
    evidence_ids: list[int] | None = None


class ClosureOut(Schema):
    can_close: bool
    problems: list[str]


class CloseIn(Schema):
    note: str = ""


class CheckOut(Schema):
    id: int
    nonconformity_id: int
    planned_on: date
    checker: UserRef | None
    method: str
    result: CheckResult
    performed_on: date | None
    notes: str


class CheckIn(Schema):
    planned_on: date
    checker_id: int
    method: str


class CheckResultIn(Schema):
    result: CheckResult
    performed_on: date | None = None
    notes: str = ""


class NoteOut(Schema):
    id: int
    kind: str
    body: str
    author: UserRef | None
    created_at: datetime


class SimilarOut(Schema):
    id: int
    reference: str
    title: str
    status: str
    score: float
    reasons: list[str]


def _ncs() -> Any:
    return (
        Nonconformity.objects.select_related("clause", "owner", "raised_by", "organisation")
        .prefetch_related("actions", "checks", "evidence")
        .order_by("-number")
    )


def _similar_out(matches: list[Any]) -> list[SimilarOut]:
    return [
        SimilarOut(
            id=m.nonconformity.pk,
            reference=m.nonconformity.reference,
            title=m.nonconformity.title,
            status=m.nonconformity.status,
            score=m.score,
            reasons=m.reasons,
        )
        for m in matches
    ]


def _nc_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if "clause_id" in data:
        data["clause"] = clause(data.pop("clause_id"))
    if "process_id" in data:
        data["process"] = process(data.pop("process_id"))
    if "owner_id" in data:
        data["owner"] = member(request, data.pop("owner_id"))
    return data


@router.get(
    "/orgs/{org}/nonconformities", response=list[NonconformityOut], summary="Nonconformities"
)
@paginate(PageNumberPagination)
def nonconformity_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    status: str = "",
    severity: str = "",
    source: str = "",
    overdue: bool = False,
):
    qs = _ncs()
    if status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if source:
        qs = qs.filter(source=source)
    if overdue:
        qs = qs.overdue(org_today(request_org(request)))
    return qs


@router.get(
    "/orgs/{org}/similar-nonconformities",
    response=list[SimilarOut],
    summary="Nonconformities like the one described (before raising it)",
)
def nonconformity_search_similar(
    request: HttpRequest,
    org: str,
    title: str = "",
    description: str = "",
    clause_id: int | None = None,
    process_id: int | None = None,
) -> list[SimilarOut]:
    return _similar_out(
        similar_nonconformities(
            title=title, description=description, clause_id=clause_id, process_id=process_id
        )
    )


@router.post(
    "/orgs/{org}/nonconformities",
    response={201: NonconformityOut},
    summary="Raise a nonconformity",
)
def nonconformity_create(request: HttpRequest, org: str, payload: NonconformityIn) -> Status:
    membership = request_membership(request)
    if not (membership.can_edit or membership.can_record_findings):
        raise HttpError(403, "Owners, managers and auditors raise nonconformities.")
    data = _nc_fields(request, payload.dict())
    nc = actions.raise_nonconformity(
        organisation=request_org(request),
        by=request.auth,  # type: ignore[attr-defined]
        **data,
    )
    return Status(201, _ncs().get(pk=nc.pk))


@router.get(
    "/orgs/{org}/nonconformities/{nonconformity_id}",
    response=NonconformityOut,
    summary="One nonconformity",
)
def nonconformity_detail(request: HttpRequest, org: str, nonconformity_id: int) -> Nonconformity:
    return get_object_or_404(_ncs(), pk=nonconformity_id)


@router.patch(
    "/orgs/{org}/nonconformities/{nonconformity_id}",
    response=NonconformityOut,
    summary="Change a nonconformity or record its root cause analysis",
)
def nonconformity_update(
    request: HttpRequest, org: str, nonconformity_id: int, payload: NonconformityPatch
) -> Nonconformity:
    membership = not_viewer(request)
    nc = get_object_or_404(_ncs(), pk=nonconformity_id)
    data = _nc_fields(request, payload.dict(exclude_unset=True))
    ids = data.pop("evidence_ids", None)
    actions.update_nonconformity(
        nc=nc,
        changes=data,
        membership=membership,
        evidence=evidence(ids),
    )
    return get_object_or_404(_ncs(), pk=nonconformity_id)


@router.get(
    "/orgs/{org}/nonconformities/{nonconformity_id}/closure",
    response=ClosureOut,
    summary="What stands between a nonconformity and its closure",
)
def nonconformity_closure(request: HttpRequest, org: str, nonconformity_id: int) -> ClosureOut:
    nc = get_object_or_404(_ncs(), pk=nonconformity_id)
    problems = [p.message for p in actions.closure_problems(nc)] if nc.is_open else []
    return ClosureOut(can_close=nc.is_open and not problems, problems=problems)


@router.post(
    "/orgs/{org}/nonconformities/{nonconformity_id}/close",
    response=NonconformityOut,
    summary="Close a nonconformity (refused with every reason while something is missing)",
)
def nonconformity_close(
    request: HttpRequest, org: str, nonconformity_id: int, payload: CloseIn
) -> Nonconformity:
    api_require(request, can_edit, "Only owners and managers close nonconformities.")
    nc = get_object_or_404(_ncs(), pk=nonconformity_id)
    actions.close_nonconformity(nc=nc, by=request.auth, note=payload.note)  # type: ignore[attr-defined]
    return get_object_or_404(_ncs(), pk=nonconformity_id)


@router.get(
    "/orgs/{org}/nonconformities/{nonconformity_id}/similar",
    response=list[SimilarOut],
    summary="Similar nonconformities",
)
def nonconformity_similar(request: HttpRequest, org: str, nonconformity_id: int) -> Any:
    nc = get_object_or_404(Nonconformity.objects.all(), pk=nonconformity_id)
    return _similar_out(
        similar_nonconformities(
            title=nc.title,
            description=nc.description,
            clause_id=nc.clause_id,
            process_id=nc.process_id,
            exclude_pk=nc.pk,
        )
    )


@router.get(
    "/orgs/{org}/nonconformities/{nonconformity_id}/checks",
    response=list[CheckOut],
    summary="Effectiveness checks of a nonconformity",
)
def check_list(request: HttpRequest, org: str, nonconformity_id: int) -> Any:
    nc = get_object_or_404(Nonconformity.objects.all(), pk=nonconformity_id)
    return EffectivenessCheck.objects.filter(nonconformity=nc).select_related("checker")


@router.post(
    "/orgs/{org}/nonconformities/{nonconformity_id}/checks",
    response={201: CheckOut},
    summary="Plan an effectiveness check",
)
def check_plan(request: HttpRequest, org: str, nonconformity_id: int, payload: CheckIn) -> Status:
    api_require(request, can_edit, EDIT)
    nc = get_object_or_404(Nonconformity.objects.all(), pk=nonconformity_id)
    check = actions.plan_effectiveness_check(
        nc=nc,
        by=request.auth,  # type: ignore[attr-defined]
        planned_on=payload.planned_on,
        checker=member(request, payload.checker_id),
        method=payload.method,
    )
    return Status(201, check)


@router.post(
    "/orgs/{org}/effectiveness-checks/{check_id}/result",
    response=CheckOut,
    summary="Record the result of an effectiveness check (a failure reopens the nonconformity)",
)
def check_result(
    request: HttpRequest, org: str, check_id: int, payload: CheckResultIn
) -> EffectivenessCheck:
    check = get_object_or_404(
        EffectivenessCheck.objects.select_related("nonconformity", "checker"), pk=check_id
    )
    if not check.recordable_by(request_membership(request)):
        raise HttpError(403, "Only owners, managers and the named checker record the result.")
    return actions.record_effectiveness_check(
        check=check,
        by=request.auth,  # type: ignore[attr-defined]
        result=payload.result,
        performed_on=payload.performed_on,
        notes=payload.notes,
    )


@router.get(
    "/orgs/{org}/nonconformities/{nonconformity_id}/notes",
    response=list[NoteOut],
    summary="The timeline of a nonconformity (comments, refusals, checks, reopenings)",
)
def note_list(request: HttpRequest, org: str, nonconformity_id: int) -> Any:
    nc = get_object_or_404(Nonconformity.objects.all(), pk=nonconformity_id)
    return NonconformityNote.objects.filter(nonconformity=nc).select_related("author")


@router.post(
    "/orgs/{org}/nonconformities/{nonconformity_id}/notes",
    response={201: NoteOut},
    summary="Comment on a nonconformity",
)
def note_create(
    request: HttpRequest, org: str, nonconformity_id: int, payload: CommentIn
) -> Status:
    not_viewer(request)
    nc = get_object_or_404(Nonconformity.objects.all(), pk=nonconformity_id)
    note = actions.add_nonconformity_note(
        nc=nc,
        author=request.auth,  # type: ignore[attr-defined]
        body=payload.body,
    )
    return Status(201, note)


# ---------------------------------------------------------------------------- improvements


class TargetOut(Schema):
    id: int
    improvement_id: int
    area: TargetArea
    description: str
    unit: str
    direction: Direction
    baseline: float | None
    target: float
    measured: float | None
    measured_on: date | None
    achieved: bool | None
    notes: str


class TargetIn(Schema):
    area: TargetArea
    description: str
    unit: str = ""
    direction: Direction = Direction.HIGHER
    baseline: float | None = None
    target: float


class TargetPatch(Schema):
    area: TargetArea | None = None
    description: str | None = None
    unit: str | None = None
    direction: Direction | None = None
    baseline: float | None = None
    target: float | None = None
    measured: float | None = None
    measured_on: date | None = None
    notes: str | None = None


class ImprovementOut(Schema):
    id: int
    reference: str
    title: str
    description: str
    source: ImprovementSource
    source_reference: str
    process_id: int | None
    clause_id: int | None
    owner: UserRef | None
    raised_on: date
    due_on: date | None
    benefit: int | None
    cost: int | None
    risk: int | None
    score: int | None
    status: ImprovementStatus
    decided_on: date | None
    decision_notes: str
    completed_on: date | None
    result_summary: str
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(obj: Improvement) -> list[ImprovementTarget]:
        return list(obj.targets.all())


class ImprovementIn(Schema):
    title: str
    description: str
    source: ImprovementSource
    source_reference: str = ""
    process_id: int | None = None
    clause_id: int | None = None
    owner_id: int | None = None
    raised_on: date | None = None
    due_on: date | None = None
    benefit: int | None = None
    cost: int | None = None
    risk: int | None = None


class ImprovementPatch(Schema):
    title: str | None = None
    description: str | None = None
    source: ImprovementSource | None = None
    source_reference: str | None = None
    process_id: int | None = None
    clause_id: int | None = None
    owner_id: int | None = None
    raised_on: date | None = None
    due_on: date | None = None
    benefit: int | None = None
    cost: int | None = None
    risk: int | None = None
    evidence_ids: list[int] | None = None


class DecisionIn(Schema):
    decision: Decision
    notes: str = ""


class CompleteIn(Schema):
    result_summary: str


def _improvements() -> Any:
    return (
        Improvement.objects.select_related("owner").prefetch_related("targets").order_by("-number")
    )


def _decimal(data: dict[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    for key in ("baseline", "target", "measured"):
        if data.get(key) is not None:
            data[key] = Decimal(str(data[key]))
    return data


@router.get("/orgs/{org}/improvements", response=list[ImprovementOut], summary="The register")
@paginate(PageNumberPagination)
def improvement_list(request: HttpRequest, org: str, status: str = ""):  # type: ignore[no-untyped-def]
    qs = _improvements()
    return qs.filter(status=status) if status else qs


@router.post(
    "/orgs/{org}/improvements", response={201: ImprovementOut}, summary="Propose an improvement"
)
def improvement_create(request: HttpRequest, org: str, payload: ImprovementIn) -> Status:
    membership = not_viewer(request)
    data = _nc_fields(request, payload.dict())
    if not membership.can_edit:
        # Anyone may propose; owners and managers evaluate and assign.
        for key in ("benefit", "cost", "risk", "owner", "due_on"):
            if data.get(key) is not None:
                raise HttpError(403, "Owners and managers evaluate and assign improvements.")
    data = {k: v for k, v in data.items() if v is not None}
    improvement = actions.create_improvement(
        organisation=request_org(request),
        by=request.auth,  # type: ignore[attr-defined]
        fields=data,
    )
    return Status(201, _improvements().get(pk=improvement.pk))


@router.get(
    "/orgs/{org}/improvements/{improvement_id}",
    response=ImprovementOut,
    summary="One improvement",
)
def improvement_detail(request: HttpRequest, org: str, improvement_id: int) -> Improvement:
    return get_object_or_404(_improvements(), pk=improvement_id)


@router.patch(
    "/orgs/{org}/improvements/{improvement_id}",
    response=ImprovementOut,
    summary="Change or evaluate an improvement",
)
def improvement_update(
    request: HttpRequest, org: str, improvement_id: int, payload: ImprovementPatch
) -> Improvement:
    api_require(request, can_edit, EDIT)
    improvement = get_object_or_404(_improvements(), pk=improvement_id)
    data = _nc_fields(request, payload.dict(exclude_unset=True))
    ids = data.pop("evidence_ids", None)
    actions.update_improvement(improvement=improvement, changes=data, evidence=evidence(ids))
    return get_object_or_404(_improvements(), pk=improvement_id)


@router.post(
    "/orgs/{org}/improvements/{improvement_id}/decision",
    response=ImprovementOut,
    summary="Approve or reject an improvement",
)
def improvement_decide(
    request: HttpRequest, org: str, improvement_id: int, payload: DecisionIn
) -> Improvement:
    api_require(request, can_edit, EDIT)
    improvement = get_object_or_404(_improvements(), pk=improvement_id)
    actions.decide_improvement(
        improvement=improvement,
        by=request.auth,  # type: ignore[attr-defined]
        decision=payload.decision,
        notes=payload.notes,
    )
    return get_object_or_404(_improvements(), pk=improvement_id)


@router.post(
    "/orgs/{org}/improvements/{improvement_id}/targets",
    response={201: TargetOut},
    summary="Add a measurable target",
)
def target_create(request: HttpRequest, org: str, improvement_id: int, payload: TargetIn) -> Status:
    api_require(request, can_edit, EDIT)
    improvement = get_object_or_404(Improvement.objects.all(), pk=improvement_id)
    target = actions.add_target(improvement=improvement, fields=_decimal(payload.dict()))
    return Status(201, target)


@router.patch(
    "/orgs/{org}/improvement-targets/{target_id}",
    response=TargetOut,
    summary="Change a target or record its measured result",
)
def target_update(
    request: HttpRequest, org: str, target_id: int, payload: TargetPatch
) -> ImprovementTarget:
    membership = not_viewer(request)
    target = get_object_or_404(
        ImprovementTarget.objects.select_related("improvement"), pk=target_id
    )
    return actions.update_target(
        target=target,
        changes=_decimal(payload.dict(exclude_unset=True)),
        membership=membership,
    )


@router.post(
    "/orgs/{org}/improvements/{improvement_id}/complete",
    response=ImprovementOut,
    summary="Complete an improvement (its actions settled, every target measured)",
)
def improvement_complete(
    request: HttpRequest, org: str, improvement_id: int, payload: CompleteIn
) -> Improvement:
    api_require(request, can_edit, EDIT)
    improvement = get_object_or_404(_improvements(), pk=improvement_id)
    actions.complete_improvement(
        improvement=improvement,
        by=request.auth,  # type: ignore[attr-defined]
        result_summary=payload.result_summary,
    )
    return get_object_or_404(_improvements(), pk=improvement_id)
