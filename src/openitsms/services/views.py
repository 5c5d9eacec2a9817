"""Pages of the service catalogue, agreements, business calendars, outages and the monthly
service report. Owners and managers edit; a process owner edits the services they own and
records their outages; everyone else reads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.services import actions
from openitsms.services.availability import (
    PERIOD_CHOICES,
    parse_period,
    service_availability,
    summary,
)
from openitsms.services.charts import availability_chart, week_picture
from openitsms.services.choices import (
    AgreementKind,
    AgreementStatus,
    Criticality,
    Lifecycle,
    OutageKind,
    WeekPattern,
)
from openitsms.services.forms import (
    AGREEMENT_KIND_HELP,
    AgreementForm,
    AvailabilityTargetForm,
    CalendarForm,
    ClosureForm,
    MeasurableTargetForm,
    OutageForm,
    PartyForm,
    SegmentForm,
    ServiceForm,
    TimeTargetForm,
)
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    Calendar,
    CalendarClosure,
    CalendarSegment,
    MeasurableTarget,
    Outage,
    Party,
    Service,
    TimeTarget,
)
from openitsms.services.reports import service_report as build_service_report
from openitsms.tenancy.access import can_edit, org_view, request_membership, request_org
from openitsms.tenancy.choices import Role

EDIT_MESSAGE = "Only owners and managers can change this."


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted  # type: ignore[union-attr]


def _show_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put an action's refusal next to the field it names (or above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _evidence_links(items: Any) -> list[tuple[str, str | None]]:
    """Evidence titles with their page, when the evidence pages exist."""
    links = []
    for item in items:
        try:
            url: str | None = item.get_absolute_url()
        except NoReverseMatch:
            url = None
        links.append((str(item), url))
    return links


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- services ----------------------------------------------------------------------------


@org_view()
def service_list(request: HttpRequest) -> HttpResponse:
    services = Service.objects.for_list().annotate(
        open_outages=Count("outages", filter=Q(outages__ends_at__isnull=True), distinct=True)
    )
    lifecycle = request.GET.get("lifecycle", "")
    criticality = request.GET.get("criticality", "")
    query = request.GET.get("q", "").strip()
    if lifecycle in Lifecycle.values:
        services = services.filter(lifecycle=lifecycle)
    if criticality in Criticality.values:
        services = services.filter(criticality=criticality)
    if query:
        services = services.filter(Q(name__icontains=query) | Q(description__icontains=query))
    context = {
        "services": services,
        "lifecycles": Lifecycle.choices,
        "criticalities": Criticality.choices,
        "filters": {"lifecycle": lifecycle, "criticality": criticality, "q": query},
        "filtered": bool(lifecycle or criticality or query),
        "total": Service.objects.count(),
    }
    template = "services/service_list.html"
    if _htmx(request):
        template += "#service-table"
    return render(request, template, context)


@org_view(can_edit, message="Only owners and managers can add services.")
def service_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = ServiceForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        try:
            service = actions.save_service(
                service=form.instance,
                organisation=org,
                customers=form.cleaned_data["customers"],
                suppliers=form.cleaned_data["suppliers"],
                depends_on=form.cleaned_data["depends_on"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"{service} was added to the catalogue.")
            return redirect(service)
    return render(request, "services/service_form.html", {"form": form, "service": None})


def _load_service(request: HttpRequest, pk: int) -> Service:
    return get_object_or_404(Service.objects.select_related("owner"), pk=pk)


@org_view()
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = _load_service(request, pk)
    membership = request_membership(request)
    today = timezone.localdate()
    agreements = (
        service.agreements.select_related("calendar")
        .prefetch_related(
            "parties",
            "services",
            "time_targets",
            "availability_targets",
            "measurable_targets",
        )
        .order_by("kind", "reference")
    )
    context = {
        "service": service,
        "can_change": service.editable_by(membership),
        "customers": service.customers.all(),
        "suppliers": service.suppliers.all(),
        "depends_on": service.depends_on.all(),
        "dependants": service.dependants.all(),
        "evidence": _evidence_links(service.evidence.all()),
        "agreements": [(a, a.status(today), a.flags(today)) for a in agreements],
        "outages": service.outages.all()[:10],
        "outage_count": service.outages.count(),
        "summary": summary(service),
        "last_month": (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
        "periods": PERIOD_CHOICES,
    }
    return render(request, "services/service_detail.html", context)


@org_view()
def service_availability_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The availability of one period (``?period=``), as a panel for the service page."""
    service = _load_service(request, pk)
    error = ""
    result = None
    try:
        period = parse_period(request.GET.get("period", "month"))
    except ValueError as exc:
        error = str(exc)
    else:
        result = service_availability(service, period)
    context = {"service": service, "result": result, "error": error, "periods": PERIOD_CHOICES}
    template = "services/service_availability.html"
    if _htmx(request):
        template += "#availability"
    return render(request, template, context, status=400 if error else 200)


@org_view()
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    service = _load_service(request, pk)
    if not service.editable_by(request_membership(request)):
        raise PermissionDenied("Only owners, managers and the service's owner can change it.")
    form = ServiceForm(request.POST or None, instance=service, organisation=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_service(
                service=form.instance,
                organisation=org,
                customers=form.cleaned_data["customers"],
                suppliers=form.cleaned_data["suppliers"],
                depends_on=form.cleaned_data["depends_on"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"{service} was saved.")
            return redirect(service)
    return render(request, "services/service_form.html", {"form": form, "service": service})


@require_POST
@org_view(can_edit, message="Only owners and managers can delete services.")
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    service = _load_service(request, pk)
    try:
        actions.delete_service(service=service)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(service)
    messages.success(request, f"{service} was deleted.")
    return redirect("services:service_list", org_slug=request_org(request).slug)


def _month_param(value: str | None) -> tuple[int, int] | None:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    if 1900 <= year <= 9999 and 1 <= month <= 12:
        return year, month
    return None


@org_view()
def service_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The monthly service report (9.4): ``?month=YYYY-MM``, last month by default."""
    service = _load_service(request, pk)
    today = timezone.localdate()
    default = today.replace(day=1) - timedelta(days=1)
    raw = request.GET.get("month")
    chosen = _month_param(raw) if raw else (default.year, default.month)
    if chosen is None:
        messages.error(request, f"“{raw}” is not a month: use YYYY-MM, e.g. 2024-03.")
        chosen = (default.year, default.month)
    year, month = chosen
    report = build_service_report(service, year=year, month=month)
    first = date(year, month, 1)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).replace(day=1)
    context = {
        "service": service,
        "report": report,
        "chart": availability_chart(report.trend, service_name=str(service)),
        "month_value": first.strftime("%Y-%m"),
        "previous_month": previous,
        "next_month": following.strftime("%Y-%m") if following <= today else None,
    }
    return render(request, "services/service_report.html", context)


# --- parties -----------------------------------------------------------------------------


@org_view()
def party_list(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = PartyForm(request.POST or None)
    if request.method == "POST":
        if not request_membership(request).can_edit:
            raise PermissionDenied("Only owners and managers can add parties.")
        if form.is_valid():
            try:
                party = actions.save_party(party=form.instance, organisation=org)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, f"{party} was added.")
                return redirect("services:party_list", org_slug=org.slug)
    parties = Party.objects.annotate(
        agreement_count=Count("agreements", distinct=True),
        service_count=Count("services_used", distinct=True)
        + Count("services_supplied", distinct=True),
    )
    return render(request, "services/party_list.html", {"parties": parties, "form": form})


@org_view(can_edit, message=EDIT_MESSAGE)
def party_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    party = get_object_or_404(Party.objects, pk=pk)
    form = PartyForm(request.POST or None, instance=party)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_party(party=form.instance, organisation=org)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"{party} was saved.")
            return redirect("services:party_list", org_slug=org.slug)
    return render(request, "services/party_form.html", {"form": form, "party": party})


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def party_delete(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(Party.objects, pk=pk)
    try:
        actions.delete_party(party=party)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{party} was deleted.")
    return redirect("services:party_list", org_slug=request_org(request).slug)


# --- agreements --------------------------------------------------------------------------

AGREEMENT_STATUS_FILTERS = [
    ("", "Any status"),
    (AgreementStatus.IN_FORCE, "In force"),
    (AgreementStatus.NOT_YET, "Not yet in force"),
    (AgreementStatus.EXPIRED, "Expired"),
    ("review_overdue", "Review overdue"),
]


@org_view()
def agreement_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    agreements = Agreement.objects.select_related("calendar").prefetch_related(
        "parties", "services", "time_targets", "availability_targets", "measurable_targets"
    )
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    if kind in AgreementKind.values:
        agreements = agreements.filter(kind=kind)
    if status == AgreementStatus.IN_FORCE:
        agreements = agreements.in_force(today)
    elif status == AgreementStatus.NOT_YET:
        agreements = agreements.filter(valid_from__gt=today)
    elif status == AgreementStatus.EXPIRED:
        agreements = agreements.expired(today)
    elif status == "review_overdue":
        agreements = agreements.review_overdue(today)
    rows = [(a, a.status(today), a.flags(today)) for a in agreements]
    context = {
        "rows": rows,
        "kinds": AgreementKind.choices,
        "statuses": AGREEMENT_STATUS_FILTERS,
        "filters": {"kind": kind, "status": status},
        "filtered": bool(kind or status),
        "kind_help": AGREEMENT_KIND_HELP,
    }
    template = "services/agreement_list.html"
    if _htmx(request):
        template += "#agreement-table"
    return render(request, template, context)


def _agreement_form_page(request: HttpRequest, agreement: Agreement | None) -> HttpResponse:
    org = request_org(request)
    builtin = actions.ensure_builtin_calendar(organisation=org)
    initial = {"calendar": builtin.pk, "valid_from": timezone.localdate()} if not agreement else {}
    if agreement is None and request.GET.get("kind") in AgreementKind.values:
        initial["kind"] = request.GET["kind"]
    form = AgreementForm(
        request.POST or None, instance=agreement, organisation=org, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.save_agreement(
                agreement=form.instance,
                organisation=org,
                parties=form.cleaned_data["parties"],
                services=form.cleaned_data["services"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"{saved} was saved.")
            return redirect(saved)
    return render(request, "services/agreement_form.html", {"form": form, "agreement": agreement})


@org_view(can_edit, message="Only owners and managers can add agreements.")
def agreement_create(request: HttpRequest) -> HttpResponse:
    return _agreement_form_page(request, None)


@org_view(can_edit, message=EDIT_MESSAGE)
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _agreement_form_page(request, get_object_or_404(Agreement.objects, pk=pk))


def _agreement(pk: int) -> Agreement:
    return get_object_or_404(
        Agreement.objects.select_related("calendar", "owner").prefetch_related(
            "parties",
            "services",
            "time_targets",
            "availability_targets",
            "measurable_targets",
            "calendar__segments",
        ),
        pk=pk,
    )


def _agreement_context(
    request: HttpRequest, agreement: Agreement, **forms: BaseForm
) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "agreement": agreement,
        "status": agreement.status(today),
        "flags": agreement.flags(today),
        "evidence": _evidence_links(agreement.evidence.all()),
        "can_change": request_membership(request).can_edit,
        "time_form": forms.get("time_form") or TimeTargetForm(agreement=agreement),
        "availability_form": forms.get("availability_form")
        or AvailabilityTargetForm(agreement=agreement),
        "measurable_form": forms.get("measurable_form")
        or MeasurableTargetForm(agreement=agreement),
        "business_day_s": agreement.calendar.business_day_seconds(),
    }


@org_view()
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(pk)
    return render(request, "services/agreement_detail.html", _agreement_context(request, agreement))


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def agreement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(Agreement.objects, pk=pk)
    actions.delete_agreement(agreement=agreement)
    messages.success(request, f"{agreement} was deleted.")
    return redirect("services:agreement_list", org_slug=request_org(request).slug)


def _targets_response(
    request: HttpRequest, agreement: Agreement, saved: bool, **forms: BaseForm
) -> HttpResponse:
    """After adding or removing a target: the targets section for htmx, else the page."""
    if _htmx(request):
        agreement = _agreement(agreement.pk)
        context = _agreement_context(request, agreement, **({} if saved else forms))
        return render(request, "services/agreement_detail.html#targets", context)
    if saved:
        return redirect(agreement)
    context = _agreement_context(request, agreement, **forms)
    return render(request, "services/agreement_detail.html", context, status=400)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def time_target_add(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(pk)
    form = TimeTargetForm(request.POST, agreement=agreement)
    saved = False
    if form.is_valid():
        try:
            actions.save_time_target(target=form.instance, agreement=agreement)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            saved = True
    return _targets_response(request, agreement, saved, time_form=form)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def availability_target_add(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(pk)
    form = AvailabilityTargetForm(request.POST, agreement=agreement)
    saved = False
    if form.is_valid():
        try:
            actions.save_availability_target(target=form.instance, agreement=agreement)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            saved = True
    return _targets_response(request, agreement, saved, availability_form=form)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def measurable_target_add(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(pk)
    form = MeasurableTargetForm(request.POST, agreement=agreement)
    saved = False
    if form.is_valid():
        try:
            actions.save_measurable_target(target=form.instance, agreement=agreement)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            saved = True
    return _targets_response(request, agreement, saved, measurable_form=form)


def _delete_target(
    request: HttpRequest, model: type[TimeTarget | AvailabilityTarget | MeasurableTarget], pk: int
) -> HttpResponse:
    target = get_object_or_404(model.objects.select_related("agreement"), pk=pk)
    agreement = target.agreement
    actions.delete_target(target=target)
    if not _htmx(request):
        messages.success(request, f"The target “{target}” was removed.")
    return _targets_response(request, agreement, True)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def time_target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete_target(request, TimeTarget, pk)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def availability_target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete_target(request, AvailabilityTarget, pk)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def measurable_target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete_target(request, MeasurableTarget, pk)


# --- calendars ---------------------------------------------------------------------------


@org_view()
def calendar_list(request: HttpRequest) -> HttpResponse:
    actions.ensure_builtin_calendar(organisation=request_org(request))
    calendars = Calendar.objects.prefetch_related("segments").annotate(
        agreement_count=Count("agreements", distinct=True),
        closure_count=Count("closures", distinct=True),
    )
    return render(request, "services/calendar_list.html", {"calendars": calendars})


@org_view(can_edit, message="Only owners and managers can add calendars.")
def calendar_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = CalendarForm(request.POST or None, initial={"time_zone": org.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            calendar = actions.save_calendar(
                calendar=form.instance,
                organisation=org,
                pattern=form.cleaned_data.get("week_pattern") or WeekPattern.NONE,
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"{calendar} was created.")
            return redirect(calendar)
    return render(request, "services/calendar_form.html", {"form": form, "calendar": None})


def _calendar(pk: int) -> Calendar:
    return get_object_or_404(Calendar.objects.with_details(), pk=pk)


def _calendar_context(
    request: HttpRequest, calendar: Calendar, segment_form: SegmentForm | None = None
) -> dict[str, Any]:
    week = _parse_date(request.GET.get("week")) or timezone.localdate()
    picture = week_picture(calendar, week)
    return {
        "calendar": calendar,
        "picture": picture,
        "week_value": picture.week_start.isoformat(),
        "can_change": request_membership(request).can_edit and not calendar.is_builtin,
        "segment_form": segment_form or SegmentForm(calendar=calendar),
        "closure_form": ClosureForm(),
        "business_day_s": calendar.business_day_seconds(),
        "agreements": calendar.agreements.all(),
    }


@org_view()
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    template = "services/calendar_detail.html"
    if _htmx(request) and request.GET.get("week"):
        template += "#week"
    return render(request, template, _calendar_context(request, calendar))


@org_view(can_edit, message=EDIT_MESSAGE)
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    calendar = _calendar(pk)
    if calendar.is_builtin:
        messages.error(request, "The built-in 24×7 calendar cannot be changed.")
        return redirect(calendar)
    form = CalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_calendar(calendar=form.instance, organisation=org)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"{calendar} was saved.")
            return redirect(calendar)
    return render(request, "services/calendar_form.html", {"form": form, "calendar": calendar})


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    try:
        actions.delete_calendar(calendar=calendar)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(calendar)
    messages.success(request, f"{calendar} was deleted.")
    return redirect("services:calendar_list", org_slug=request_org(request).slug)


def _hours_response(
    request: HttpRequest, calendar: Calendar, segment_form: SegmentForm | None = None
) -> HttpResponse:
    calendar = _calendar(calendar.pk)
    context = _calendar_context(request, calendar, segment_form)
    if _htmx(request):
        return render(request, "services/calendar_detail.html#hours", context)
    if segment_form is not None and segment_form.errors:
        return render(request, "services/calendar_detail.html", context, status=400)
    return redirect(calendar)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def segment_add(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    form = SegmentForm(request.POST, calendar=calendar)
    if calendar.is_builtin:
        form.add_error(None, "The built-in 24×7 calendar cannot be changed.")
    elif form.is_valid():
        try:
            actions.add_segments(
                calendar=calendar,
                weekdays=form.cleaned_data["weekdays"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            return _hours_response(request, calendar)
    return _hours_response(request, calendar, form)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(CalendarSegment.objects.select_related("calendar"), pk=pk)
    try:
        actions.delete_segment(segment=segment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _hours_response(request, segment.calendar)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def closure_add(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            actions.save_closure(closure=form.instance, calendar=calendar)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"The closure {form.instance} was added.")
            return redirect(calendar)
    context = _calendar_context(request, calendar)
    context["closure_form"] = form
    return render(request, "services/calendar_detail.html", context, status=400)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(CalendarClosure.objects.select_related("calendar"), pk=pk)
    actions.delete_closure(closure=closure)
    messages.success(request, f"The closure {closure} was removed.")
    return redirect(closure.calendar)


# --- outages -----------------------------------------------------------------------------


def _editable_services(request: HttpRequest) -> Any:
    """The services the member may record outages for: all for owners and managers, their
    own for a process owner, none for the rest."""
    membership = request_membership(request)
    if membership.can_edit:
        return Service.objects.all()
    if membership.role == Role.PROCESS_OWNER:
        return Service.objects.filter(owner_id=membership.user_id)
    return Service.objects.none()


@org_view()
def outage_list(request: HttpRequest) -> HttpResponse:
    outages = Outage.objects.select_related("service")
    service_id = request.GET.get("service", "")
    kind = request.GET.get("kind", "")
    month = _month_param(request.GET.get("month"))
    if service_id.isdigit():
        outages = outages.filter(service_id=int(service_id))
    if kind in OutageKind.values:
        outages = outages.filter(kind=kind)
    if month:
        first = date(month[0], month[1], 1)
        following = (first + timedelta(days=32)).replace(day=1)
        outages = outages.overlapping(
            timezone.make_aware(datetime.combine(first, time(0))),
            timezone.make_aware(datetime.combine(following, time(0))),
        )
    context = {
        "outages": outages[:500],
        "services": Service.objects.all(),
        "kinds": OutageKind.choices,
        "filters": {"service": service_id, "kind": kind, "month": request.GET.get("month", "")},
        "filtered": bool(service_id or kind or month),
        "can_record": _editable_services(request).exists(),
    }
    template = "services/outage_list.html"
    if _htmx(request):
        template += "#outage-table"
    return render(request, template, context)


@org_view()
def outage_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    services = _editable_services(request)
    if not services.exists() and not request_membership(request).can_edit:
        raise PermissionDenied("Only owners, managers and service owners can record outages.")
    initial: dict[str, Any] = {"starts_at": timezone.localtime().replace(second=0, microsecond=0)}
    if (chosen := request.GET.get("service", "")).isdigit():
        initial["service"] = int(chosen)
    form = OutageForm(request.POST or None, services=services, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            outage = actions.save_outage(outage=form.instance, organisation=org)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"The outage of {outage.service} was recorded.")
            return redirect(outage)
    return render(request, "services/outage_form.html", {"form": form, "outage": None})


def _outage(pk: int) -> Outage:
    return get_object_or_404(Outage.objects.select_related("service", "service__owner"), pk=pk)


@org_view()
def outage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _outage(pk)
    context = {
        "outage": outage,
        "can_change": outage.editable_by(request_membership(request)),
        "so_far": outage.duration_s(timezone.now()),
    }
    return render(request, "services/outage_detail.html", context)


@org_view()
def outage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    outage = _outage(pk)
    if not outage.editable_by(request_membership(request)):
        raise PermissionDenied("Only owners, managers and the service's owner can change it.")
    form = OutageForm(request.POST or None, instance=outage, services=_editable_services(request))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_outage(outage=form.instance, organisation=org)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, "The outage was saved.")
            return redirect(outage)
    return render(request, "services/outage_form.html", {"form": form, "outage": outage})


@require_POST
@org_view()
def outage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _outage(pk)
    if not outage.editable_by(request_membership(request)):
        raise PermissionDenied("Only owners, managers and the service's owner can delete it.")
    actions.delete_outage(outage=outage)
    messages.success(request, f"The outage “{outage.title}” was deleted.")
    return redirect(reverse("services:outage_list", kwargs={"org_slug": request_org(request).slug}))
