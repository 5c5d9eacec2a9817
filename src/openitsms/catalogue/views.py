from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.audit.models import AuditEvent
from openitsms.catalogue import actions, tree
from openitsms.catalogue.exports import Export
from openitsms.catalogue.forms import ConformityBulkForm, ConformityForm, RequirementFilter
from openitsms.catalogue.models import Conformity, Requirement
from openitsms.evidence.models import EvidenceItem
from openitsms.processes.models import Process
from openitsms.tenancy.access import org_view, request_membership, request_org

ASSESSORS_ONLY = "Only owners, managers and process owners can assess requirements."


def _add_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# -- The tree -------------------------------------------------------------------------------


def _list_page(
    request: HttpRequest,
    query: QueryDict,
    *,
    bulk_form: ConformityBulkForm | None = None,
    selected: Iterable[int] = (),
) -> dict[str, Any]:
    org = request_org(request)
    membership = request_membership(request)
    today = timezone.localdate()
    filter_form = RequirementFilter(query or None, organisation=org)
    filters = filter_form.filters()
    rows = tree.build_rows(org, tree.filtered(org, filters, today), today, membership)
    return {
        "filter_form": filter_form,
        "filters": filters,
        "query": urlencode(filters.as_query()),
        "rows": rows,
        "summary": tree.summarise(org, today),
        # A process owner whose processes meet nothing has nothing to tick: no form either.
        "can_assess": membership.can_edit
        or (
            tree.can_assess_any(membership)
            and Requirement.objects.assessable_by(membership).exists()
        ),
        "bulk_form": bulk_form or ConformityBulkForm(),
        "selected": set(selected),
    }


@org_view()
def requirement_list(request: HttpRequest) -> HttpResponse:
    context = _list_page(request, request.GET)
    template = "catalogue/requirement_list.html"
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#rows"
    return render(request, template, context)


@require_POST
@org_view(tree.can_assess_any, message=ASSESSORS_ONLY)
def conformity_bulk(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    query = QueryDict(request.POST.get("return_query", ""))
    form = ConformityBulkForm(request.POST)
    if form.is_valid():
        requirements = list(form.cleaned_data["requirements"])
        tree.refuse_unassessable(request_membership(request), requirements)
        try:
            rows = actions.set_conformity(
                organisation=org,
                requirements=requirements,
                assessed_by=request.user,
                **form.changes(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            numbers = ", ".join(r.requirement.number for r in rows)
            messages.success(
                request,
                f"Assessment recorded for {len(rows)} requirement"
                f"{'s' if len(rows) != 1 else ''}: {numbers}.",
            )
            filters = RequirementFilter(query or None, organisation=org).filters()
            url = reverse("catalogue:requirement_list", kwargs={"org_slug": org.slug})
            params = urlencode(filters.as_query())
            return redirect(f"{url}?{params}" if params else url)
    messages.error(request, "Nothing was saved: see the problems in the assessment form.")
    selected = [int(v) for v in request.POST.getlist("requirements") if v.isdigit()]
    context = _list_page(request, query, bulk_form=form, selected=selected)
    return render(request, "catalogue/requirement_list.html", context)


# -- One requirement ------------------------------------------------------------------------


def _assessment(
    request: HttpRequest, requirement: Requirement, form: ConformityForm | None = None
) -> dict[str, Any]:
    """The organisation's conformity with this requirement and its history."""
    org = request_org(request)
    membership = request_membership(request)
    conformity = (
        Conformity.objects.filter(organisation=org)
        .select_related("assessed_by", "requirement")
        .filter(requirement=requirement)
        .first()
    )
    events: list[AuditEvent] = []
    if conformity is not None:
        events = list(
            AuditEvent.objects.for_org(org).filter(
                object_type="catalogue.conformity", object_id=str(conformity.pk)
            )
        )
    can_assess = membership.can_edit or (
        tree.can_assess_any(membership)
        and Requirement.objects.filter(pk=requirement.pk).assessable_by(membership).exists()
    )
    return {
        "requirement": requirement,
        "conformity": conformity,
        "can_assess": can_assess,
        "form": form or ConformityForm.for_conformity(conformity),
        "history": tree.status_history(events),
    }


def _detail_page(
    request: HttpRequest, requirement: Requirement, form: ConformityForm | None = None
) -> dict[str, Any]:
    org = request_org(request)
    today = timezone.localdate()
    children = Requirement.objects.filter(parent=requirement).with_org_state(org)
    evidence = (
        EvidenceItem.objects.filter(organisation=org)
        .live()
        .filter(requirements=requirement)
        .order_by("title")
    )
    return {
        **_assessment(request, requirement, form),
        "ancestors": tree.ancestors(requirement),
        "crosswalk_groups": tree.crosswalk_groups(requirement),
        "evidence": [(item, item.freshness(today)) for item in evidence],
        "children": tree.build_rows(org, children.order_by("position"), today),
        "processes": Process.objects.filter(organisation=org)
        .active()
        .filter(clauses=requirement)
        .select_related("owner", "deputy"),
    }


@org_view()
def requirement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_object_or_404(Requirement.objects.select_related("standard", "parent"), pk=pk)
    return render(request, "catalogue/requirement_detail.html", _detail_page(request, requirement))


@require_POST
@org_view(tree.can_assess_any, message=ASSESSORS_ONLY)
def conformity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    requirement = get_object_or_404(Requirement.objects.select_related("standard"), pk=pk)
    tree.refuse_unassessable(request_membership(request), [requirement])
    form = ConformityForm(request.POST)
    if form.is_valid():
        try:
            actions.set_conformity(
                organisation=org,
                requirements=[requirement],
                assessed_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                context = {**_assessment(request, requirement), "saved": True}
                return render(request, "catalogue/requirement_detail.html#assessment", context)
            messages.success(request, f"Assessment of {requirement.number} saved.")
            return redirect("catalogue:requirement_detail", org_slug=org.slug, pk=requirement.pk)
    if request.htmx:  # type: ignore[attr-defined]
        context = _assessment(request, requirement, form)
        return render(request, "catalogue/requirement_detail.html#assessment", context)
    messages.error(request, "Nothing was saved: see the problems in the assessment form.")
    context = _detail_page(request, requirement, form)
    return render(request, "catalogue/requirement_detail.html", context)


# -- Exports --------------------------------------------------------------------------------


def export_for(request: HttpRequest, query: QueryDict) -> Export:
    org = request_org(request)
    today = tree.org_today(org)
    filters = RequirementFilter(query or None, organisation=org).filters()
    rows = tree.build_rows(org, tree.filtered(org, filters, today), today)
    return Export(organisation=org, rows=rows, filters=filters, today=today)


@org_view()
def conformity_export_csv(request: HttpRequest) -> HttpResponse:
    return export_for(request, request.GET).csv_response()


@org_view()
def conformity_export_xlsx(request: HttpRequest) -> HttpResponse:
    return export_for(request, request.GET).xlsx_response()
