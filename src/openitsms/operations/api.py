from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from openitsms.operations.actions import (
    delete_mapping,
    queue_import,
    save_mapping,
    update_mapping,
)
from openitsms.operations.choices import RecordKind, Source
from openitsms.operations.kpis import monthly_kpis
from openitsms.operations.models import ColumnMapping, ImportRejection, ImportRun, Record
from openitsms.operations.recurring import problem_candidates, raise_problem
from openitsms.operations.value_tables import (
    default_patterns,
    default_table,
    mapped_fields,
    source_kind_errors,
    vocabulary,
)
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
    """A mapping: ``columns`` is field -> the export's header (``""`` leaves a field unread);
    ``value_maps`` is field -> {the export's value: ours}, laid over the source's defaults."""

    name: str
    source: Source = Source.CSV
    kind: RecordKind | None = None
    columns: dict[str, str] = {}
    value_maps: dict[str, dict[str, str]] = {}


class ValuePatternOut(Schema):
    pattern: str
    value: str


class ValueTableOut(Schema):
    """One field's default value table: keys as looked up (lower case, single blanks)."""

    field: str
    label: str
    vocabulary: list[str]
    table: dict[str, str]
    patterns: list[ValuePatternOut]


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
    mapping = save_mapping(
        organisation=request_org(request),
        name=body.name,
        source=body.source,
        kind=body.kind or "",
        columns=body.columns,
        value_maps=body.value_maps,
    )
    return Status(201, mapping)


@router.get(
    "/orgs/{org}/column-mappings/{mapping_id}", response=MappingOut, summary="One column mapping"
)
def mapping_detail(request: HttpRequest, org: str, mapping_id: int) -> ColumnMapping:
    return get_object_or_404(ColumnMapping.objects, pk=mapping_id)


@router.put(
    "/orgs/{org}/column-mappings/{mapping_id}",
    response=MappingOut,
    summary="Replace a column mapping's name, source, kind, columns and value maps",
)
def mapping_update(
    request: HttpRequest, org: str, mapping_id: int, body: MappingIn
) -> ColumnMapping:
    api_require(request, can_edit, "Only owners and managers can change column mappings.")
    return update_mapping(
        mapping=get_object_or_404(ColumnMapping.objects, pk=mapping_id),
        name=body.name,
        source=body.source,
        kind=body.kind or "",
        columns=body.columns,
        value_maps=body.value_maps,
    )


@router.delete(
    "/orgs/{org}/column-mappings/{mapping_id}",
    response={204: None},
    summary="Delete a column mapping (runs that used it keep its name)",
)
def mapping_delete(request: HttpRequest, org: str, mapping_id: int) -> Status:
    api_require(request, can_edit, "Only owners and managers can delete column mappings.")
    delete_mapping(mapping=get_object_or_404(ColumnMapping.objects, pk=mapping_id))
    return Status(204, None)


@router.get(
    "/orgs/{org}/value-map-defaults",
    response=list[ValueTableOut],
    summary="The default value tables of a source (and kind): what a mapping's values override",
)
def value_map_defaults(
    request: HttpRequest, org: str, source: Source, kind: RecordKind | None = None
) -> list[dict[str, Any]]:
    errors = source_kind_errors(source, kind or "")
    if errors:
        raise ValidationError(errors)
    return [
        {
            "field": spec.name,
            "label": spec.label,
            "vocabulary": [value for value, _label in vocabulary(spec.name)],
            "table": default_table(source, kind or "", spec.name),
            "patterns": [
                {"pattern": pattern, "value": value}
                for pattern, value in default_patterns(source, kind or "", spec.name)
            ],
        }
        for spec in mapped_fields(kind or "")
    ]


class MonthKpiOut(Schema):
    """One month's KPIs of one kind of record (see ``openitsms.operations.kpis``): figures
    that do not apply to the kind asked for are ``null``, as are rates and times without
    anything to measure. Times in hours (``_h``) or days (``_days``), shares in %."""

    month: date
    opened: int
    ended: int
    resolved: int
    backlog: int
    backlog_mean_age_days: float | None
    mean_resolution_24x7_h: float | None
    median_resolution_24x7_h: float | None
    mean_resolution_business_h: float | None
    median_resolution_business_h: float | None
    resolution_with_target: int
    resolution_within_pct: float | None
    mean_response_24x7_h: float | None
    median_response_24x7_h: float | None
    mean_response_business_h: float | None
    median_response_business_h: float | None
    response_with_target: int | None
    response_within_pct: float | None
    reopen_rate_pct: float | None
    reassignments_per_record: float | None
    major: int | None
    first_contact_resolved: int | None
    first_contact_measured: int | None
    first_contact_resolution_pct: float | None
    linked_to_problem_pct: float | None
    caused_by_change_pct: float | None
    with_root_cause: int | None
    root_cause_pct: float | None
    known_errors: int | None
    known_error_pct: float | None
    known_errors_timed: int | None
    mean_time_to_known_error_days: float | None
    median_time_to_known_error_days: float | None
    changes_normal: int | None
    changes_standard: int | None
    changes_emergency: int | None
    emergency_pct: float | None
    with_outcome: int | None
    successful: int | None
    successful_with_issues: int | None
    unsuccessful: int | None
    success_rate_pct: float | None
    rolled_back: int | None
    rolled_back_pct: float | None
    caused_incidents: int | None
    failed: int | None
    failure_rate_pct: float | None


@router.get(
    "/orgs/{org}/kpis",
    response=list[MonthKpiOut],
    summary="Monthly operational KPIs of incidents, requests, problems or changes",
)
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


# --- recurring incidents ----------------------------------------------------------------------


class CandidateIncidentOut(Schema):
    id: int
    source_id: str
    title: str
    opened_at: datetime


class ProblemCandidateOut(Schema):
    affects: str = Field(
        description="What the incidents share: configuration item, service or category"
    )
    what: str = Field(description="Its name")
    text: str = Field(description="The title of the group's first incident")
    incidents: list[CandidateIncidentOut]


class RaiseProblemIn(Schema):
    title: str
    incident_ids: list[int]


@router.get(
    "/orgs/{org}/problem-candidates",
    response=list[ProblemCandidateOut],
    summary="Recurring incidents: groups of similar incidents not yet linked to a problem",
)
def problem_candidate_list(request: HttpRequest, org: str) -> list[ProblemCandidateOut]:
    return [
        ProblemCandidateOut(
            affects=candidate.affects,
            what=candidate.what,
            text=candidate.text,
            incidents=[
                CandidateIncidentOut(
                    id=incident.pk,
                    source_id=incident.source_id,
                    title=incident.title,
                    opened_at=incident.opened_at,
                )
                for incident in candidate.incidents
            ],
        )
        for candidate in problem_candidates()
    ]


@router.post(
    "/orgs/{org}/problems",
    response={201: RecordDetailOut},
    summary="Raise a problem record linked to incidents (e.g. a recurring-incident candidate)",
)
def problem_raise(request: HttpRequest, org: str, body: RaiseProblemIn) -> Status:
    api_require(request, can_edit, "Only owners and managers can raise problems.")
    problem = raise_problem(
        organisation=request_org(request),
        user=request.user,
        incident_ids=body.incident_ids,
        title=body.title,
    )
    return Status(201, problem)
