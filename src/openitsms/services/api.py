"""REST API of the service catalogue, agreements, business calendars, outages, availability and
the monthly service report. Writes go through ``actions``; owners and managers edit, a process
owner edits the services they own and records their outages, everyone else reads."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from openitsms.evidence.models import EvidenceItem
from openitsms.services import actions
from openitsms.services.availability import PERIOD_HELP, ServiceAvailability, parse_period
from openitsms.services.availability import service_availability as measure_availability
from openitsms.services.choices import (
    AgreementKind,
    AvailabilityPeriod,
    ClockKind,
    Comparator,
    Criticality,
    DurationUnit,
    Lifecycle,
    OutageKind,
    PartyKind,
    ReopenPolicy,
)
from openitsms.services.models import (
    Agreement,
    AgreementQuerySet,
    AvailabilityTarget,
    Calendar,
    CalendarClosure,
    MeasurableTarget,
    Outage,
    Party,
    Service,
    TimeTarget,
)
from openitsms.services.models.calendars import MIDNIGHT
from openitsms.services.reports import service_report as build_service_report
from openitsms.tenancy.access import api_require, can_edit, request_membership, request_org

router = Router(tags=["services"])

EDIT = "Only owners and managers can change this."


def _ids(records: Any) -> list[int]:
    return [record.pk for record in records.all()]


def _pick(model: Any, ids: list[int] | None, field: str) -> list[Any] | None:
    """The organisation's records with these ids; an unknown id is refused on ``field``."""
    if ids is None:
        return None
    found = list(model.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        missing = sorted(set(ids) - {record.pk for record in found})
        raise ValidationError({field: f"No such record in this organisation: {missing}."})
    return found


def _member(request: HttpRequest, user_id: int | None, field: str = "owner_id") -> Any:
    if user_id is None:
        return None
    from openitsms.tenancy.models import Membership

    membership = (
        Membership.objects.select_related("user")
        .filter(organisation=request_org(request), user_id=user_id)
        .first()
    )
    if membership is None:
        raise ValidationError({field: "The owner must be a member of the organisation."})
    return membership.user


# --- parties -----------------------------------------------------------------------------


class PartyOut(Schema):
    id: int
    name: str
    kind: PartyKind
    contact: str
    notes: str


class PartyIn(Schema):
    name: str
    kind: PartyKind
    contact: str = ""
    notes: str = ""


class PartyPatch(Schema):
    name: str | None = None
    kind: PartyKind | None = None
    contact: str | None = None
    notes: str | None = None


@router.get("/orgs/{org}/parties", response=list[PartyOut], summary="Customers, teams, suppliers")
@paginate(PageNumberPagination)
def party_list(request: HttpRequest, org: str, kind: PartyKind | None = None):  # type: ignore[no-untyped-def]
    parties = Party.objects.all()
    return parties.filter(kind=kind) if kind else parties


@router.post("/orgs/{org}/parties", response={201: PartyOut}, summary="Add a party")
def party_create(request: HttpRequest, org: str, payload: PartyIn) -> Status:
    api_require(request, can_edit, EDIT)
    party = actions.save_party(party=Party(**payload.dict()), organisation=request_org(request))
    return Status(201, party)


@router.get("/orgs/{org}/parties/{party_id}", response=PartyOut, summary="One party")
def party_detail(request: HttpRequest, org: str, party_id: int) -> Party:
    return get_object_or_404(Party.objects.all(), pk=party_id)


@router.patch("/orgs/{org}/parties/{party_id}", response=PartyOut, summary="Change a party")
def party_update(request: HttpRequest, org: str, party_id: int, payload: PartyPatch) -> Party:
    api_require(request, can_edit, EDIT)
    party = get_object_or_404(Party.objects.all(), pk=party_id)
    for field, value in payload.dict(exclude_unset=True).items():
        setattr(party, field, value)
    return actions.save_party(party=party, organisation=request_org(request))


@router.delete("/orgs/{org}/parties/{party_id}", response={204: None}, summary="Delete a party")
def party_delete(request: HttpRequest, org: str, party_id: int) -> Status:
    api_require(request, can_edit, EDIT)
    actions.delete_party(party=get_object_or_404(Party.objects.all(), pk=party_id))
    return Status(204, None)


# --- services ----------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    owner_id: int | None
    owner: str | None
    lifecycle: Lifecycle
    criticality: Criticality
    customer_ids: list[int]
    supplier_ids: list[int]
    depends_on_ids: list[int]
    configuration_items: list[str]
    evidence_ids: list[int]
    agreement_ids: list[int]

    @staticmethod
    def resolve_owner(obj: Service) -> str | None:
        return obj.owner.username if obj.owner else None

    @staticmethod
    def resolve_customer_ids(obj: Service) -> list[int]:
        return _ids(obj.customers)

    @staticmethod
    def resolve_supplier_ids(obj: Service) -> list[int]:
        return _ids(obj.suppliers)

    @staticmethod
    def resolve_depends_on_ids(obj: Service) -> list[int]:
        return _ids(obj.depends_on)

    @staticmethod
    def resolve_configuration_items(obj: Service) -> list[str]:
        return obj.ci_names

    @staticmethod
    def resolve_evidence_ids(obj: Service) -> list[int]:
        return _ids(obj.evidence)

    @staticmethod
    def resolve_agreement_ids(obj: Service) -> list[int]:
        return _ids(obj.agreements)


class ServiceIn(Schema):
    name: str
    description: str = ""
    owner_id: int | None = None
    lifecycle: Lifecycle = Lifecycle.PIPELINE
    criticality: Criticality = Criticality.MEDIUM
    customer_ids: list[int] = []
    supplier_ids: list[int] = []
    depends_on_ids: list[int] = []
    configuration_items: list[str] = []
    evidence_ids: list[int] = []


class ServicePatch(Schema):
    name: str | None = None
    description: str | None = None
    owner_id: int | None = None
    lifecycle: Lifecycle | None = None
    criticality: Criticality | None = None
    customer_ids: list[int] | None = None
    supplier_ids: list[int] | None = None
    depends_on_ids: list[int] | None = None
    configuration_items: list[str] | None = None
    evidence_ids: list[int] | None = None


class ServiceFilters(Schema):
    lifecycle: Lifecycle | None = None
    criticality: Criticality | None = None
    q: str | None = Field(None, description="Part of the name")


def _services() -> QuerySet[Service]:
    return Service.objects.select_related("owner").prefetch_related(
        "customers", "suppliers", "depends_on", "evidence", "agreements"
    )


def _save_service(request: HttpRequest, service: Service, data: dict[str, Any]) -> Service:
    if "owner_id" in data:
        service.owner = _member(request, data.pop("owner_id"))
    if "configuration_items" in data:
        service.configuration_items = "\n".join(
            item.strip() for item in data.pop("configuration_items") if item.strip()
        )
    links = {
        "customers": _pick(Party, data.pop("customer_ids", None), "customer_ids"),
        "suppliers": _pick(Party, data.pop("supplier_ids", None), "supplier_ids"),
        "depends_on": _pick(Service, data.pop("depends_on_ids", None), "depends_on_ids"),
        "evidence": _pick(EvidenceItem, data.pop("evidence_ids", None), "evidence_ids"),
    }
    for field, value in data.items():
        setattr(service, field, value)
    saved = actions.save_service(service=service, organisation=request_org(request), **links)
    return _services().get(pk=saved.pk)


@router.get("/orgs/{org}/services", response=list[ServiceOut], summary="The service catalogue")
@paginate(PageNumberPagination)
def service_list(request: HttpRequest, org: str, filters: Query[ServiceFilters]):  # type: ignore[no-untyped-def]
    services = _services()
    if filters.lifecycle:
        services = services.filter(lifecycle=filters.lifecycle)
    if filters.criticality:
        services = services.filter(criticality=filters.criticality)
    if filters.q:
        services = services.filter(name__icontains=filters.q)
    return services


@router.post("/orgs/{org}/services", response={201: ServiceOut}, summary="Add a service")
def service_create(request: HttpRequest, org: str, payload: ServiceIn) -> Status:
    api_require(request, can_edit, "Only owners and managers can add services.")
    return Status(201, _save_service(request, Service(), payload.dict()))


@router.get("/orgs/{org}/services/{service_id}", response=ServiceOut, summary="One service")
def service_detail(request: HttpRequest, org: str, service_id: int) -> Service:
    return get_object_or_404(_services(), pk=service_id)


@router.patch("/orgs/{org}/services/{service_id}", response=ServiceOut, summary="Change a service")
def service_update(
    request: HttpRequest, org: str, service_id: int, payload: ServicePatch
) -> Service:
    service = get_object_or_404(_services(), pk=service_id)
    if not service.editable_by(request_membership(request)):
        raise HttpError(403, "Only owners, managers and the service's owner can change it.")
    return _save_service(request, service, payload.dict(exclude_unset=True))


@router.delete(
    "/orgs/{org}/services/{service_id}", response={204: None}, summary="Delete a service"
)
def service_delete(request: HttpRequest, org: str, service_id: int) -> Status:
    api_require(request, can_edit, "Only owners and managers can delete services.")
    actions.delete_service(service=get_object_or_404(Service.objects.all(), pk=service_id))
    return Status(204, None)


# --- availability and the report ---------------------------------------------------------


class PeriodOut(Schema):
    key: str
    label: str
    start: datetime
    end: datetime
    complete: bool


class AvailabilityOut(Schema):
    service_id: int
    period: PeriodOut
    service_hours: str = Field(description="The calendar the hours come from")
    time_zone: str
    agreement_id: int | None
    agreement_reference: str | None
    committed_seconds: int
    downtime_seconds: int = Field(description="Unplanned, less planned overlap, in hours")
    planned_seconds: int
    degraded_seconds: int
    outages: int
    availability_percent: float | None = Field(description="Rounded down to 3 places")
    mtbf_seconds: int | None
    mtrs_seconds: int | None
    target_percent: float | None
    target_met: bool | None


def _availability_out(result: ServiceAvailability) -> AvailabilityOut:
    figures = result.figures
    return AvailabilityOut(
        service_id=result.service.pk,
        period=PeriodOut(
            key=result.period.key,
            label=result.period.label,
            start=result.start,
            end=result.end,
            complete=result.period.is_complete,
        ),
        service_hours=result.hours_name,
        time_zone=result.time_zone,
        agreement_id=result.agreement.pk if result.agreement else None,
        agreement_reference=result.agreement.reference if result.agreement else None,
        committed_seconds=figures.committed_s,
        downtime_seconds=figures.downtime_s,
        planned_seconds=figures.planned_s,
        degraded_seconds=figures.degraded_s,
        outages=figures.outages,
        availability_percent=None if figures.percent is None else float(figures.percent),
        mtbf_seconds=figures.mtbf_s,
        mtrs_seconds=figures.mtrs_s,
        target_percent=float(result.target.percent) if result.target else None,
        target_met=result.target_met,
    )


@router.get(
    "/orgs/{org}/services/{service_id}/availability",
    response=AvailabilityOut,
    summary="Availability of a service in a period",
    description=f"`period`: {PERIOD_HELP}.",
)
def service_availability(
    request: HttpRequest, org: str, service_id: int, period: str = "month"
) -> AvailabilityOut:
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=service_id)
    try:
        chosen = parse_period(period)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from None
    return _availability_out(measure_availability(service, chosen))


class BreachedTicketOut(Schema):
    number: str = Field(description="The ticket's id in its source system")
    overrun_seconds: int = Field(description="Business seconds beyond the target")
    record_id: int | None = Field(description="The imported record, when there is one")


class TimeTargetActualOut(Schema):
    target_id: int
    kind: ClockKind
    priority: str
    request_type: str
    target_seconds: int
    has_data: bool
    tickets: int | None
    within_target: int | None
    percent_within: float | None
    breached: list[BreachedTicketOut]
    note: str


class MeasurableActualOut(Schema):
    target_id: int
    target: str
    has_data: bool
    actual: float | None
    met: bool | None
    note: str


class ReportAgreementOut(Schema):
    agreement_id: int
    reference: str
    kind: AgreementKind
    availability: list[AvailabilityOut]
    time_targets: list[TimeTargetActualOut]
    measurable_targets: list[MeasurableActualOut]


class ReportOutageOut(Schema):
    id: int
    kind: OutageKind
    title: str
    starts_at: datetime
    ends_at: datetime | None


class ServiceReportOut(Schema):
    service_id: int
    month: str
    availability: AvailabilityOut
    agreements: list[ReportAgreementOut]
    trend: list[AvailabilityOut]
    outages: list[ReportOutageOut]
    breaches: str


@router.get(
    "/orgs/{org}/services/{service_id}/report",
    response=ServiceReportOut,
    summary="The monthly service report",
    description="`month`: YYYY-MM (default: last month). Targets without data say so.",
)
def service_report(
    request: HttpRequest, org: str, service_id: int, month: str | None = None
) -> ServiceReportOut:
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=service_id)
    if month is None:
        last = timezone.localdate().replace(day=1) - timedelta(days=1)
        year, number = last.year, last.month
    else:
        try:
            year, number = (int(part) for part in month.split("-"))
            date(year, number, 1)
        except ValueError:
            raise ValidationError({"month": f"“{month}” is not a month: use YYYY-MM."}) from None
    report = build_service_report(service, year=year, month=number)
    return ServiceReportOut(
        service_id=service.pk,
        month=report.period.key,
        availability=_availability_out(report.availability),
        agreements=[
            ReportAgreementOut(
                agreement_id=section.agreement.pk,
                reference=section.agreement.reference,
                kind=AgreementKind(section.agreement.kind),
                availability=[_availability_out(row) for row in section.availability],
                time_targets=[
                    TimeTargetActualOut(
                        target_id=row.time_target.pk,
                        kind=ClockKind(row.time_target.kind),
                        priority=row.time_target.priority,
                        request_type=row.time_target.request_type,
                        target_seconds=row.time_target.seconds,
                        has_data=row.has_data,
                        tickets=row.tickets,
                        within_target=row.within_target,
                        percent_within=None
                        if row.percent_within is None
                        else float(row.percent_within),
                        breached=[
                            BreachedTicketOut(
                                number=ticket.number,
                                overrun_seconds=ticket.overrun_s,
                                record_id=ticket.record_id,
                            )
                            for ticket in row.breaches
                        ],
                        note=row.note,
                    )
                    for row in section.time_targets
                ],
                measurable_targets=[
                    MeasurableActualOut(
                        target_id=row.target.pk,
                        target=str(row.target),
                        has_data=row.has_data,
                        actual=None if row.actual is None else float(row.actual),
                        met=row.met,
                        note=row.note,
                    )
                    for row in section.measurable
                ],
            )
            for section in report.sections
        ],
        trend=[_availability_out(row) for row in report.trend],
        outages=[
            ReportOutageOut(
                id=o.pk,
                kind=OutageKind(o.kind),
                title=o.title,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
            )
            for o in report.outages
        ],
        breaches=report.breaches_note,
    )


# --- agreements --------------------------------------------------------------------------


class TimeTargetIO(Schema):
    kind: ClockKind
    priority: str
    request_type: str = ""
    amount: Decimal = Field(description="As entered, in `unit`; more than zero")
    unit: DurationUnit


class TimeTargetOut(TimeTargetIO):
    id: int
    seconds: int = Field(description="The target in seconds of service time")


class AvailabilityTargetIO(Schema):
    period: AvailabilityPeriod
    percent: Decimal


class AvailabilityTargetOut(AvailabilityTargetIO):
    id: int


class MeasurableTargetIO(Schema):
    name: str
    comparator: Comparator = Comparator.AT_LEAST
    value: Decimal
    unit: str = ""


class MeasurableTargetOut(MeasurableTargetIO):
    id: int


class FlagOut(Schema):
    code: str
    label: str


class AgreementOut(Schema):
    id: int
    reference: str
    title: str
    kind: AgreementKind
    party_ids: list[int]
    service_ids: list[int]
    valid_from: date
    valid_until: date | None
    review_due: date | None
    calendar_id: int
    pause_statuses: list[str]
    reopen_policy: ReopenPolicy
    owner_id: int | None
    notes: str
    evidence_ids: list[int]
    status: str
    flags: list[FlagOut]
    time_targets: list[TimeTargetOut]
    availability_targets: list[AvailabilityTargetOut]
    measurable_targets: list[MeasurableTargetOut]

    @staticmethod
    def resolve_party_ids(obj: Agreement) -> list[int]:
        return _ids(obj.parties)

    @staticmethod
    def resolve_service_ids(obj: Agreement) -> list[int]:
        return _ids(obj.services)

    @staticmethod
    def resolve_evidence_ids(obj: Agreement) -> list[int]:
        return _ids(obj.evidence)

    @staticmethod
    def resolve_pause_statuses(obj: Agreement) -> list[str]:
        return obj.pause_status_list

    @staticmethod
    def resolve_status(obj: Agreement) -> str:
        return str(obj.status().value)

    @staticmethod
    def resolve_flags(obj: Agreement) -> list[dict[str, str]]:
        return [{"code": flag.code, "label": flag.label} for flag in obj.flags()]

    @staticmethod
    def resolve_time_targets(obj: Agreement) -> list[TimeTarget]:
        return list(obj.time_targets.all())

    @staticmethod
    def resolve_availability_targets(obj: Agreement) -> list[AvailabilityTarget]:
        return list(obj.availability_targets.all())

    @staticmethod
    def resolve_measurable_targets(obj: Agreement) -> list[MeasurableTarget]:
        return list(obj.measurable_targets.all())


class AgreementIn(Schema):
    reference: str
    title: str
    kind: AgreementKind
    party_ids: list[int] = []
    service_ids: list[int] = []
    valid_from: date
    valid_until: date | None = None
    review_due: date | None = None
    calendar_id: int | None = Field(None, description="Default: the built-in 24×7 calendar")
    pause_statuses: list[str] = []
    reopen_policy: ReopenPolicy = ReopenPolicy.RESUME
    owner_id: int | None = None
    notes: str = ""
    evidence_ids: list[int] = []
    time_targets: list[TimeTargetIO] = []
    availability_targets: list[AvailabilityTargetIO] = []
    measurable_targets: list[MeasurableTargetIO] = []


class AgreementPatch(Schema):
    """Fields left out are kept; a target list given replaces that list."""

    reference: str | None = None
    title: str | None = None
    kind: AgreementKind | None = None
    party_ids: list[int] | None = None
    service_ids: list[int] | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    review_due: date | None = None
    calendar_id: int | None = None
    pause_statuses: list[str] | None = None
    reopen_policy: ReopenPolicy | None = None
    owner_id: int | None = None
    notes: str | None = None
    evidence_ids: list[int] | None = None
    time_targets: list[TimeTargetIO] | None = None
    availability_targets: list[AvailabilityTargetIO] | None = None
    measurable_targets: list[MeasurableTargetIO] | None = None


class AgreementFilters(Schema):
    kind: AgreementKind | None = None
    service_id: int | None = None
    in_force_on: date | None = None


def _agreements() -> AgreementQuerySet:
    return Agreement.objects.select_related("calendar").prefetch_related(
        "parties",
        "services",
        "evidence",
        "time_targets",
        "availability_targets",
        "measurable_targets",
    )


def _replace_targets(agreement: Agreement, data: dict[str, Any]) -> None:
    """Replace each target list given, all or nothing (one transaction with the agreement)."""
    if data.get("time_targets") is not None:
        for old in agreement.time_targets.all():
            actions.delete_target(target=old)
        for index, item in enumerate(data["time_targets"]):
            try:
                actions.save_time_target(target=TimeTarget(**item), agreement=agreement)
            except ValidationError as exc:
                raise _nested(exc, f"time_targets.{index}") from None
    if data.get("availability_targets") is not None:
        for old_availability in agreement.availability_targets.all():
            actions.delete_target(target=old_availability)
        for index, item in enumerate(data["availability_targets"]):
            try:
                actions.save_availability_target(
                    target=AvailabilityTarget(**item), agreement=agreement
                )
            except ValidationError as exc:
                raise _nested(exc, f"availability_targets.{index}") from None
    if data.get("measurable_targets") is not None:
        for old_measurable in agreement.measurable_targets.all():
            actions.delete_target(target=old_measurable)
        for index, item in enumerate(data["measurable_targets"]):
            try:
                actions.save_measurable_target(target=MeasurableTarget(**item), agreement=agreement)
            except ValidationError as exc:
                raise _nested(exc, f"measurable_targets.{index}") from None


def _nested(exc: ValidationError, prefix: str) -> ValidationError:
    """Name a nested item's fields after its place in the request (``time_targets.0.amount``)."""
    if hasattr(exc, "error_dict"):
        return ValidationError(
            {
                f"{prefix}.{field}" if field != "__all__" else prefix: messages
                for field, messages in exc.message_dict.items()
            }
        )
    return ValidationError({prefix: exc.messages})


def _save_agreement(request: HttpRequest, agreement: Agreement, data: dict[str, Any]) -> Agreement:
    from django.db import transaction

    org = request_org(request)
    with transaction.atomic():
        if "calendar_id" in data:
            calendar_id = data.pop("calendar_id")
            if calendar_id is None:
                agreement.calendar = actions.ensure_builtin_calendar(organisation=org)
            else:
                found = Calendar.objects.filter(pk=calendar_id).first()
                if found is None:
                    raise ValidationError({"calendar_id": "No such calendar in this organisation."})
                agreement.calendar = found
        if "owner_id" in data:
            agreement.owner = _member(request, data.pop("owner_id"))
        if "pause_statuses" in data:
            agreement.pause_statuses = "\n".join(
                status.strip() for status in data.pop("pause_statuses") or [] if status.strip()
            )
        links = {
            "parties": _pick(Party, data.pop("party_ids", None), "party_ids"),
            "services": _pick(Service, data.pop("service_ids", None), "service_ids"),
            "evidence": _pick(EvidenceItem, data.pop("evidence_ids", None), "evidence_ids"),
        }
        targets = {
            key: data.pop(key, None)
            for key in ("time_targets", "availability_targets", "measurable_targets")
        }
        for field, value in data.items():
            setattr(agreement, field, value)
        saved = actions.save_agreement(agreement=agreement, organisation=org, **links)
        _replace_targets(saved, targets)
    return _agreements().get(pk=saved.pk)


@router.get("/orgs/{org}/agreements", response=list[AgreementOut], summary="Agreements")
@paginate(PageNumberPagination)
def agreement_list(request: HttpRequest, org: str, filters: Query[AgreementFilters]):  # type: ignore[no-untyped-def]
    agreements = _agreements()
    if filters.kind:
        agreements = agreements.filter(kind=filters.kind)
    if filters.service_id:
        agreements = agreements.filter(services__id=filters.service_id)
    if filters.in_force_on:
        agreements = agreements.in_force(filters.in_force_on)
    return agreements


@router.post("/orgs/{org}/agreements", response={201: AgreementOut}, summary="Add an agreement")
def agreement_create(request: HttpRequest, org: str, payload: AgreementIn) -> Status:
    api_require(request, can_edit, "Only owners and managers can add agreements.")
    data = payload.dict()
    data.setdefault("calendar_id", None)
    return Status(201, _save_agreement(request, Agreement(), data))


@router.get("/orgs/{org}/agreements/{agreement_id}", response=AgreementOut, summary="One agreement")
def agreement_detail(request: HttpRequest, org: str, agreement_id: int) -> Agreement:
    return get_object_or_404(_agreements(), pk=agreement_id)


@router.patch(
    "/orgs/{org}/agreements/{agreement_id}", response=AgreementOut, summary="Change an agreement"
)
def agreement_update(
    request: HttpRequest, org: str, agreement_id: int, payload: AgreementPatch
) -> Agreement:
    api_require(request, can_edit, EDIT)
    agreement = get_object_or_404(_agreements(), pk=agreement_id)
    return _save_agreement(request, agreement, payload.dict(exclude_unset=True))


@router.delete(
    "/orgs/{org}/agreements/{agreement_id}", response={204: None}, summary="Delete an agreement"
)
def agreement_delete(request: HttpRequest, org: str, agreement_id: int) -> Status:
    api_require(request, can_edit, EDIT)
    actions.delete_agreement(agreement=get_object_or_404(Agreement.objects.all(), pk=agreement_id))
    return Status(204, None)


# --- calendars ---------------------------------------------------------------------------


class SegmentIO(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    starts_at: str = Field(description="HH:MM")
    ends_at: str = Field(description="HH:MM; earlier than the start runs past midnight; 24:00")


class SegmentOut(SegmentIO):
    id: int


class ClosureIO(Schema):
    name: str
    starts_on: date
    ends_on: date


class ClosureOut(ClosureIO):
    id: int


class CalendarOut(Schema):
    id: int
    name: str
    description: str
    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    is_builtin: bool
    business_day_seconds: int
    segments: list[SegmentOut]
    closures: list[ClosureOut]

    @staticmethod
    def resolve_business_day_seconds(obj: Calendar) -> int:
        return obj.business_day_seconds()

    @staticmethod
    def resolve_segments(obj: Calendar) -> list[dict[str, Any]]:
        if obj.is_builtin:
            return []
        return [
            {
                "id": s.pk,
                "weekday": s.weekday,
                "starts_at": s.starts_at.strftime("%H:%M"),
                "ends_at": "24:00" if s.ends_at == MIDNIGHT else s.ends_at.strftime("%H:%M"),
            }
            for s in obj.segments.all()
        ]

    @staticmethod
    def resolve_closures(obj: Calendar) -> list[CalendarClosure]:
        return list(obj.closures.all())


class CalendarIn(Schema):
    name: str
    description: str = ""
    time_zone: str
    holiday_country: str = ""
    holiday_subdivision: str = ""
    segments: list[SegmentIO] = []
    closures: list[ClosureIO] = []


class CalendarPatch(Schema):
    """Fields left out are kept; ``segments`` or ``closures`` given replace them."""

    name: str | None = None
    description: str | None = None
    time_zone: str | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    segments: list[SegmentIO] | None = None
    closures: list[ClosureIO] | None = None


def _save_calendar(request: HttpRequest, calendar: Calendar, data: dict[str, Any]) -> Calendar:
    from django.db import transaction

    with transaction.atomic():
        segments = data.pop("segments", None)
        closures = data.pop("closures", None)
        for field, value in data.items():
            setattr(calendar, field, value)
        saved = actions.save_calendar(calendar=calendar, organisation=request_org(request))
        if segments is not None:
            parsed = []
            for index, item in enumerate(segments):
                try:
                    parsed.append(
                        actions.segment_from_text(
                            item["weekday"], item["starts_at"], item["ends_at"]
                        )
                    )
                except ValidationError as exc:
                    raise _nested(exc, f"segments.{index}") from None
            try:
                actions.replace_segments(calendar=saved, segments=parsed)
            except ValidationError as exc:
                raise _nested(exc, "segments") from None
        if closures is not None:
            for old in saved.closures.all():
                actions.delete_closure(closure=old)
            for index, item in enumerate(closures):
                try:
                    actions.save_closure(closure=CalendarClosure(**item), calendar=saved)
                except ValidationError as exc:
                    raise _nested(exc, f"closures.{index}") from None
    return get_object_or_404(Calendar.objects.with_details(), pk=saved.pk)


@router.get("/orgs/{org}/calendars", response=list[CalendarOut], summary="Business calendars")
@paginate(PageNumberPagination)
def calendar_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    actions.ensure_builtin_calendar(organisation=request_org(request))
    return Calendar.objects.with_details()


@router.post("/orgs/{org}/calendars", response={201: CalendarOut}, summary="Add a calendar")
def calendar_create(request: HttpRequest, org: str, payload: CalendarIn) -> Status:
    api_require(request, can_edit, "Only owners and managers can add calendars.")
    return Status(201, _save_calendar(request, Calendar(), payload.dict()))


@router.get("/orgs/{org}/calendars/{calendar_id}", response=CalendarOut, summary="One calendar")
def calendar_detail(request: HttpRequest, org: str, calendar_id: int) -> Calendar:
    return get_object_or_404(Calendar.objects.with_details(), pk=calendar_id)


@router.patch(
    "/orgs/{org}/calendars/{calendar_id}", response=CalendarOut, summary="Change a calendar"
)
def calendar_update(
    request: HttpRequest, org: str, calendar_id: int, payload: CalendarPatch
) -> Calendar:
    api_require(request, can_edit, EDIT)
    calendar = get_object_or_404(Calendar.objects.with_details(), pk=calendar_id)
    return _save_calendar(request, calendar, payload.dict(exclude_unset=True))


@router.delete(
    "/orgs/{org}/calendars/{calendar_id}", response={204: None}, summary="Delete a calendar"
)
def calendar_delete(request: HttpRequest, org: str, calendar_id: int) -> Status:
    api_require(request, can_edit, EDIT)
    actions.delete_calendar(calendar=get_object_or_404(Calendar.objects.all(), pk=calendar_id))
    return Status(204, None)


# --- outages -----------------------------------------------------------------------------


class OutageOut(Schema):
    id: int
    service_id: int
    kind: OutageKind
    title: str
    starts_at: datetime
    ends_at: datetime | None
    cause: str
    incident_ref: str
    change_ref: str
    notes: str


class OutageIn(Schema):
    service_id: int
    kind: OutageKind = OutageKind.UNPLANNED
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    cause: str = ""
    incident_ref: str = ""
    change_ref: str = ""
    notes: str = ""


class OutagePatch(Schema):
    service_id: int | None = None
    kind: OutageKind | None = None
    title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cause: str | None = None
    incident_ref: str | None = None
    change_ref: str | None = None
    notes: str | None = None


class OutageFilters(Schema):
    service_id: int | None = None
    kind: OutageKind | None = None
    since: datetime | None = Field(None, description="Outages with time after this instant")
    until: datetime | None = Field(None, description="Outages with time before this instant")
    open: bool | None = Field(None, description="Only outages still going on")


def _outage_service(request: HttpRequest, service_id: int) -> Service:
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        raise ValidationError({"service_id": "No such service in this organisation."})
    if not service.editable_by(request_membership(request)):
        raise HttpError(403, "Only owners, managers and the service's owner can record outages.")
    return service


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _save_outage(request: HttpRequest, outage: Outage, data: dict[str, Any]) -> Outage:
    if "service_id" in data:
        outage.service = _outage_service(request, data.pop("service_id"))
    for field in ("starts_at", "ends_at"):
        if field in data:
            data[field] = _aware(data[field])
    for field, value in data.items():
        setattr(outage, field, value)
    return actions.save_outage(outage=outage, organisation=request_org(request))


@router.get("/orgs/{org}/outages", response=list[OutageOut], summary="Outages of services")
@paginate(PageNumberPagination)
def outage_list(request: HttpRequest, org: str, filters: Query[OutageFilters]):  # type: ignore[no-untyped-def]
    outages = Outage.objects.all()
    if filters.service_id:
        outages = outages.filter(service_id=filters.service_id)
    if filters.kind:
        outages = outages.filter(kind=filters.kind)
    if filters.since or filters.until:
        since = _aware(filters.since) or datetime.min.replace(tzinfo=UTC)
        until = _aware(filters.until) or datetime.max.replace(tzinfo=UTC)
        outages = outages.overlapping(since, until)
    if filters.open is not None:
        outages = outages.filter(ends_at__isnull=filters.open)
    return outages


@router.post("/orgs/{org}/outages", response={201: OutageOut}, summary="Record an outage")
def outage_create(request: HttpRequest, org: str, payload: OutageIn) -> Status:
    return Status(201, _save_outage(request, Outage(), payload.dict()))


@router.get("/orgs/{org}/outages/{outage_id}", response=OutageOut, summary="One outage")
def outage_detail(request: HttpRequest, org: str, outage_id: int) -> Outage:
    return get_object_or_404(Outage.objects.all(), pk=outage_id)


@router.patch("/orgs/{org}/outages/{outage_id}", response=OutageOut, summary="Change an outage")
def outage_update(request: HttpRequest, org: str, outage_id: int, payload: OutagePatch) -> Outage:
    outage = get_object_or_404(Outage.objects.select_related("service"), pk=outage_id)
    if not outage.editable_by(request_membership(request)):
        raise HttpError(403, "Only owners, managers and the service's owner can change it.")
    return _save_outage(request, outage, payload.dict(exclude_unset=True))


@router.delete("/orgs/{org}/outages/{outage_id}", response={204: None}, summary="Delete an outage")
def outage_delete(request: HttpRequest, org: str, outage_id: int) -> Status:
    outage = get_object_or_404(Outage.objects.select_related("service"), pk=outage_id)
    if not outage.editable_by(request_membership(request)):
        raise HttpError(403, "Only owners, managers and the service's owner can delete it.")
    actions.delete_outage(outage=outage)
    return Status(204, None)
