from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.catalogue.models import Requirement
from openitsms.evidence.forms import members_of
from openitsms.evidence.models import EvidenceItem
from openitsms.processes import actions
from openitsms.processes.forms import KpiForm, ProcessFilter, ProcessForm, RaciGrid
from openitsms.processes.models import FLAG_LABELS, Process, ProcessKpi
from openitsms.tenancy.access import can_edit, org_view, request_membership, request_org

EDIT_REFUSED = "Only owners, managers and the process's owner can change this process."


def _add_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def filtered_processes(processes: QuerySet[Process], data: dict[str, Any]) -> QuerySet[Process]:
    if data.get("kind"):
        processes = processes.filter(kind=data["kind"])
    owner = data.get("owner")
    if owner == "none":
        processes = processes.filter(owner__isnull=True)
    elif owner:
        processes = processes.filter(owner_id=owner)
    if data.get("flagged"):
        processes = processes.filter(Q(owner__isnull=True) | Q(kpi_count=0))
    return processes


def register() -> QuerySet[Process]:
    """The processes with what the list shows, in a fixed number of queries."""
    return (
        Process.objects.select_related("owner", "deputy")
        .annotate(kpi_count=Count("kpis", distinct=True))
        .prefetch_related(
            Prefetch("clauses", queryset=Requirement.objects.order_by("position")),
        )
        .order_by("position", "name")
    )


@org_view()
def process_list(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    membership = request_membership(request)
    filters = ProcessFilter(request.GET, members=list(members_of(org)))
    data = filters.cleaned_data if filters.is_valid() else {}
    processes = list(filtered_processes(register(), data))
    today = timezone.localdate()
    for process in processes:
        process.flag_list = [  # type: ignore[attr-defined]
            (flag, FLAG_LABELS[flag])
            for flag in process.flags(process.kpi_count)  # type: ignore[attr-defined]
        ]
        process.due = process.review_due_on()  # type: ignore[attr-defined]
        process.overdue = process.review_overdue(today)  # type: ignore[attr-defined]
    context = {
        "processes": processes,
        "filters": filters,
        "filtering": any(data.values()),
        "has_any": bool(processes) or Process.objects.exists(),
        "can_manage": membership.can_edit,
        "default_count": len(actions.default_register()),
        "flagged_count": len([p for p in processes if p.flag_list]),  # type: ignore[attr-defined]
    }
    template = "processes/process_list.html"
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@require_POST
@org_view(can_edit, message="Only owners and managers can install the default processes.")
def process_install(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    result = actions.install_default_processes(organisation=org)
    messages.success(request, result.message)
    return redirect("processes:process_list", org_slug=org.slug)


def _form_changes(form: ProcessForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        name: data[name]
        for name in actions.EDITABLE_FIELDS
        if name in form.fields and not form.fields[name].disabled
    }


@org_view(can_edit, message="Only owners and managers can add processes.")
def process_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = ProcessForm(request.POST or None, organisation=org, may_reassign=True)
    if request.method == "POST" and form.is_valid():
        try:
            process = actions.create_process(
                organisation=org,
                fields=_form_changes(form),
                clauses=form.cleaned_data["clauses"],
                interfaces=form.cleaned_data["interfaces"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"“{process}” was added. Add its KPIs next.")
            return redirect(process)
    return render(request, "processes/process_form.html", {"form": form, "process": None})


def _process(pk: int) -> Process:
    return get_object_or_404(Process.objects.select_related("owner", "deputy", "procedure"), pk=pk)


def _editable(request: HttpRequest, process: Process) -> None:
    if not process.editable_by(request_membership(request)):
        raise PermissionDenied(EDIT_REFUSED)


@org_view()
def process_detail(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    membership = request_membership(request)
    kpis = list(process.kpis.all())
    entries = list(process.raci.all())
    today = timezone.localdate()
    evidence = list(
        EvidenceItem.objects.filter(processes=process, deleted_at__isnull=True)
        .select_related("owner")
        .order_by("title")
    )
    for item in evidence:
        item.fresh = item.freshness(today)  # type: ignore[attr-defined]
    matrix = actions.raci_matrix(process, entries)
    context = {
        "process": process,
        "can_edit": process.editable_by(membership),
        "kpis": kpis,
        "flags": [(f, FLAG_LABELS[f]) for f in process.flags(len(kpis))],
        "matrix": matrix,
        "unassigned": [row["activity"] for row in matrix["rows"] if not row["assigned"]],
        "clauses": process.clauses.order_by("position"),
        "interfaces": process.interfaces.order_by("position", "name"),
        "interfaced_by": process.interfaced_by.order_by("position", "name"),
        "evidence": evidence,
        "review_due": process.review_due_on(),
        "review_overdue": process.review_overdue(today),
        "kpi_form": KpiForm(),
        "object_type": process._meta.label_lower,
    }
    return render(request, "processes/process_detail.html", context)


@org_view()
def process_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    process = _process(pk)
    _editable(request, process)
    membership = request_membership(request)
    form = ProcessForm(
        request.POST or None,
        instance=process,
        organisation=org,
        may_reassign=membership.can_edit,
    )
    if request.method == "POST" and form.is_valid():
        fresh = _process(pk)  # the form has already changed `process`
        try:
            actions.update_process(
                process=fresh,
                changes=_form_changes(form),
                clauses=form.cleaned_data["clauses"],
                interfaces=form.cleaned_data["interfaces"],
                membership=membership,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"“{fresh}” was saved.")
            return redirect(fresh)
    return render(request, "processes/process_form.html", {"form": form, "process": process})


@require_POST
@org_view()
def process_review(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    _editable(request, process)
    actions.mark_reviewed(process=process)
    messages.success(
        request,
        f"“{process}” was marked as reviewed today; "
        f"next review by {process.review_due_on():%d %b %Y}.",
    )
    return redirect(process)


@org_view()
def kpi_create(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    _editable(request, process)
    form = KpiForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kpi = actions.create_kpi(process=process, fields=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"KPI “{kpi.name}” was added.")
            return redirect(process)
    return render(
        request, "processes/kpi_form.html", {"form": form, "process": process, "kpi": None}
    )


def _kpi(request: HttpRequest, pk: int) -> ProcessKpi:
    kpi = get_object_or_404(ProcessKpi.objects.select_related("process"), pk=pk)
    _editable(request, kpi.process)
    return kpi


@org_view()
def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(request, pk)
    form = KpiForm(request.POST or None, instance=kpi)
    if request.method == "POST" and form.is_valid():
        fresh = ProcessKpi.objects.get(pk=kpi.pk)
        try:
            actions.update_kpi(kpi=fresh, changes=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"KPI “{fresh.name}” was saved.")
            return redirect(fresh.process)
    return render(
        request, "processes/kpi_form.html", {"form": form, "process": kpi.process, "kpi": kpi}
    )


@require_POST
@org_view()
def kpi_delete(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(request, pk)
    process = kpi.process
    actions.delete_kpi(kpi=kpi)
    messages.success(request, f"KPI “{kpi.name}” was removed.")
    return redirect(process)


@org_view()
def raci_edit(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    _editable(request, process)
    errors: list[str] = []
    if request.method == "POST":
        grid = RaciGrid.from_post(request.POST)
        try:
            actions.set_raci(process=process, rows=grid.rows(), parties=grid.parties)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, "The RACI matrix was saved.")
            return redirect(process)
    else:
        grid = RaciGrid.from_matrix(actions.raci_matrix(process))
    context = {
        "process": process,
        "grid": grid,
        "rows": grid.table(),
        "parties": list(enumerate(grid.parties)),
        "errors": errors,
        "letters": ["R", "A", "C", "I"],
    }
    return render(request, "processes/raci_form.html", context, status=422 if errors else 200)
