"""Pages: import (upload, column mapping), import runs, and the imported records."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render

from openitsms.lib.svgcharts import Bar, bar_chart
from openitsms.operations.actions import queue_import, save_mapping, start_import
from openitsms.operations.choices import RunStatus, Source
from openitsms.operations.forms import (
    ImportForm,
    KpiFilterForm,
    MappingForm,
    RecordFilterForm,
)
from openitsms.operations.ingest import IngestError, open_table, suggest_mapping
from openitsms.operations.kpis import monthly_kpis
from openitsms.operations.models import ImportRun, Record
from openitsms.operations.recurring import problem_candidates, raise_problem
from openitsms.operations.trends import control_limits
from openitsms.tenancy.access import can_edit, org_view, request_membership, request_org

FLAG_LABELS = {
    "beyond_limits": "outside mean ± 3σ",
    "run": "8 months in a row on one side of the mean",
}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> str:
    """A cell for a CSV download: text that a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@org_view(can_edit)
def import_page(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        organisation=org,
        initial={"time_zone": org.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = queue_import(
            organisation=org,
            user=request.user,
            upload=data["file"],
            source=data["source"],
            kind=data["kind"],
            mapping=data["mapping"],
            dry_run=data["dry_run"],
            tz=data["time_zone"],
            date_order=data["date_order"],
        )
        if run.status == RunStatus.MAPPING:
            return redirect("operations:run_mapping", org_slug=org.slug, pk=run.pk)
        return redirect(run)
    return render(request, "operations/import.html", {"form": form})


@org_view(can_edit)
def run_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Step two for other CSV files: the column mapping, suggested from the headers."""
    run = get_object_or_404(ImportRun.objects, pk=pk, status=RunStatus.MAPPING)
    try:
        with open_table(run.upload_path) as table:
            headers = list(table.headers)
            sample = [cells for _n, cells in _first_rows(table.rows(), 50)]
    except (IngestError, OSError) as error:
        run.status, run.message = RunStatus.FAILED, f"The file cannot be read: {error}"
        run.save()
        return redirect(run)
    suggestion = suggest_mapping(headers, sample)
    initial: dict[str, Any] = {f"col_{k}": v for k, v in suggestion.columns.items()}
    initial["name"] = Path(run.file_name).stem[:100]
    form = MappingForm(request.POST or None, headers=headers, kind=run.kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            mapping = save_mapping(
                organisation=request_org(request),
                name=form.cleaned_data["name"],
                source=Source.CSV,
                kind=run.kind,
                columns=form.columns(),
            )
            start_import(run=run, user=request.user, mapping=mapping)
        return redirect(run)
    return render(
        request,
        "operations/mapping.html",
        {"run": run, "form": form, "suggestion": suggestion, "headers": headers},
    )


def _first_rows(rows: Any, limit: int) -> list[tuple[int, list[str]]]:
    found: list[tuple[int, list[str]]] = []
    for item in rows:
        if isinstance(item, tuple):
            found.append(item)
        if len(found) >= limit:
            break
    return found


@org_view()
def run_list(request: HttpRequest) -> HttpResponse:
    runs = ImportRun.objects.select_related("user")[:200]
    return render(request, "operations/run_list.html", {"runs": runs})


@org_view()
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.select_related("user", "job"), pk=pk)
    rejections = run.rejections.all()[:200]
    context = {"run": run, "rejections": rejections}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "operations/run_detail.html#status", context)
    return render(request, "operations/run_detail.html", context)


@org_view()
def run_rejections_csv(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects, pk=pk)

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Any:
        yield writer.writerow(["row", "source_id", "reason", "columns"])
        for item in run.rejections.all().iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    item.row_number,
                    escape_cell(item.source_id),
                    escape_cell(item.reason),
                    escape_cell(" ".join(item.columns)),
                ]
            )

    response: Any = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-rejections.csv"'
    return response


@org_view()
def record_list(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = RecordFilterForm(request.GET or None, organisation=org)
    records = Record.objects.select_related("service").defer(
        "history", "priority_history", "root_cause", "workaround"
    )
    if form.is_valid():
        data = form.cleaned_data
        for name in ("kind", "status", "priority"):
            if data.get(name):
                records = records.filter(**{name: data[name]})
        if data.get("service"):
            records = records.filter(service=data["service"])
        if data.get("month"):
            start = data["month"].replace(day=1)
            end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
            records = records.filter(opened_at__date__gte=start, opened_at__date__lt=end)
        if data.get("q"):
            records = records.filter(
                Q(source_id__icontains=data["q"]) | Q(title__icontains=data["q"])
            )
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operations/record_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@org_view()
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(
        Record.objects.select_related("service", "sla_agreement", "last_run"), pk=pk
    )
    return render(request, "operations/record_detail.html", {"record": record})


@org_view()
def kpis(request: HttpRequest) -> HttpResponse:
    """Monthly KPIs from the rollups, with charts and the table of figures."""
    org = request_org(request)
    form = KpiFilterForm(request.GET or None, organisation=org)
    kind, service, group = "incident", None, ""
    if form.is_valid():
        kind = form.cleaned_data["kind"] or "incident"
        service = form.cleaned_data["service"]
        group = form.cleaned_data["assignment_group"]
    months = monthly_kpis(
        kind=kind, service_id=service.pk if service else None, assignment_group=group
    )
    shown = months[-24:]
    volume_chart = bar_chart(
        [Bar(label=f"{m.month:%b %y}", value=m.opened, value_label=str(m.opened)) for m in shown],
        title="Records opened per month",
        description="Volume of records opened in each month, from the monthly rollups.",
    )
    within_chart = bar_chart(
        [
            Bar(
                label=f"{m.month:%b %y}",
                value=m.resolution_within_pct,
                status="ok" if (m.resolution_within_pct or 0) >= 95 else "warn",
                value_label=(
                    f"{m.resolution_within_pct:g} %" if m.resolution_within_pct is not None else ""
                ),
                note=""
                if m.resolution_within_pct is None
                else ("≥ 95 %" if m.resolution_within_pct >= 95 else "< 95 %"),
            )
            for m in shown
        ],
        title="Resolved within target, % per month",
        description="Share of records resolved in each month that met their agreement target.",
        y_max=100,
        unit=" %",
    )
    trend_flags = []
    for label, values in (
        ("Records opened", [m.opened for m in months]),
        ("Resolved within target (%)", [m.resolution_within_pct for m in months]),
        ("Mean time to resolve, 24×7 (h)", [m.mean_resolution_24x7_h for m in months]),
    ):
        chart = control_limits(values)
        for index in chart.flagged():
            trend_flags.append(
                {
                    "kpi": label,
                    "month": months[index].month,
                    "value": values[index],
                    "mean": chart.mean,
                    "upper": chart.upper,
                    "lower": chart.lower,
                    "reasons": [FLAG_LABELS[flag] for flag in chart.flags[index]],
                }
            )
    return render(
        request,
        "operations/kpis.html",
        {
            "form": form,
            "months": months,
            "trend_flags": trend_flags,
            "volume_chart": volume_chart,
            "within_chart": within_chart,
            "kind": kind,
        },
    )


@org_view()
def recurring(request: HttpRequest) -> HttpResponse:
    """Problem candidates; managers raise a problem from one in one click."""
    membership = request_membership(request)
    if request.method == "POST":
        if not membership.can_edit:
            raise PermissionDenied("Only owners and managers can raise problems.")
        ids = [int(value) for value in request.POST.getlist("incident") if value.isdigit()]
        try:
            problem = raise_problem(
                organisation=request_org(request),
                user=request.user,
                incident_ids=ids,
                title=request.POST.get("title", ""),
            )
        except ValidationError as error:
            return HttpResponseBadRequest("; ".join(error.messages))
        return redirect(problem)
    return render(request, "operations/recurring.html", {"candidates": problem_candidates()})
