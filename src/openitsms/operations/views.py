"""Pages: import (upload, column mapping), saved mappings and their value maps, import runs,
and the imported records."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from openitsms.catalogue.models import PRIMARY_STANDARD
from openitsms.operations.actions import (
    create_mapping,
    delete_mapping,
    queue_import,
    save_mapping,
    start_import,
    update_mapping,
)
from openitsms.operations.choices import RecordKind, RunStatus, Source
from openitsms.operations.forms import (
    ImportForm,
    KpiFilterForm,
    MappingEditForm,
    MappingForm,
    NewMappingForm,
    RecordFilterForm,
    ValueGrid,
)
from openitsms.operations.ingest import FIELD_BY_NAME, IngestError, open_table, suggest_mapping
from openitsms.operations.ingest.valuemaps import map_key
from openitsms.operations.kpis import (
    KIND_VIEWS,
    assignment_groups,
    kpi_charts,
    kpi_series,
    kpi_table,
    monthly_kpis,
)
from openitsms.operations.models import ColumnMapping, ImportRun, Record
from openitsms.operations.recurring import problem_candidates, raise_problem
from openitsms.operations.trends import trend_flags
from openitsms.operations.value_tables import ALWAYS_SHOWN, shown_fields, unknown_values
from openitsms.processes.models import Process
from openitsms.tenancy.access import can_edit, org_view, request_membership, request_org

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> str:
    """A cell for a CSV download: text that a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@org_view(can_edit)
def import_page(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    # "Import again" links from a mapping's page carry the source, kind and mapping.
    wanted = {key: request.GET[key] for key in ("source", "kind", "mapping") if key in request.GET}
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        organisation=org,
        initial={"time_zone": org.time_zone, **wanted},
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
    """Step two for other CSV files: the column mapping, suggested from the headers, and the
    values of the status and priority columns in the file's first rows, each with ours."""
    run = get_object_or_404(ImportRun.objects, pk=pk, status=RunStatus.MAPPING)
    try:
        with open_table(run.upload_path) as table:
            headers = list(table.headers)
            sample = [cells for _n, cells in _first_rows(table.rows(), 200)]
    except (IngestError, OSError) as error:
        run.status, run.message = RunStatus.FAILED, f"The file cannot be read: {error}"
        run.save()
        return redirect(run)
    suggestion = suggest_mapping(headers, sample[:50])
    specs = [FIELD_BY_NAME[name] for name in ALWAYS_SHOWN]

    def values_of(columns: dict[str, str]) -> ValueGrid:
        return ValueGrid.from_sample(
            source=Source.CSV,
            kind=run.kind,
            specs=specs,
            columns=columns,
            headers=headers,
            rows=sample,
        )

    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        # The status or priority column was changed: the values of the one now chosen.
        chosen = {name: request.GET.get(f"col_{name}", "") for name in ALWAYS_SHOWN}
        return render(
            request, "operations/mapping.html#values", {"run": run, "grid": values_of(chosen)}
        )
    initial: dict[str, Any] = {f"col_{k}": v for k, v in suggestion.columns.items()}
    initial["name"] = Path(run.file_name).stem[:100]
    form = MappingForm(request.POST or None, headers=headers, kind=run.kind, initial=initial)
    if request.method != "POST":
        grid = values_of(suggestion.columns)
    else:
        grid = ValueGrid.from_post(request.POST, source=Source.CSV, kind=run.kind, specs=specs)
        if form.is_valid() and grid.is_valid():
            columns = form.columns()
            name = form.cleaned_data["name"].strip()
            existing = ColumnMapping.objects.filter(name=name).first()
            value_maps = grid.merged_over(
                existing.value_maps if existing else {},
                source=Source.CSV,
                kind=run.kind,
                columns=columns,
            )
            try:
                with transaction.atomic():
                    mapping = save_mapping(
                        organisation=request_org(request),
                        name=name,
                        source=Source.CSV,
                        kind=run.kind,
                        columns=columns,
                        value_maps=value_maps,
                    )
                    start_import(run=run, user=request.user, mapping=mapping)
            except ValidationError as error:
                _show_errors(form, error)
            else:
                return redirect(run)
    return render(
        request,
        "operations/mapping.html",
        {
            "run": run,
            "form": form,
            "grid": grid,
            "suggestion": suggestion,
            "headers": headers,
        },
        status=422 if request.method == "POST" else 200,
    )


def _show_errors(form: Any, error: ValidationError) -> None:
    """An action's ``ValidationError`` on a form: by field where the form has the field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, problems in error.message_dict.items():
        for problem in problems:
            if name in form.fields:
                form.add_error(name, problem)
            else:
                form.add_error(None, problem)


def _run_unknown_values(run: ImportRun) -> list[tuple[str, str]]:
    """The (field, value) pairs a failed run's rejections call unknown."""
    if run.status != RunStatus.FAILED:
        return []
    # Few distinct reasons per run (a value repeats on many rows); no ordering, or the row
    # numbers would join the DISTINCT.
    reasons = run.rejections.order_by().values_list("reason", flat=True).distinct()[:1000]
    return unknown_values([*reasons, run.message])


def _unknown_value_help(run: ImportRun) -> dict[str, Any]:
    """For a failed run with unknown values: those values, and where to map them (the run's
    mapping, or a new mapping for its source and kind)."""
    found = _run_unknown_values(run)
    if not found:
        return {}
    slug = run.organisation.slug
    mapping = (
        ColumnMapping.objects.filter(name=run.mapping_name).first() if run.mapping_name else None
    )
    if mapping is not None:
        url = reverse("operations:mapping_detail", kwargs={"org_slug": slug, "pk": mapping.pk})
        url += "?" + urlencode({"from_run": run.pk})
    else:
        url = reverse("operations:mapping_new", kwargs={"org_slug": slug})
        url += "?" + urlencode({"source": run.source, "kind": run.kind, "from_run": run.pk})
    return {
        "unknown_values": [
            {"field": FIELD_BY_NAME[name].label, "value": value} for name, value in found
        ],
        "values_mapping": mapping,
        "values_url": url,
    }


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
    context = {"run": run, "rejections": rejections, **_unknown_value_help(run)}
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
    """Monthly KPIs of one kind of record from the rollups: its process, charts, the table of
    figures and the control-chart flags."""
    org = request_org(request)
    form = KpiFilterForm(request.GET or None, organisation=org, initial={"kind": "incident"})
    form.fields["assignment_group"].widget.attrs["list"] = "kpi-groups"
    kind, service, priority, group = RecordKind.INCIDENT.value, None, "", ""
    if form.is_valid():
        kind = form.cleaned_data["kind"] or kind
        service = form.cleaned_data["service"]
        priority = form.cleaned_data["priority"]
        group = form.cleaned_data["assignment_group"]
    months = monthly_kpis(
        kind=kind,
        service_id=service.pk if service else None,
        priority=priority,
        assignment_group=group,
    )
    view = KIND_VIEWS[kind]
    headings, rows = kpi_table(kind, months)
    process = (
        Process.objects.active()
        .filter(clauses__standard__key=PRIMARY_STANDARD, clauses__number=view.clause)
        .order_by("position", "pk")
        .first()
    )
    kept = request.GET.copy()
    kind_tabs = []
    for value, spec in KIND_VIEWS.items():
        kept["kind"] = value
        kind_tabs.append({"kind": value, "label": spec.label, "query": kept.urlencode()})
    return render(
        request,
        "operations/kpis.html",
        {
            "form": form,
            "kind": kind,
            "view": view,
            "kind_tabs": kind_tabs,
            "process": process,
            "months": months,
            "headings": headings,
            "rows": rows,
            "charts": kpi_charts(kind, months[-24:]),
            "trend_flags": trend_flags(kpi_series(kind, months), [m.month for m in months]),
            "groups": assignment_groups(kind),
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
            # Say why on the page itself, with the candidates as they are now.
            return render(
                request,
                "operations/recurring.html",
                {"candidates": problem_candidates(), "error": " ".join(error.messages)},
                status=400,
            )
        return redirect(problem)
    return render(request, "operations/recurring.html", {"candidates": problem_candidates()})


# --- saved mappings -------------------------------------------------------------------------


@org_view()
def mapping_list(request: HttpRequest) -> HttpResponse:
    """The organisation's saved mappings, with what each sets."""
    rows = [
        {
            "mapping": mapping,
            "columns": len(mapping.columns),
            "overrides": sum(len(table) for table in mapping.value_maps.values()),
        }
        for mapping in ColumnMapping.objects.all()
    ]
    return render(request, "operations/mapping_list.html", {"rows": rows})


def _from_run(request: HttpRequest) -> ImportRun | None:
    """The run a mapping page was opened from (``?from_run=``), when it is one of ours."""
    value = request.GET.get("from_run", "")
    return ImportRun.objects.filter(pk=int(value)).first() if value.isdigit() else None


@org_view(can_edit, message="Only owners and managers can create mappings.")
def mapping_new(request: HttpRequest) -> HttpResponse:
    """A mapping for a named source without a file, mostly for the source's own values."""
    org = request_org(request)
    run = _from_run(request)
    initial = {key: request.GET[key] for key in ("source", "kind") if key in request.GET}
    if run is not None:
        initial["name"] = f"{run.get_source_display()} {run.get_kind_display().lower()} values"
    form = NewMappingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = create_mapping(
                organisation=org,
                name=form.cleaned_data["name"],
                source=form.cleaned_data["source"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"The mapping “{mapping}” was created. Add its values.")
            url = reverse(
                "operations:mapping_detail", kwargs={"org_slug": org.slug, "pk": mapping.pk}
            )
            return redirect(url + (f"?from_run={run.pk}" if run else ""))
    return render(
        request,
        "operations/mapping_new.html",
        {"form": form, "run": run},
        status=422 if form.errors else 200,
    )


@org_view()
def mapping_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A saved mapping: its name, columns and value overrides over the source's defaults.
    Every member may read it; owners and managers change it."""
    mapping = get_object_or_404(ColumnMapping.objects, pk=pk)
    editable = request_membership(request).can_edit
    if request.method == "POST" and not editable:
        raise PermissionDenied("Only owners and managers can change mappings.")
    source, kind = mapping.source, mapping.kind
    run = _from_run(request)
    add = _run_unknown_values(run) if run is not None else []
    shown = shown_fields(source, kind, mapping.columns, mapping.value_maps)
    named = {name for name, _value in add}
    specs = [
        spec
        for spec in FIELD_BY_NAME.values()
        if spec in shown
        or (spec.name in named and (not kind or spec.kinds is None or kind in spec.kinds))
    ]
    if request.method == "POST":
        form = MappingEditForm(request.POST, mapping=mapping)
        grid = ValueGrid.from_post(request.POST, source=source, kind=kind, specs=specs)
        if form.is_valid() and grid.is_valid():
            try:
                update_mapping(
                    mapping=mapping,
                    name=form.cleaned_data["name"],
                    source=source,
                    kind=kind,
                    columns=form.columns(),
                    value_maps=grid.value_maps(),
                )
            except ValidationError as error:
                _show_errors(form, error)
            else:
                messages.success(request, f"The mapping “{mapping}” was saved.")
                return redirect(request.get_full_path())
    else:
        form = MappingEditForm(mapping=mapping)
        grid = ValueGrid.from_maps(
            source=source, kind=kind, specs=specs, value_maps=mapping.value_maps, add=add
        )
    again = ""
    if run is not None:
        again = reverse("operations:import", kwargs={"org_slug": request_org(request).slug})
        again += "?" + urlencode({"source": run.source, "kind": run.kind, "mapping": mapping.pk})
    return render(
        request,
        "operations/mapping_detail.html",
        {
            "mapping": mapping,
            "form": form,
            "grid": grid,
            "editable": editable,
            "run": run,
            "import_again_url": again,
            "still_unknown": [
                (FIELD_BY_NAME[name].label, value)
                for name, value in add
                if map_key(value) not in {map_key(k) for k in mapping.value_maps.get(name, {})}
            ],
        },
        status=422 if request.method == "POST" else 200,
    )


@org_view(can_edit, message="Only owners and managers can delete mappings.")
def mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first; runs that used the mapping keep its name."""
    mapping = get_object_or_404(ColumnMapping.objects, pk=pk)
    if request.method == "POST":
        delete_mapping(mapping=mapping)
        messages.success(request, f"The mapping “{mapping}” was deleted.")
        return redirect("operations:mappings", org_slug=request_org(request).slug)
    return render(request, "operations/mapping_delete.html", {"mapping": mapping})
