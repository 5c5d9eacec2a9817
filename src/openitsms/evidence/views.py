from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.audit.actions import record
from openitsms.audit.choices import AuditAction
from openitsms.catalogue.models import Requirement
from openitsms.evidence import actions
from openitsms.evidence.forms import (
    EvidenceFilter,
    EvidenceForm,
    VersionForm,
    members_of,
    primary_requirements,
)
from openitsms.evidence.models import EvidenceFile, EvidenceItem, can_create_evidence
from openitsms.jobs.actions import start_job
from openitsms.processes.models import Process
from openitsms.tenancy.access import org_view, request_membership, request_org

PAGE_SIZE = 50
EDIT_REFUSED = (
    "Only owners, managers and the owner of the evidence (or of a process it belongs to) can "
    "change it."
)


def _add_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _linked() -> list[Prefetch]:  # type: ignore[type-arg]
    return [
        Prefetch("requirements", queryset=Requirement.objects.order_by("position")),
        Prefetch("processes", queryset=Process.objects.order_by("position", "name")),
    ]


def filtered_items(items: QuerySet[EvidenceItem], data: dict[str, Any]) -> QuerySet[EvidenceItem]:
    """Apply the list filters (shared by the page and the API)."""
    if data.get("q"):
        items = items.filter(title__icontains=data["q"])
    if data.get("kind"):
        items = items.filter(kind=data["kind"])
    if data.get("clause"):
        items = items.for_clause(data["clause"])  # type: ignore[attr-defined]
    if data.get("process"):
        items = items.filter(processes__pk=data["process"]).distinct()
    owner = data.get("owner")
    if owner == "none":
        items = items.filter(owner__isnull=True)
    elif owner:
        items = items.filter(owner_id=owner)
    if data.get("freshness"):
        items = items.with_freshness(data["freshness"])  # type: ignore[attr-defined]
    if data.get("deleted"):
        return items.filter(deleted_at__isnull=False)
    return items.filter(deleted_at__isnull=True)


@org_view()
def evidence_list(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    membership = request_membership(request)
    requirements = list(primary_requirements())
    processes = list(Process.objects.order_by("position", "name"))
    filters = EvidenceFilter(
        request.GET, requirements=requirements, processes=processes, members=list(members_of(org))
    )
    data = filters.cleaned_data if filters.is_valid() else {}
    items = filtered_items(
        EvidenceItem.objects.select_related("owner").prefetch_related(
            *_linked(),
            Prefetch(
                "versions",
                queryset=EvidenceFile.objects.order_by("item_id", "-version").only(
                    "pk", "item_id", "version", "original_name", "size", "uploaded_at"
                ),
            ),
        ),
        data,
    ).order_by("title", "pk")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for item in page:
        versions = list(item.versions.all())
        item.latest = versions[0] if versions else None  # type: ignore[attr-defined]
        item.fresh = item.freshness(today)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "filtering": any(v for k, v in data.items()),
        "query": query.urlencode(),
        "can_create": can_create_evidence(membership),
        "has_any": bool(page.object_list) or EvidenceItem.objects.exists(),
    }
    template = "evidence/evidence_list.html"
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@org_view(can_create_evidence, message="Auditors and viewers cannot add evidence.")
def evidence_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = EvidenceForm(
        request.POST or None,
        request.FILES or None,
        organisation=org,
        with_file=True,
        initial={"owner": request.user.pk, "effective_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = actions.create_evidence(
                organisation=org,
                user=request.user,
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                owner=data["owner"],
                effective_on=data["effective_on"],
                valid_until=data["valid_until"],
                review_interval_days=data["review_interval_days"],
                url=data["url"],
                requirements=data["requirements"],
                processes=data["processes"],
                upload=data.get("file"),
                note=data.get("note") or "",
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if result.upload is not None:
                messages.success(request, result.upload.message)
            else:
                messages.success(request, f"“{result.item}” was added.")
            return redirect(result.item)
    return render(request, "evidence/evidence_form.html", {"form": form, "item": None})


def _detail(
    request: HttpRequest, item: EvidenceItem, version_form: VersionForm | None = None, status=200
) -> HttpResponse:
    membership = request_membership(request)
    versions = list(item.versions.select_related("uploaded_by").order_by("-version"))
    twins: dict[str, list[EvidenceFile]] = {}
    for twin in (
        EvidenceFile.objects.filter(sha256__in={v.sha256 for v in versions})
        .exclude(item=item)
        .select_related("item")
        .order_by("item__title", "version")
    ):
        twins.setdefault(twin.sha256, []).append(twin)
    for version in versions:
        version.twins = twins.get(version.sha256, [])  # type: ignore[attr-defined]
    can_edit = item.editable_by(membership)
    context = {
        "item": item,
        "freshness": item.freshness(),
        "versions": versions,
        "requirements": item.requirements.order_by("position"),
        "processes": item.processes.select_related("owner").order_by("position", "name"),
        "procedure_of": Process.objects.filter(procedure=item).order_by("position", "name"),
        "can_edit": can_edit and item.deleted_at is None,
        "can_delete": membership.can_edit,
        "version_form": version_form or VersionForm(),
        "object_type": item._meta.label_lower,
    }
    return render(request, "evidence/evidence_detail.html", context, status=status)


def _item(pk: int) -> EvidenceItem:
    return get_object_or_404(EvidenceItem.objects.select_related("owner", "created_by"), pk=pk)


@org_view()
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _item(pk))


@org_view()
def evidence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    item = _item(pk)
    if not item.editable_by(request_membership(request)):
        raise PermissionDenied(EDIT_REFUSED)
    if item.deleted_at is not None:
        messages.error(request, "This evidence was deleted; restore it before changing it.")
        return redirect(item)
    form = EvidenceForm(request.POST or None, instance=item, organisation=org, with_file=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fresh = EvidenceItem.objects.get(pk=item.pk)  # the form has already changed `item`
        try:
            actions.update_evidence(
                item=fresh,
                changes={name: data[name] for name in actions.EDITABLE_FIELDS},
                requirements=data["requirements"],
                processes=data["processes"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"“{fresh}” was saved.")
            return redirect(fresh)
    return render(request, "evidence/evidence_form.html", {"form": form, "item": item})


@require_POST
@org_view()
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    if not item.editable_by(request_membership(request)):
        raise PermissionDenied(EDIT_REFUSED)
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = actions.upload_version(
                item=item,
                user=request.user,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, result.message)
            return redirect(item)
    return _detail(request, item, version_form=form, status=422)


@require_POST
@org_view()
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not request_membership(request).can_edit:
        raise PermissionDenied("Only owners and managers can delete evidence.")
    item = _item(pk)
    try:
        actions.delete_evidence(item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"“{item}” was deleted. It and its files stay on record; you can restore it.",
        )
    return redirect("evidence:evidence_list", org_slug=request_org(request).slug)


@require_POST
@org_view()
def evidence_restore(request: HttpRequest, pk: int) -> HttpResponse:
    if not request_membership(request).can_edit:
        raise PermissionDenied("Only owners and managers can restore evidence.")
    item = _item(pk)
    try:
        actions.restore_evidence(item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{item}” was restored.")
    return redirect(item)


@require_POST
@org_view()
def evidence_verify(request: HttpRequest) -> HttpResponse:
    job = start_job(
        organisation=request_org(request),
        user=request.user,
        kind="evidence_verify",
        title="Verify the evidence files",
    )
    messages.info(request, "Verification started; this page shows its progress.")
    return redirect(job.get_absolute_url())


def file_response(version: EvidenceFile) -> FileResponse:
    """The stored file as a download under its original name; recorded in the audit trail."""
    try:
        handle = default_storage.open(version.file.name, "rb")
    except FileNotFoundError:
        raise Http404(
            "The stored file is missing. Ask your administrator to run `itsms evidence verify`."
        ) from None
    record(
        action=AuditAction.ACCESS,
        obj=version,
        changes={"downloaded": version.original_name},
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=version.original_name,
        content_type=version.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into showing it, the file runs no script and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@org_view()
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(EvidenceFile.objects.select_related("item"), pk=pk)
    return file_response(version)  # type: ignore[return-value]
