from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from openitsms.catalogue.models import Requirement
from openitsms.evidence.models import EvidenceItem
from openitsms.processes import actions
from openitsms.processes.choices import KpiDirection, ProcessKind, Raci
from openitsms.processes.models import Process, ProcessKpi, RaciEntry
from openitsms.processes.views import filtered_processes, register
from openitsms.tenancy.access import api_require, can_edit, request_membership, request_org

router = Router(tags=["processes"])
User = get_user_model()
EDIT_REFUSED = "Only owners, managers and the process's owner can change this process."


class PersonOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class KpiOut(Schema):
    id: int
    name: str
    target: Decimal
    unit: str
    direction: KpiDirection
    measurement: str

    @staticmethod
    def resolve_target(obj: ProcessKpi) -> Decimal:
        return Decimal(obj.target_display)  # 95.5, not 95.500


class KpiIn(Schema):
    name: str
    target: Decimal
    unit: str = ""
    direction: KpiDirection
    measurement: str = ""


class KpiPatch(Schema):
    name: str | None = None
    target: Decimal | None = None
    unit: str | None = None
    direction: KpiDirection | None = None
    measurement: str | None = None


class RaciActivityOut(Schema):
    activity: str
    assignments: dict[str, Raci]


class RaciActivityIn(Schema):
    activity: str
    assignments: dict[str, str] = {}


class RaciIn(Schema):
    activities: list[RaciActivityIn]
    parties: list[str] = []  # the order of the columns; others follow as they first appear


class RaciOut(Schema):
    parties: list[str]
    activities: list[RaciActivityOut]


class ProcessOut(Schema):
    id: int
    slug: str
    name: str
    kind: ProcessKind
    purpose: str
    inputs: list[str]
    outputs: list[str]
    clauses: list[str]
    interfaces: list[str]
    owner: PersonOut | None
    deputy: PersonOut | None
    procedure_id: int | None
    last_reviewed_on: date | None
    review_interval_months: int
    review_due_on: date | None
    is_active: bool
    position: int
    flags: list[str]
    kpis: list[KpiOut]
    raci: RaciOut

    @staticmethod
    def resolve_inputs(obj: Process) -> list[str]:
        return obj.input_lines()

    @staticmethod
    def resolve_outputs(obj: Process) -> list[str]:
        return obj.output_lines()

    @staticmethod
    def resolve_clauses(obj: Process) -> list[str]:
        return [r.number for r in obj.clauses.all()]

    @staticmethod
    def resolve_interfaces(obj: Process) -> list[str]:
        return [p.slug for p in obj.interfaces.all()]

    @staticmethod
    def resolve_review_due_on(obj: Process) -> date | None:
        return obj.review_due_on()

    @staticmethod
    def resolve_flags(obj: Process) -> list[str]:
        return obj.flags(len(obj.kpis.all()))

    @staticmethod
    def resolve_kpis(obj: Process) -> list[ProcessKpi]:
        return list(obj.kpis.all())

    @staticmethod
    def resolve_raci(obj: Process) -> dict[str, Any]:
        return _raci_out(obj, list(obj.raci.all()))


class ProcessIn(Schema):
    name: str
    kind: ProcessKind
    slug: str = ""
    purpose: str = ""
    inputs: list[str] = []
    outputs: list[str] = []
    clauses: list[str] = []
    interfaces: list[str] = []
    owner_id: int | None = None
    deputy_id: int | None = None
    procedure_id: int | None = None
    last_reviewed_on: date | None = None
    review_interval_months: int = 12
    is_active: bool = True


class ProcessPatch(Schema):
    name: str | None = None
    kind: ProcessKind | None = None
    slug: str | None = None
    purpose: str | None = None
    inputs: list[str] | None = None
    outputs: list[str] | None = None
    clauses: list[str] | None = None
    interfaces: list[str] | None = None
    owner_id: int | None = None
    deputy_id: int | None = None
    procedure_id: int | None = None
    last_reviewed_on: date | None = None
    review_interval_months: int | None = None
    is_active: bool | None = None
    position: int | None = None


class InstallOut(Schema):
    created: list[str]
    existing: int
    message: str


NOT_NULL = {"name", "kind", "slug", "purpose", "review_interval_months", "is_active", "position"}


def _raci_out(process: Process, entries: list[RaciEntry]) -> dict[str, Any]:
    matrix = actions.raci_matrix(process, entries)
    parties = matrix["parties"]
    return {
        "parties": parties,
        "activities": [
            {
                "activity": row["activity"],
                "assignments": {p: c for p, c in zip(parties, row["letters"], strict=True) if c},
            }
            for row in matrix["rows"]
        ],
    }


def _processes() -> QuerySet[Process]:
    return register().prefetch_related(
        Prefetch("interfaces", queryset=Process.objects.order_by("position", "name")),
        Prefetch("kpis", queryset=ProcessKpi.objects.order_by("name")),
        Prefetch("raci", queryset=RaciEntry.objects.order_by("activity", "party")),
    )


def _member(request: HttpRequest, user_id: int | None, field: str) -> Any:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__organisation=request_org(request)).first()
    if user is None:
        raise ValidationError({field: "Choose a member of this organisation."})
    return user


def _clauses(numbers: list[str]) -> list[Requirement]:
    found = {r.number: r for r in Requirement.objects.primary().filter(number__in=numbers)}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise ValidationError({"clauses": f"Unknown clause(s): {', '.join(unknown)}."})
    return [found[n] for n in numbers]


def _interfaces(slugs: list[str]) -> list[Process]:
    found = {p.slug: p for p in Process.objects.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationError({"interfaces": f"Unknown process(es): {', '.join(unknown)}."})
    return [found[s] for s in slugs]


def _procedure(evidence_id: int | None) -> EvidenceItem | None:
    if evidence_id is None:
        return None
    item = EvidenceItem.objects.filter(pk=evidence_id).first()
    if item is None:
        raise ValidationError({"procedure_id": "No such evidence in this organisation."})
    return item


def _changes(request: HttpRequest, sent: dict[str, Any]) -> dict[str, Any]:
    nulls = sorted(k for k in NOT_NULL if k in sent and sent[k] is None)
    if nulls:
        raise ValidationError({k: "This field cannot be empty." for k in nulls})
    changes = {k: v for k, v in sent.items() if k in actions.EDITABLE_FIELDS}
    for key in ("inputs", "outputs"):
        if key in sent:
            changes[key] = "\n".join(line.strip() for line in sent[key] or [] if line.strip())
    if "owner_id" in sent:
        changes["owner"] = _member(request, sent["owner_id"], "owner_id")
    if "deputy_id" in sent:
        changes["deputy"] = _member(request, sent["deputy_id"], "deputy_id")
    if "procedure_id" in sent:
        changes["procedure"] = _procedure(sent["procedure_id"])
    return changes


def _editable(request: HttpRequest, process: Process) -> None:
    if not process.editable_by(request_membership(request)):
        raise HttpError(403, EDIT_REFUSED)


@router.get("/orgs/{org}/processes", response=list[ProcessOut], summary="The process register")
@paginate(PageNumberPagination)
def process_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    kind: ProcessKind | None = None,
    owner: str | None = None,
    flagged: bool = False,
):
    """Filters: `kind`, `owner` (user id, or `none`), `flagged=true` (no owner or no KPI)."""
    if owner not in (None, "none") and not str(owner).isdigit():
        raise ValidationError({"owner": "Give a user id or `none`."})
    return filtered_processes(_processes(), {"kind": kind, "owner": owner, "flagged": flagged})


@router.post("/orgs/{org}/processes", response={201: ProcessOut}, summary="Add a process")
def process_create(request: HttpRequest, org: str, payload: ProcessIn) -> Status:
    api_require(request, can_edit, "Only owners and managers can add processes.")
    sent = payload.dict()
    process = actions.create_process(
        organisation=request_org(request),
        fields=_changes(request, sent),
        clauses=_clauses(payload.clauses),
        interfaces=_interfaces(payload.interfaces),
    )
    return Status(201, _processes().get(pk=process.pk))


@router.post(
    "/orgs/{org}/processes/install-defaults",
    response=InstallOut,
    summary="Install the default process register (processes that exist are left alone)",
)
def process_install(request: HttpRequest, org: str) -> dict[str, Any]:
    api_require(request, can_edit, "Only owners and managers can install the default processes.")
    result = actions.install_default_processes(organisation=request_org(request))
    return {
        "created": [p.slug for p in result.created],
        "existing": result.existing,
        "message": result.message,
    }


@router.get("/orgs/{org}/processes/{process_id}", response=ProcessOut, summary="One process")
def process_detail(request: HttpRequest, org: str, process_id: int) -> Process:
    return get_object_or_404(_processes(), pk=process_id)


@router.patch("/orgs/{org}/processes/{process_id}", response=ProcessOut, summary="Change a process")
def process_update(
    request: HttpRequest, org: str, process_id: int, payload: ProcessPatch
) -> Process:
    process = get_object_or_404(Process.objects.all(), pk=process_id)
    _editable(request, process)
    sent = payload.dict(exclude_unset=True)
    actions.update_process(
        process=process,
        changes=_changes(request, sent),
        clauses=_clauses(sent["clauses"] or []) if "clauses" in sent else None,
        interfaces=_interfaces(sent["interfaces"] or []) if "interfaces" in sent else None,
        membership=request_membership(request),
    )
    return _processes().get(pk=process.pk)


@router.get(
    "/orgs/{org}/processes/{process_id}/kpis", response=list[KpiOut], summary="A process's KPIs"
)
@paginate(PageNumberPagination)
def kpi_list(request: HttpRequest, org: str, process_id: int):  # type: ignore[no-untyped-def]
    process = get_object_or_404(Process.objects.all(), pk=process_id)
    return ProcessKpi.objects.filter(process=process).order_by("name")


@router.post("/orgs/{org}/processes/{process_id}/kpis", response={201: KpiOut}, summary="Add a KPI")
def kpi_create(request: HttpRequest, org: str, process_id: int, payload: KpiIn) -> Status:
    process = get_object_or_404(Process.objects.all(), pk=process_id)
    _editable(request, process)
    return Status(201, actions.create_kpi(process=process, fields=payload.dict()))


@router.patch("/orgs/{org}/kpis/{kpi_id}", response=KpiOut, summary="Change a KPI")
def kpi_update(request: HttpRequest, org: str, kpi_id: int, payload: KpiPatch) -> ProcessKpi:
    kpi = get_object_or_404(ProcessKpi.objects.select_related("process"), pk=kpi_id)
    _editable(request, kpi.process)
    sent = payload.dict(exclude_unset=True)
    nulls = sorted(
        k
        for k in ("name", "target", "direction", "unit", "measurement")
        if k in sent and sent[k] is None
    )
    if nulls:
        raise ValidationError({k: "This field cannot be empty." for k in nulls})
    return actions.update_kpi(kpi=kpi, changes=sent)


@router.delete("/orgs/{org}/kpis/{kpi_id}", response={204: None}, summary="Remove a KPI")
def kpi_delete(request: HttpRequest, org: str, kpi_id: int) -> Status:
    kpi = get_object_or_404(ProcessKpi.objects.select_related("process"), pk=kpi_id)
    _editable(request, kpi.process)
    actions.delete_kpi(kpi=kpi)
    return Status(204, None)


@router.put(
    "/orgs/{org}/processes/{process_id}/raci",
    response=RaciOut,
    summary="Replace the whole RACI matrix (exactly one A per activity that has parties)",
)
def raci_replace(request: HttpRequest, org: str, process_id: int, payload: RaciIn) -> Any:
    process = get_object_or_404(Process.objects.all(), pk=process_id)
    _editable(request, process)
    entries = actions.set_raci(
        process=process,
        rows=[(row.activity, row.assignments) for row in payload.activities],
        parties=payload.parties,
    )
    return _raci_out(process, entries)
