from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from openitsms.operations.actions import queue_import, save_mapping
from openitsms.operations.choices import RecordKind, Source
from openitsms.operations.ingest import FIELD_BY_NAME
from openitsms.operations.kpis import monthly_kpis
from openitsms.operations.models import ColumnMapping, ImportRejection, ImportRun, Record
from openitsms.tenancy.access import api_require, can_edit, request_org

router = Router(tags=["operations"])


class ImportRunOut(Schema):
    id: int
    file_name: str
    sha256: str
    source: str
    kind: str
    mapping_name: str
    dry_run: bool
    status: str
    percent: int
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    duration_s: float
    message: str
    description: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None
    job_id: int | None
    user: str | None

    @staticmethod
    def resolve_user(obj: ImportRun) -> str | None:
        return obj.user.username if obj.user else None


class RejectionOut(Schema):
    row_number: int
    source_id: str
    reason: str
    columns: list[str]


class RecordOut(Schema):
    id: int
    kind: str
    source: str
    source_id: str
    title: str
    status: str
    source_status: str
    service_id: int | None
    service_name: str
    configuration_item: str
    priority: str
    impact: str
    urgency: str
    category: str
    assignment_group: str
    opened_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reassignment_count: int | None
    reopen_count: int | None
    problem_ref: str
    change_ref: str
    caused_by_change_ref: str
    sla_basis: str
    sla_agreement_id: int | None
    response_target_s: int | None
    response_business_s: int | None
    response_24x7_s: int | None
    response_breached: bool | None
    resolution_target_s: int | None
    resolution_business_s: int | None
    resolution_24x7_s: int | None
    resolution_breached: bool | None


class RecordDetailOut(RecordOut):
    history: list[list[Any]]
    priority_history: list[list[Any]]
    change_type: str
    risk: str
    outcome: str
    rolled_back: bool | None
    root_cause: str
    workaround: str
    known_error: bool | None


class MappingOut(Schema):
    id: int
    name: str
    source: str
    kind: str
    columns: dict[str, str]
    value_maps: dict[str, dict[str, str]]


class MappingIn(Schema):
    name: str
    source: Source = Source.CSV
    kind: RecordKind | None = None
    columns: dict[str, str]
    value_maps: dict[str, dict[str, str]] = {}


@router.get("/orgs/{org}/import-runs", response=list[ImportRunOut], summary="Import runs")
@paginate(PageNumberPagination)
def run_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    return ImportRun.objects.select_related("user", "job")


@router.get("/orgs/{org}/import-runs/{run_id}", response=ImportRunOut, summary="One import run")
def run_detail(request: HttpRequest, org: str, run_id: int) -> ImportRun:
    return get_object_or_404(ImportRun.objects.select_related("user", "job"), pk=run_id)


@router.get(
    "/orgs/{org}/import-runs/{run_id}/rejections",
    response=list[RejectionOut],
    summary="The rejected rows of an import run",
)
@paginate(PageNumberPagination)
def run_rejections(request: HttpRequest, org: str, run_id: int):  # type: ignore[no-untyped-def]
    run = get_object_or_404(ImportRun.objects, pk=run_id)
    return ImportRejection.objects.filter(run=run)


@router.post(
    "/orgs/{org}/import-runs",
    response={202: ImportRunOut},
    summary="Upload an export and import it in the background (multipart)",
)
def run_create(
    request: HttpRequest,
    org: str,
    file: File[UploadedFile],
    source: Form[Source],
    kind: Form[RecordKind],
    mapping: Form[str] = "",
    dry_run: Form[bool] = False,
    tz: Form[str] = "",
    date_order: Form[str] = "",
) -> Status:
    api_require(request, can_edit, "Only owners and managers can import records.")
    organisation = request_org(request)
    if source == Source.OPENITSMS:
        raise ValidationError({"source": "Choose the tool the file was exported from."})
    chosen = None
    if mapping:
        chosen = ColumnMapping.objects.filter(name=mapping).first()
        if chosen is None:
            raise ValidationError({"mapping": f"No saved column mapping called {mapping!r}."})
    elif source == Source.CSV:
        raise ValidationError({"mapping": "A CSV file of another tool needs a saved mapping."})
    if date_order not in ("", "day_first", "month_first"):
        raise ValidationError({"date_order": "Choose day_first or month_first."})
    run = queue_import(
        organisation=organisation,
        user=request.auth,  # type: ignore[attr-defined]
        upload=file,
        source=source,
        kind=kind,
        mapping=chosen,
        dry_run=dry_run,
        tz=tz or organisation.time_zone,
        date_order=date_order,
    )
    return Status(202, run)


@router.get("/orgs/{org}/records", response=list[RecordOut], summary="Operational records")
@paginate(PageNumberPagination)
def record_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    kind: str = "",
    status: str = "",
    priority: str = "",
    service_id: int | None = None,
    q: str = "",
):
    records = Record.objects.defer("history", "priority_history")
    for name, value in (("kind", kind), ("status", status), ("priority", priority)):
        if value:
            records = records.filter(**{name: value})
    if service_id:
        records = records.filter(service_id=service_id)
    if q:
        records = records.filter(Q(source_id__icontains=q) | Q(title__icontains=q))
    return records


@router.get("/orgs/{org}/records/{record_id}", response=RecordDetailOut, summary="One record")
def record_detail(request: HttpRequest, org: str, record_id: int) -> Record:
    return get_object_or_404(Record.objects, pk=record_id)


@router.get("/orgs/{org}/column-mappings", response=list[MappingOut], summary="Column mappings")
def mapping_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    return list(ColumnMapping.objects.all())


@router.post(
    "/orgs/{org}/column-mappings",
    response={201: MappingOut},
    summary="Save a column mapping (replaces one of the same name)",
)
def mapping_save(request: HttpRequest, org: str, body: MappingIn) -> Status:
    api_require(request, can_edit, "Only owners and managers can save column mappings.")
    unknown = sorted(set(body.columns) - set(FIELD_BY_NAME))
    if unknown:
        raise ValidationError({"columns": f"Unknown fields: {', '.join(unknown)}."})
    mapping = save_mapping(
        organisation=request_org(request),
        name=body.name,
        source=body.source,
        kind=body.kind or "",
        columns=body.columns,
        value_maps=body.value_maps,
    )
    return Status(201, mapping)


class MonthKpiOut(Schema):
    month: date
    opened: int
    resolved: int
    backlog: int
    major: int
    mean_response_24x7_h: float | None
    mean_response_business_h: float | None
    mean_resolution_24x7_h: float | None
    mean_resolution_business_h: float | None
    response_with_target: int
    response_within_pct: float | None
    resolution_with_target: int
    resolution_within_pct: float | None
    reopen_rate_pct: float | None
    reassignments_per_record: float | None


@router.get("/orgs/{org}/kpis", response=list[MonthKpiOut], summary="Monthly operational KPIs")
def kpi_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    kind: RecordKind = RecordKind.INCIDENT,
    service_id: int | None = None,
    priority: str = "",
    assignment_group: str = "",
):
    return monthly_kpis(
        kind=kind, service_id=service_id, priority=priority, assignment_group=assignment_group
    )
