"""REST API of the audit programme, internal audits, findings and the certification cycle.

Ids in bodies (clause_id, process_ids, lead_auditor_id, evidence_ids...) must name records the
caller's organisation can reach (clauses: ISO/IEC 20000-1:2018); any other answers 404.
"""

from datetime import date
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from openitsms.audits import actions
from openitsms.audits.choices import (
    NC_GRADES,
    AuditStatus,
    ExternalAuditKind,
    ExternalAuditStatus,
    Grade,
    Importance,
    ItemResult,
    PrepStatus,
    PrepTopic,
)
from openitsms.audits.coverage import programme_coverage
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    ChecklistItem,
    ExternalAudit,
    ExternalFinding,
    Finding,
    PreparationItem,
)
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.improvement.api import UserRef, clause, evidence, member, process
from openitsms.processes.models import Process
from openitsms.tenancy.access import api_require, can_edit, request_membership, request_org

router = Router(tags=["audits"])
EDIT = "Only owners and managers can do this."


def _runnable(request: HttpRequest, audit: Audit) -> None:
    if not audit.runnable_by(request_membership(request)):
        raise HttpError(403, "Only owners, managers and the auditors of this audit can do this.")


def _clauses(ids: list[int] | None) -> list[Requirement] | None:
    if ids is None:
        return None
    wanted = set(ids)
    found = list(Requirement.objects.primary().filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise Http404("No such clause of ISO/IEC 20000-1:2018.")
    return found


def _processes(ids: list[int] | None) -> list[Process] | None:
    if ids is None:
        return None
    wanted = set(ids)
    found = list(Process.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise Http404("No such process in this organisation.")
    return found


def _members(request: HttpRequest, ids: list[int] | None) -> list[Any] | None:
    if ids is None:
        return None
    return [member(request, i) for i in dict.fromkeys(ids)]


# ------------------------------------------------------------------- the certification cycle


class CycleOut(Schema):
    id: int
    certification_body: str
    certificate_number: str
    scope: str
    decision_on: date | None
    expires_on: date | None
    plan_days: int
    close_days: int
    lead_months: int
    notes: str
    state: str
    years_without_audit: list[int]

    @staticmethod
    def resolve_state(obj: CertificationCycle) -> str:
        return obj.state(org_today(obj.organisation))

    @staticmethod
    def resolve_years_without_audit(obj: CertificationCycle) -> list[int]:
        return actions.year_gaps(obj)


class CycleIn(Schema):
    certification_body: str
    certificate_number: str = ""
    scope: str
    decision_on: date | None = None
    expires_on: date | None = None
    plan_days: int = 30
    close_days: int = 90
    lead_months: int = 3
    notes: str = ""


class CyclePatch(Schema):
    certification_body: str | None = None
    certificate_number: str | None = None
    scope: str | None = None
    decision_on: date | None = None
    expires_on: date | None = None
    plan_days: int | None = None
    close_days: int | None = None
    lead_months: int | None = None
    notes: str | None = None


class ExternalAuditOut(Schema):
    id: int
    cycle_id: int
    kind: ExternalAuditKind
    window_opens: date | None
    window_target: date | None
    window_closes: date | None
    window_rule: str
    window_edited: bool
    days_to_window_close: int | None
    starts_on: date | None
    ends_on: date | None
    status: ExternalAuditStatus
    auditor_name: str
    outcome: str

    @staticmethod
    def resolve_days_to_window_close(obj: ExternalAudit) -> int | None:
        return obj.days_to_close(org_today(obj.organisation))


class ExternalAuditIn(Schema):
    kind: ExternalAuditKind
    starts_on: date | None = None
    ends_on: date | None = None
    auditor_name: str = ""


class ExternalAuditPatch(Schema):
    window_opens: date | None = None
    window_target: date | None = None
    window_closes: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    status: ExternalAuditStatus | None = None
    auditor_name: str | None = None
    outcome: str | None = None


class ExternalFindingOut(Schema):
    id: int
    external_audit_id: int
    cb_reference: str
    grade: Grade
    clause_id: int | None
    process_id: int | None
    description: str
    raised_on: date
    plan_due_on: date | None
    close_due_on: date | None
    deadlines_shortened: bool
    plan_submitted_on: date | None
    closed_on: date | None
    status: str
    next_deadline: str | None
    days_left: int | None
    nonconformity_id: int | None
    improvement_id: int | None

    @staticmethod
    def resolve_status(obj: ExternalFinding) -> str:
        return obj.status.value

    @staticmethod
    def resolve_next_deadline(obj: ExternalFinding) -> str | None:
        deadline = obj.next_deadline()
        return deadline[0] if deadline else None

    @staticmethod
    def resolve_days_left(obj: ExternalFinding) -> int | None:
        return obj.days_left(org_today(obj.organisation))


class ExternalFindingIn(Schema):
    grade: Grade
    description: str
    cb_reference: str = ""
    clause_id: int | None = None
    process_id: int | None = None
    raised_on: date | None = None
    evidence_ids: list[int] = []


class ExternalFindingPatch(Schema):
    grade: Grade | None = None
    description: str | None = None
    cb_reference: str | None = None
    clause_id: int | None = None
    process_id: int | None = None
    raised_on: date | None = None
    plan_due_on: date | None = None
    close_due_on: date | None = None
    plan_submitted_on: date | None = None
    closed_on: date | None = None
    evidence_ids: list[int] | None = None


class PreparationOut(Schema):
    id: int
    external_audit_id: int
    topic: PrepTopic
    guidance: str
    status: PrepStatus
    owner: UserRef | None
    notes: str


class PreparationPatch(Schema):
    status: PrepStatus | None = None
    owner_id: int | None = None
    notes: str | None = None
    evidence_ids: list[int] | None = None


def _cycles() -> Any:
    return CertificationCycle.objects.select_related("organisation").prefetch_related("audits")


@router.get("/orgs/{org}/certification-cycles", response=list[CycleOut], summary="Certificates")
@paginate(PageNumberPagination)
def cycle_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    return _cycles()


@router.post(
    "/orgs/{org}/certification-cycles",
    response={201: CycleOut},
    summary="Add a certificate (its audits are planned with their windows)",
)
def cycle_create(request: HttpRequest, org: str, payload: CycleIn) -> Status:
    api_require(request, can_edit, EDIT)
    cycle = actions.save_cycle(
        cycle=CertificationCycle(**payload.dict()), organisation=request_org(request)
    )
    return Status(201, _cycles().get(pk=cycle.pk))


@router.get(
    "/orgs/{org}/certification-cycles/{cycle_id}", response=CycleOut, summary="One certificate"
)
def cycle_detail(request: HttpRequest, org: str, cycle_id: int) -> CertificationCycle:
    return get_object_or_404(_cycles(), pk=cycle_id)


@router.patch(
    "/orgs/{org}/certification-cycles/{cycle_id}",
    response=CycleOut,
    summary="Change a certificate (windows are recomputed, except those set by hand)",
)
def cycle_update(
    request: HttpRequest, org: str, cycle_id: int, payload: CyclePatch
) -> CertificationCycle:
    api_require(request, can_edit, EDIT)
    cycle = get_object_or_404(CertificationCycle.objects.all(), pk=cycle_id)
    for name, value in payload.dict(exclude_unset=True).items():
        setattr(cycle, name, value)
    actions.save_cycle(cycle=cycle, organisation=request_org(request))
    return get_object_or_404(_cycles(), pk=cycle_id)


@router.post(
    "/orgs/{org}/certification-cycles/{cycle_id}/recompute",
    response=list[ExternalAuditOut],
    summary="Recompute every window from the rules (windows set by hand too)",
)
def cycle_recompute(request: HttpRequest, org: str, cycle_id: int) -> Any:
    api_require(request, can_edit, EDIT)
    cycle = get_object_or_404(CertificationCycle.objects.all(), pk=cycle_id)
    actions.recompute_windows(cycle=cycle, reset=True)
    return ExternalAudit.objects.filter(cycle=cycle).select_related("organisation")


@router.get(
    "/orgs/{org}/certification-cycles/{cycle_id}/audits",
    response=list[ExternalAuditOut],
    summary="The audits of a certificate's cycle, with their windows",
)
def external_audit_list(request: HttpRequest, org: str, cycle_id: int) -> Any:
    cycle = get_object_or_404(CertificationCycle.objects.all(), pk=cycle_id)
    return ExternalAudit.objects.filter(cycle=cycle).select_related("organisation")


@router.post(
    "/orgs/{org}/certification-cycles/{cycle_id}/audits",
    response={201: ExternalAuditOut},
    summary="Add an audit to the cycle",
)
def external_audit_create(
    request: HttpRequest, org: str, cycle_id: int, payload: ExternalAuditIn
) -> Status:
    api_require(request, can_edit, EDIT)
    cycle = get_object_or_404(CertificationCycle.objects.all(), pk=cycle_id)
    audit = actions.save_external_audit(audit=ExternalAudit(cycle=cycle), changes=payload.dict())
    return Status(201, audit)


@router.get(
    "/orgs/{org}/external-audits/{external_audit_id}",
    response=ExternalAuditOut,
    summary="One certification audit",
)
def external_audit_detail(request: HttpRequest, org: str, external_audit_id: int) -> ExternalAudit:
    return get_object_or_404(
        ExternalAudit.objects.select_related("organisation"), pk=external_audit_id
    )


@router.patch(
    "/orgs/{org}/external-audits/{external_audit_id}",
    response=ExternalAuditOut,
    summary="Change a certification audit (a window changed here is kept as the body set it)",
)
def external_audit_update(
    request: HttpRequest, org: str, external_audit_id: int, payload: ExternalAuditPatch
) -> ExternalAudit:
    api_require(request, can_edit, EDIT)
    audit = get_object_or_404(ExternalAudit.objects.select_related("cycle"), pk=external_audit_id)
    return actions.save_external_audit(audit=audit, changes=payload.dict(exclude_unset=True))


def _external_findings() -> Any:
    return ExternalFinding.objects.select_related("organisation").order_by("close_due_on", "pk")


@router.get(
    "/orgs/{org}/external-findings",
    response=list[ExternalFindingOut],
    summary="Findings of the certification body, with their deadlines",
)
@paginate(PageNumberPagination)
def external_finding_list(request: HttpRequest, org: str, open: bool = False):  # type: ignore[no-untyped-def]
    qs = _external_findings()
    if open:
        qs = qs.filter(closed_on__isnull=True, grade__in=NC_GRADES)
    return qs


@router.post(
    "/orgs/{org}/external-audits/{external_audit_id}/findings",
    response={201: ExternalFindingOut},
    summary="Record a finding of the body (deadlines from the certificate)",
)
def external_finding_create(
    request: HttpRequest, org: str, external_audit_id: int, payload: ExternalFindingIn
) -> Status:
    api_require(request, can_edit, EDIT)
    audit = get_object_or_404(ExternalAudit.objects.select_related("cycle"), pk=external_audit_id)
    finding = actions.record_external_finding(
        external_audit=audit,
        by=request.auth,  # type: ignore[attr-defined]
        grade=payload.grade,
        description=payload.description,
        cb_reference=payload.cb_reference,
        clause=clause(payload.clause_id),
        process=process(payload.process_id),
        raised_on=payload.raised_on,
        evidence=evidence(payload.evidence_ids) or [],
    )
    return Status(201, _external_findings().get(pk=finding.pk))


@router.get(
    "/orgs/{org}/external-findings/{external_finding_id}",
    response=ExternalFindingOut,
    summary="One finding of the body",
)
def external_finding_detail(
    request: HttpRequest, org: str, external_finding_id: int
) -> ExternalFinding:
    return get_object_or_404(_external_findings(), pk=external_finding_id)


@router.patch(
    "/orgs/{org}/external-findings/{external_finding_id}",
    response=ExternalFindingOut,
    summary="Change a finding of the body: plan sent, closure accepted, deadlines",
)
def external_finding_update(
    request: HttpRequest, org: str, external_finding_id: int, payload: ExternalFindingPatch
) -> ExternalFinding:
    api_require(request, can_edit, EDIT)
    finding = get_object_or_404(
        ExternalFinding.objects.select_related("external_audit__cycle"), pk=external_finding_id
    )
    data = payload.dict(exclude_unset=True)
    ids = data.pop("evidence_ids", None)
    if "clause_id" in data:
        data["clause"] = clause(data.pop("clause_id"))
    if "process_id" in data:
        data["process"] = process(data.pop("process_id"))
    actions.update_external_finding(finding=finding, changes=data, evidence=evidence(ids))
    return get_object_or_404(_external_findings(), pk=external_finding_id)


@router.post(
    "/orgs/{org}/external-findings/{external_finding_id}/send-to-improvement",
    response={201: dict[str, Any]},
    summary="Put the body's opportunity for improvement in the register",
)
def external_finding_to_improvement(
    request: HttpRequest, org: str, external_finding_id: int
) -> Status:
    api_require(request, can_edit, EDIT)
    finding = get_object_or_404(
        ExternalFinding.objects.select_related("external_audit__cycle"), pk=external_finding_id
    )
    improvement = actions.send_to_improvement(finding=finding, by=request.auth)  # type: ignore[attr-defined]
    return Status(201, {"improvement_id": improvement.pk, "reference": improvement.reference})


@router.get(
    "/orgs/{org}/external-audits/{external_audit_id}/preparation",
    response=list[PreparationOut],
    summary="The preparation checklist of a surveillance or recertification audit",
)
def preparation_list(request: HttpRequest, org: str, external_audit_id: int) -> Any:
    audit = get_object_or_404(ExternalAudit.objects.all(), pk=external_audit_id)
    return PreparationItem.objects.filter(external_audit=audit).select_related("owner")


@router.patch(
    "/orgs/{org}/preparation-items/{item_id}",
    response=PreparationOut,
    summary="Update a preparation topic",
)
def preparation_update(
    request: HttpRequest, org: str, item_id: int, payload: PreparationPatch
) -> PreparationItem:
    api_require(request, can_edit, EDIT)
    item = get_object_or_404(
        PreparationItem.objects.select_related("external_audit", "owner"), pk=item_id
    )
    data = payload.dict(exclude_unset=True)
    ids = data.pop("evidence_ids", None)
    if "owner_id" in data:
        data["owner"] = member(request, data.pop("owner_id"))
    return actions.update_preparation_item(item=item, changes=data, evidence=evidence(ids))


# ----------------------------------------------------------------------- internal audits


class ProgrammeOut(Schema):
    id: int
    title: str
    cycle_id: int | None
    starts_on: date
    ends_on: date
    objectives: str
    approach: str
    owner: UserRef | None


class ProgrammeIn(Schema):
    title: str
    cycle_id: int | None = None
    starts_on: date
    ends_on: date
    objectives: str = ""
    approach: str = ""
    owner_id: int | None = None


class ProgrammePatch(Schema):
    title: str | None = None
    cycle_id: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    objectives: str | None = None
    approach: str | None = None
    owner_id: int | None = None


class FocusIn(Schema):
    process_id: int
    importance: Importance
    reason: str = ""


class ClauseCoverageOut(Schema):
    clause_id: int
    number: str
    title: str
    state: str
    audited_subclauses: int
    subclauses: int
    cells: list[str]


class ProcessCoverageOut(Schema):
    process_id: int
    name: str
    state: str
    importance: int
    previous_results: int
    recommended: int
    audited: int
    planned: int
    cells: list[str]


class CoverageOut(Schema):
    programme_id: int
    elapsed_percent: int
    audit_ids: list[int]
    clauses: list[ClauseCoverageOut]
    processes: list[ProcessCoverageOut]
    counts: dict[str, int]


def _programme_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if "cycle_id" in data:
        cycle_id = data.pop("cycle_id")
        data["cycle"] = (
            get_object_or_404(CertificationCycle.objects.all(), pk=cycle_id) if cycle_id else None
        )
    if "owner_id" in data:
        data["owner"] = member(request, data.pop("owner_id"))
    return data


def _programmes() -> Any:
    return AuditProgramme.objects.select_related("owner")


@router.get("/orgs/{org}/audit-programmes", response=list[ProgrammeOut], summary="Programmes")
@paginate(PageNumberPagination)
def programme_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    return _programmes()


@router.post(
    "/orgs/{org}/audit-programmes", response={201: ProgrammeOut}, summary="Create a programme"
)
def programme_create(request: HttpRequest, org: str, payload: ProgrammeIn) -> Status:
    api_require(request, can_edit, EDIT)
    programme = actions.save_programme(
        programme=AuditProgramme(**_programme_fields(request, payload.dict())),
        organisation=request_org(request),
    )
    return Status(201, programme)


@router.get(
    "/orgs/{org}/audit-programmes/{programme_id}", response=ProgrammeOut, summary="One programme"
)
def programme_detail(request: HttpRequest, org: str, programme_id: int) -> AuditProgramme:
    return get_object_or_404(_programmes(), pk=programme_id)


@router.patch(
    "/orgs/{org}/audit-programmes/{programme_id}",
    response=ProgrammeOut,
    summary="Change a programme",
)
def programme_update(
    request: HttpRequest, org: str, programme_id: int, payload: ProgrammePatch
) -> AuditProgramme:
    api_require(request, can_edit, EDIT)
    programme = get_object_or_404(_programmes(), pk=programme_id)
    for name, value in _programme_fields(request, payload.dict(exclude_unset=True)).items():
        setattr(programme, name, value)
    return actions.save_programme(programme=programme, organisation=request_org(request))


@router.post(
    "/orgs/{org}/audit-programmes/{programme_id}/focus",
    response=CoverageOut,
    summary="Set how important a process is to the programme",
)
def programme_focus(
    request: HttpRequest, org: str, programme_id: int, payload: FocusIn
) -> CoverageOut:
    api_require(request, can_edit, EDIT)
    programme = get_object_or_404(AuditProgramme.objects.all(), pk=programme_id)
    found = process(payload.process_id)
    assert found is not None
    actions.set_focus(
        programme=programme, process=found, importance=payload.importance, reason=payload.reason
    )
    return programme_coverage_out(request, org, programme_id)


@router.get(
    "/orgs/{org}/audit-programmes/{programme_id}/coverage",
    response=CoverageOut,
    summary="The coverage matrix: every clause and process against the programme's audits",
)
def programme_coverage_out(request: HttpRequest, org: str, programme_id: int) -> CoverageOut:
    programme = get_object_or_404(AuditProgramme.objects.all(), pk=programme_id)
    coverage = programme_coverage(programme, org_today(request_org(request)))
    return CoverageOut(
        programme_id=programme.pk,
        elapsed_percent=coverage.elapsed,
        audit_ids=[a.pk for a in coverage.audits],
        clauses=[
            ClauseCoverageOut(
                clause_id=r.requirement.pk,
                number=r.requirement.number,
                title=r.requirement.title,
                state=r.state.value,
                audited_subclauses=r.audited,
                subclauses=r.leaves,
                cells=r.cells,
            )
            for r in coverage.clauses
        ],
        processes=[
            ProcessCoverageOut(
                process_id=r.process.pk,
                name=r.process.name,
                state=r.state.value,
                importance=r.importance,
                previous_results=r.previous_results,
                recommended=r.recommended,
                audited=r.audited,
                planned=r.planned,
                cells=r.cells,
            )
            for r in coverage.processes
        ],
        counts=coverage.counts,
    )


class AuditOut(Schema):
    id: int
    reference: str
    programme_id: int
    title: str
    scope: str
    criteria: str
    clause_ids: list[int]
    process_ids: list[int]
    lead_auditor: UserRef | None
    team: list[UserRef]
    starts_on: date
    ends_on: date
    status: AuditStatus
    conclusion: str
    completed_on: date | None
    finding_count: int

    @staticmethod
    def resolve_clause_ids(obj: Audit) -> list[int]:
        return [c.pk for c in obj.clauses.all()]

    @staticmethod
    def resolve_process_ids(obj: Audit) -> list[int]:
        return [p.pk for p in obj.processes.all()]

    @staticmethod
    def resolve_team(obj: Audit) -> list[Any]:
        return list(obj.team.all())


class AuditIn(Schema):
    programme_id: int
    title: str
    scope: str = ""
    criteria: str = ""
    clause_ids: list[int] = []
    process_ids: list[int] = []
    lead_auditor_id: int
    team_ids: list[int] = []
    starts_on: date
    ends_on: date


class AuditPatch(Schema):
    title: str | None = None
    scope: str | None = None
    criteria: str | None = None
    clause_ids: list[int] | None = None
    process_ids: list[int] | None = None
    lead_auditor_id: int | None = None
    team_ids: list[int] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    conclusion: str | None = None


class CompleteIn(Schema):
    conclusion: str = ""


class ItemOut(Schema):
    id: int
    audit_id: int
    clause_id: int | None
    clause_number: str | None
    process_id: int | None
    position: int
    prompt: str
    result: ItemResult
    notes: str
    evidence_ids: list[int]
    checked_on: date | None
    finding_id: int | None

    @staticmethod
    def resolve_clause_id(obj: ChecklistItem) -> int | None:
        return obj.requirement_id

    @staticmethod
    def resolve_clause_number(obj: ChecklistItem) -> str | None:
        return obj.requirement.number if obj.requirement else None

    @staticmethod
    def resolve_evidence_ids(obj: ChecklistItem) -> list[int]:
        return [e.pk for e in obj.evidence.all()]

    @staticmethod
    def resolve_finding_id(obj: ChecklistItem) -> int | None:
        try:
            return obj.finding.pk
        except Finding.DoesNotExist:
            return None


class ItemIn(Schema):
    result: ItemResult
    notes: str = ""
    evidence_ids: list[int] | None = None


class FindingOut(Schema):
    id: int
    reference: str
    audit_id: int
    grade: Grade
    title: str
    clause_id: int | None
    process_id: int | None
    description: str
    objective_evidence: str
    evidence_ids: list[int]
    checklist_item_id: int | None
    nonconformity_id: int | None
    improvement_id: int | None
    recorded_on: date
    recorded_by: UserRef | None

    @staticmethod
    def resolve_evidence_ids(obj: Finding) -> list[int]:
        return [e.pk for e in obj.evidence.all()]


class FindingIn(Schema):
    grade: Grade
    title: str
    description: str
    clause_id: int | None = None
    process_id: int | None = None
    objective_evidence: str = ""
    evidence_ids: list[int] = []


class FindingPatch(Schema):
    grade: Grade | None = None
    title: str | None = None
    description: str | None = None
    clause_id: int | None = None
    process_id: int | None = None
    objective_evidence: str | None = None
    evidence_ids: list[int] | None = None


def _audits() -> Any:
    return (
        Audit.objects.select_related("lead_auditor")
        .prefetch_related("team", "processes", "clauses")
        .annotate(finding_count=Count("findings", distinct=True))
        .order_by("starts_on", "number")
    )


def _audit_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if "lead_auditor_id" in data:
        data["lead_auditor"] = member(request, data.pop("lead_auditor_id"))
    return data


@router.get("/orgs/{org}/audits", response=list[AuditOut], summary="Internal audits")
@paginate(PageNumberPagination)
def audit_list(  # type: ignore[no-untyped-def]
    request: HttpRequest, org: str, programme_id: int | None = None, status: str = ""
):
    qs = _audits()
    if programme_id is not None:
        qs = qs.filter(programme_id=programme_id)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.post(
    "/orgs/{org}/audits",
    response={201: AuditOut},
    summary="Plan an audit (independence checked, checklist generated)",
)
def audit_create(request: HttpRequest, org: str, payload: AuditIn) -> Status:
    api_require(request, can_edit, EDIT)
    data = payload.dict()
    programme = get_object_or_404(AuditProgramme.objects.all(), pk=data.pop("programme_id"))
    clauses = _clauses(data.pop("clause_ids"))
    processes = _processes(data.pop("process_ids"))
    team = _members(request, data.pop("team_ids"))
    if not data.get("criteria"):
        data.pop("criteria", None)
    audit = actions.create_audit(
        programme=programme,
        fields=_audit_fields(request, data),
        clauses=clauses or [],
        processes=processes or [],
        team=team or [],
    )
    return Status(201, _audits().get(pk=audit.pk))


@router.get("/orgs/{org}/audits/{audit_id}", response=AuditOut, summary="One internal audit")
def audit_detail(request: HttpRequest, org: str, audit_id: int) -> Audit:
    return get_object_or_404(_audits(), pk=audit_id)


@router.patch("/orgs/{org}/audits/{audit_id}", response=AuditOut, summary="Change an audit plan")
def audit_update(request: HttpRequest, org: str, audit_id: int, payload: AuditPatch) -> Audit:
    api_require(request, can_edit, EDIT)
    audit = get_object_or_404(_audits(), pk=audit_id)
    data = payload.dict(exclude_unset=True)
    actions.update_audit(
        audit=audit,
        clauses=_clauses(data.pop("clause_ids", None)),
        processes=_processes(data.pop("process_ids", None)),
        team=_members(request, data.pop("team_ids", None)),
        changes=_audit_fields(request, data),
    )
    return get_object_or_404(_audits(), pk=audit_id)


@router.post("/orgs/{org}/audits/{audit_id}/start", response=AuditOut, summary="Start an audit")
def audit_start(request: HttpRequest, org: str, audit_id: int) -> Audit:
    audit = get_object_or_404(_audits(), pk=audit_id)
    _runnable(request, audit)
    actions.start_audit(audit=audit)
    return get_object_or_404(_audits(), pk=audit_id)


@router.post(
    "/orgs/{org}/audits/{audit_id}/complete",
    response=AuditOut,
    summary="Complete an audit (its report becomes final; coverage counts it)",
)
def audit_complete(request: HttpRequest, org: str, audit_id: int, payload: CompleteIn) -> Audit:
    audit = get_object_or_404(_audits(), pk=audit_id)
    _runnable(request, audit)
    actions.complete_audit(audit=audit, conclusion=payload.conclusion or None)
    return get_object_or_404(_audits(), pk=audit_id)


@router.post("/orgs/{org}/audits/{audit_id}/cancel", response=AuditOut, summary="Cancel an audit")
def audit_cancel(request: HttpRequest, org: str, audit_id: int) -> Audit:
    api_require(request, can_edit, EDIT)
    audit = get_object_or_404(_audits(), pk=audit_id)
    actions.cancel_audit(audit=audit)
    return get_object_or_404(_audits(), pk=audit_id)


def _items() -> Any:
    return ChecklistItem.objects.select_related("requirement", "finding").prefetch_related(
        "evidence"
    )


@router.get(
    "/orgs/{org}/audits/{audit_id}/checklist",
    response=list[ItemOut],
    summary="The checklist of an audit",
)
def checklist(request: HttpRequest, org: str, audit_id: int) -> Any:
    audit = get_object_or_404(Audit.objects.all(), pk=audit_id)
    return _items().filter(audit=audit)


@router.patch(
    "/orgs/{org}/checklist-items/{item_id}",
    response=ItemOut,
    summary="Record the result of a checklist item (a finding result records the finding)",
)
def checklist_item_update(
    request: HttpRequest, org: str, item_id: int, payload: ItemIn
) -> ChecklistItem:
    item = get_object_or_404(_items().select_related("audit"), pk=item_id)
    _runnable(request, item.audit)
    actions.record_item_result(
        item=item,
        by=request.auth,  # type: ignore[attr-defined]
        result=payload.result,
        notes=payload.notes,
        evidence=evidence(payload.evidence_ids),
    )
    return get_object_or_404(_items(), pk=item_id)


def _findings() -> Any:
    return Finding.objects.select_related("recorded_by").prefetch_related("evidence")


def _finding_fields(data: dict[str, Any]) -> dict[str, Any]:
    if "clause_id" in data:
        data["clause"] = clause(data.pop("clause_id"))
    if "process_id" in data:
        data["process"] = process(data.pop("process_id"))
    return data


@router.get("/orgs/{org}/findings", response=list[FindingOut], summary="Internal audit findings")
@paginate(PageNumberPagination)
def finding_list(  # type: ignore[no-untyped-def]
    request: HttpRequest, org: str, audit_id: int | None = None, grade: str = ""
):
    qs = _findings()
    if audit_id is not None:
        qs = qs.filter(audit_id=audit_id)
    if grade:
        qs = qs.filter(grade=grade)
    return qs


@router.post(
    "/orgs/{org}/audits/{audit_id}/findings",
    response={201: FindingOut},
    summary="Record a finding (a major or minor nonconformity opens a nonconformity)",
)
def finding_create(request: HttpRequest, org: str, audit_id: int, payload: FindingIn) -> Status:
    audit = get_object_or_404(Audit.objects.all(), pk=audit_id)
    _runnable(request, audit)
    data = _finding_fields(payload.dict())
    ids = data.pop("evidence_ids")
    finding = actions.record_finding(
        audit=audit,
        by=request.auth,  # type: ignore[attr-defined]
        evidence=evidence(ids) or [],
        **data,
    )
    return Status(201, _findings().get(pk=finding.pk))


@router.get("/orgs/{org}/findings/{finding_id}", response=FindingOut, summary="One finding")
def finding_detail(request: HttpRequest, org: str, finding_id: int) -> Finding:
    return get_object_or_404(_findings(), pk=finding_id)


@router.patch(
    "/orgs/{org}/findings/{finding_id}",
    response=FindingOut,
    summary="Change a finding (never downgrading a nonconformity)",
)
def finding_update(
    request: HttpRequest, org: str, finding_id: int, payload: FindingPatch
) -> Finding:
    finding = get_object_or_404(_findings().select_related("audit"), pk=finding_id)
    _runnable(request, finding.audit)
    data = _finding_fields(payload.dict(exclude_unset=True))
    ids = data.pop("evidence_ids", None)
    actions.update_finding(
        finding=finding,
        by=request.auth,  # type: ignore[attr-defined]
        changes=data,
        evidence=evidence(ids),
    )
    return get_object_or_404(_findings(), pk=finding_id)


@router.post(
    "/orgs/{org}/findings/{finding_id}/send-to-improvement",
    response={201: dict[str, Any]},
    summary="Put an opportunity for improvement in the improvement register",
)
def finding_to_improvement(request: HttpRequest, org: str, finding_id: int) -> Status:
    finding = get_object_or_404(_findings().select_related("audit"), pk=finding_id)
    _runnable(request, finding.audit)
    improvement = actions.send_to_improvement(finding=finding, by=request.auth)  # type: ignore[attr-defined]
    return Status(201, {"improvement_id": improvement.pk, "reference": improvement.reference})
