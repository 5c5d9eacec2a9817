from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openitsms.audit.choices import AuditAction
from openitsms.audit.models import AuditEvent
from openitsms.jobs.actions import start_job
from openitsms.tenancy.access import org_view, request_org

PAGE_SIZE = 50


@org_view()
def org_log(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    events = AuditEvent.objects.for_org(org)
    action = request.GET.get("action", "")
    if action in AuditAction.values:
        events = events.filter(action=action)
    actor = request.GET.get("actor", "").strip()
    if actor:
        events = events.filter(actor_label__icontains=actor)
    object_type = request.GET.get("type", "").strip()
    if object_type:
        events = events.filter(object_type=object_type)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    types = (
        AuditEvent.objects.for_org(org)
        .exclude(object_type="")
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
    context = {
        "page": page,
        "actions": AuditAction.choices,
        "types": list(types),
        "filters": {"action": action, "actor": actor, "type": object_type},
    }
    template = "audit/org_log.html"
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#events"
    return render(request, template, context)


@org_view()
def object_history(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    org = request_org(request)
    events = AuditEvent.objects.for_org(org).filter(object_type=object_type, object_id=object_id)
    if not events.exists():
        raise Http404("No history for this record in this organisation.")
    latest = events.first()
    return render(
        request,
        "audit/object_history.html",
        {
            "events": events,
            "object_type": object_type,
            "object_repr": latest.object_repr if latest else "",
        },
    )


@require_POST
@org_view()
def verify(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    job = start_job(
        organisation=org, user=request.user, kind="audit_verify", title="Verify the audit trail"
    )
    messages.info(request, "Verification started; this page shows its progress.")
    return redirect(job.get_absolute_url())
