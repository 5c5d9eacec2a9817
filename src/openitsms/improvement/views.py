"""Pages of the action tracker, nonconformities (10.1) and the improvement register (10.2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.improvement import actions
from openitsms.improvement.choices import ActionKind, ImprovementStatus
from openitsms.improvement.forms import (
    ActionFilterForm,
    ActionForm,
    ActionProgressForm,
    AnalysisForm,
    CheckPlanForm,
    CheckResultForm,
    CommentForm,
    CompleteForm,
    DecisionForm,
    ImprovementForm,
    MeasureForm,
    NonconformityFilterForm,
    NonconformityForm,
    ProposalForm,
    TargetForm,
    TargetMeasureForm,
    apply_errors,
)
from openitsms.improvement.models import (
    Action,
    EffectivenessCheck,
    Improvement,
    ImprovementTarget,
    Nonconformity,
)
from openitsms.improvement.similar import similar_nonconformities
from openitsms.tenancy.access import can_edit, org_view, request_membership, request_org
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Membership

PAGE_SIZE = 50
EDIT_MESSAGE = "Only owners and managers can do this."


def can_act(m: Membership) -> bool:
    """Every role but viewer may act on the records assigned to them."""
    return m.role != Role.VIEWER


def can_raise(m: Membership) -> bool:
    """Owners, managers and auditors raise nonconformities."""
    return m.can_edit or m.can_record_findings


def _bind_org(objs: Iterable[Any], org: Any) -> None:
    """Records already known to be this organisation's build their links without a query."""
    for obj in objs:
        if obj is not None and getattr(obj, "organisation_id", None) == org.pk:
            obj.organisation = org


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    return render(request, "improvement/form_page.html", {"form": form, **context})


def _partial(request: HttpRequest, template: str, name: str) -> str:
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return f"{template}#{name}"
    return template


# ------------------------------------------------------------------------------ the tracker


@org_view()
def action_list(request: HttpRequest, preset: str = "") -> HttpResponse:
    """All actions, or the "My actions" and "Overdue" views of them."""
    org = request_org(request)
    today = timezone.localdate()
    form = ActionFilterForm(request.GET or None, org=org, initial={"status": "active"})
    actions_qs = Action.objects.for_list()
    status = "active"
    if form.is_valid():
        status = form.cleaned_data["status"] if "status" in request.GET else "active"
        if form.cleaned_data["owner"]:
            actions_qs = actions_qs.filter(owner=form.cleaned_data["owner"])
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"]
            actions_qs = actions_qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if preset == "mine":
        actions_qs = actions_qs.filter(owner_id=request.user.pk)
    if preset == "overdue":
        actions_qs = actions_qs.overdue(today)
    elif status == "active":
        actions_qs = actions_qs.active()
    elif status:
        actions_qs = actions_qs.filter(status=status)
    page = Paginator(actions_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _bind_org((a.raised_by for a in page.object_list), org)
    counts = {
        "mine": Action.objects.active().filter(owner_id=request.user.pk).count(),
        "overdue": Action.objects.overdue(today).count(),
    }
    context = {
        "page": page,
        "form": form,
        "preset": preset,
        "today": today,
        "counts": counts,
        "query": request.GET.urlencode(),
    }
    return render(request, _partial(request, "improvement/action_list.html", "rows"), context)


def _source_from_query(request: HttpRequest) -> dict[str, Any]:
    """An action started from another record's page links back to it: a nonconformity, an
    improvement, or any record of the organisation named as ``?source=app.model:id``."""
    source: dict[str, Any] = {}
    if request.GET.get("source"):
        source["source"] = actions.find_source(request.GET["source"])
    elif request.GET.get("nonconformity"):
        source["nonconformity"] = get_object_or_404(
            Nonconformity.objects, pk=request.GET["nonconformity"]
        )
    elif request.GET.get("improvement"):
        source["improvement"] = get_object_or_404(
            Improvement.objects, pk=request.GET["improvement"]
        )
    return source


@org_view(can_edit, message=EDIT_MESSAGE)
def action_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    source = _source_from_query(request)
    initial: dict[str, Any] = {}
    if "nonconformity" in source:
        initial = {"kind": ActionKind.CORRECTIVE, "owner": source["nonconformity"].owner}
    if "improvement" in source:
        initial = {"kind": ActionKind.IMPROVEMENT, "owner": source["improvement"].owner}
    if "source" in source:
        initial = {"kind": ActionKind.FOLLOW_UP}
    form = ActionForm(request.POST or None, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.changes()
        try:
            action = actions.create_action(
                organisation=org,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                **data,
                **source,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{action.reference} was added to the tracker.")
            origin = next(iter(source.values()), None)
            return redirect(origin or action)
    origin = next(iter(source.values()), None)
    return _form_page(
        request,
        form,
        title="New corrective action" if "nonconformity" in source else "New action",
        intro=f"Raised by {origin}." if origin else "An action someone owns, with a due date.",
        submit="Add the action",
        back=origin.get_absolute_url() if origin else None,
    )


def _load_action(pk: int) -> Action:
    return get_object_or_404(
        Action.objects.select_related("owner", "nonconformity", "improvement", "created_by"),
        pk=pk,
    )


@org_view()
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    action = _load_action(pk)
    membership = request_membership(request)
    _bind_org([action.raised_by], org)
    progress = ActionProgressForm(
        organisation=org,
        initial={
            "status": action.status,
            "completed_on": action.completed_on,
            "completion_notes": action.completion_notes,
            "evidence": list(action.evidence.all()),
        },
    )
    context = {
        "action": action,
        "comments": action.comments.select_related("author"),
        "evidence": action.evidence.all(),
        "progress_form": progress if action.updatable_by(membership) else None,
        "comment_form": CommentForm() if can_act(membership) else None,
        "can_edit": membership.can_edit,
        "today": timezone.localdate(),
    }
    return render(request, "improvement/action_detail.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    action = _load_action(pk)
    form = ActionForm(request.POST or None, instance=action, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_action(
                action=action,
                changes=form.changes(),
                membership=request_membership(request),
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{action.reference} was saved.")
            return redirect(action)
    return _form_page(
        request,
        form,
        title=f"Edit {action.reference}",
        submit="Save",
        back=action.get_absolute_url(),
    )


@require_POST
@org_view(can_act, message="Viewers cannot update actions.")
def action_progress(request: HttpRequest, pk: int) -> HttpResponse:
    action = _load_action(pk)
    membership = request_membership(request)
    if not action.updatable_by(membership):
        raise PermissionDenied("Only owners, managers and the action's owner can update it.")
    form = ActionProgressForm(request.POST, organisation=request_org(request))
    if form.is_valid():
        changes = {
            "status": form.cleaned_data["status"],
            "completion_notes": form.cleaned_data["completion_notes"],
            "completed_on": form.cleaned_data["completed_on"],
        }
        try:
            actions.update_action(
                action=action,
                changes=changes,
                membership=membership,
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{action.reference} is {action.get_status_display()}.")
            return redirect(action)
    action.refresh_from_db()
    _bind_org([action.raised_by], request_org(request))
    return render(
        request,
        "improvement/action_detail.html",
        {
            "action": action,
            "comments": action.comments.select_related("author"),
            "evidence": action.evidence.all(),
            "progress_form": form,
            "comment_form": CommentForm(),
            "can_edit": membership.can_edit,
            "today": timezone.localdate(),
        },
        status=422,
    )


@require_POST
@org_view(can_act, message="Viewers cannot comment.")
def action_comment(request: HttpRequest, pk: int) -> HttpResponse:
    action = _load_action(pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        actions.add_action_comment(
            action=action, author=request.user, body=form.cleaned_data["body"]
        )
        messages.success(request, "Your comment was added.")
    else:
        messages.error(request, "Write the comment first.")
    return redirect(action)


# --------------------------------------------------------------------------- nonconformities


@org_view()
def nonconformity_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = NonconformityFilterForm(request.GET or None, initial={"status": "open"})
    ncs = Nonconformity.objects.for_list().prefetch_related("actions", "checks")
    status = "open"
    if form.is_valid():
        status = form.cleaned_data["status"] if "status" in request.GET else "open"
        if form.cleaned_data["severity"]:
            ncs = ncs.filter(severity=form.cleaned_data["severity"])
        if form.cleaned_data["overdue"]:
            ncs = ncs.overdue(today)
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"]
            ncs = ncs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if status:
        ncs = ncs.filter(status=status)
    page = Paginator(ncs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "today": today,
        "overdue_count": Nonconformity.objects.overdue(today).count(),
        "open_count": Nonconformity.objects.open().count(),
        "can_raise": can_raise(request_membership(request)),
    }
    return render(
        request, _partial(request, "improvement/nonconformity_list.html", "rows"), context
    )


@org_view()
def nonconformity_similar(request: HttpRequest) -> HttpResponse:
    """The similar-nonconformity hint shown while one is being raised (an htmx fragment)."""

    def _id(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    matches = similar_nonconformities(
        title=request.GET.get("title", ""),
        description=request.GET.get("description", ""),
        clause_id=_id("clause"),
        process_id=_id("process"),
        exclude_pk=_id("exclude"),
    )
    return render(request, "improvement/similar.html", {"matches": matches})


@org_view(can_raise, message="Owners, managers and auditors raise nonconformities.")
def nonconformity_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = NonconformityForm(
        request.POST or None,
        org=org,
        initial={"raised_on": timezone.localdate(), "source": "self_identified"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            nc = actions.raise_nonconformity(
                organisation=org,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                **form.changes(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{nc.reference} was raised.")
            return redirect(nc)
    return render(request, "improvement/nonconformity_form.html", {"form": form, "nc": None})


def _load_nc(pk: int) -> Nonconformity:
    return get_object_or_404(
        Nonconformity.objects.select_related(
            "clause", "process", "owner", "raised_by", "closed_by"
        ).prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("owner")),
            Prefetch("checks", queryset=EffectivenessCheck.objects.select_related("checker")),
        ),
        pk=pk,
    )


def _origin(nc: Nonconformity) -> Any:
    """The audit finding that opened it, internal or external (or None)."""
    for name in ("audit_finding", "external_finding"):
        try:
            return getattr(nc, name)
        except (ObjectDoesNotExist, AttributeError):  # no such finding (or no audits app)
            continue
    return None


@org_view()
def nonconformity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    nc = _load_nc(pk)
    membership = request_membership(request)
    checks = list(nc.checks.all())
    pending = [c for c in checks if c.result == "pending"]
    result_forms = [
        (c, CheckResultForm(prefix=f"check-{c.pk}")) for c in pending if c.recordable_by(membership)
    ]
    matches = similar_nonconformities(
        title=nc.title,
        description=nc.description,
        clause_id=nc.clause_id,
        process_id=nc.process_id,
        exclude_pk=nc.pk,
    )
    origin = _origin(nc)
    _bind_org([origin], org)
    context = {
        "nc": nc,
        "origin": origin,
        "stage": nc.stage(),
        "problems": actions.closure_problems(nc) if nc.is_open else [],
        "actions": list(nc.actions.all()),
        "checks": checks,
        "result_forms": result_forms,
        "plan_form": CheckPlanForm(org=org) if membership.can_edit and nc.is_open else None,
        "notes": nc.notes.select_related("author"),
        "comment_form": CommentForm() if can_act(membership) else None,
        "matches": matches,
        "evidence": nc.evidence.all(),
        "can_edit": membership.can_edit,
        "can_analyse": nc.analysable_by(membership) and nc.is_open,
        "today": timezone.localdate(),
    }
    return render(request, "improvement/nonconformity_detail.html", context)


@org_view()
def nonconformity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    nc = _load_nc(pk)
    membership = request_membership(request)
    if not nc.analysable_by(membership):
        raise PermissionDenied("Only owners, managers and the assigned owner can change it.")
    form = NonconformityForm(request.POST or None, instance=nc, org=org)
    if not membership.can_edit:
        for name in list(form.fields):
            if name not in ("containment", "correction", "evidence"):
                del form.fields[name]
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_nonconformity(
                nc=nc,
                changes=form.changes(),
                membership=membership,
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{nc.reference} was saved.")
            return redirect(nc)
    return render(request, "improvement/nonconformity_form.html", {"form": form, "nc": nc})


@org_view()
def nonconformity_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _load_nc(pk)
    membership = request_membership(request)
    if not nc.analysable_by(membership):
        raise PermissionDenied("Only owners, managers and the assigned owner can analyse it.")
    form = AnalysisForm(request.POST or None, initial=AnalysisForm.initial_for(nc))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_nonconformity(nc=nc, changes=form.changes(), membership=membership)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"The root cause analysis of {nc.reference} was saved.")
            return redirect(nc)
    return _form_page(
        request,
        form,
        title=f"Root cause analysis of {nc.reference}",
        intro="Ask “why?” until you reach a cause that, once removed, stops it from happening "
        "again. Then name that root cause and its category.",
        submit="Save the analysis",
        back=nc.get_absolute_url(),
        record=nc,
    )


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def check_plan(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    nc = _load_nc(pk)
    form = CheckPlanForm(request.POST, org=org)
    if form.is_valid():
        try:
            actions.plan_effectiveness_check(nc=nc, by=request.user, **form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The effectiveness check was planned.")
            return redirect(nc)
    return _form_page(
        request,
        form,
        title=f"Plan an effectiveness check of {nc.reference}",
        submit="Plan the check",
        back=nc.get_absolute_url(),
    )


@require_POST
@org_view(can_act, message="Viewers cannot record checks.")
def check_record(request: HttpRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(EffectivenessCheck.objects.select_related("nonconformity"), pk=pk)
    if not check.recordable_by(request_membership(request)):
        raise PermissionDenied("Only owners, managers and the named checker record the result.")
    form = CheckResultForm(request.POST, prefix=f"check-{check.pk}")
    if form.is_valid():
        try:
            actions.record_effectiveness_check(
                check=check,
                by=request.user,
                result=form.cleaned_data["result"],
                performed_on=form.cleaned_data["performed_on"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if check.result == "passed":
                messages.success(request, "The check passed: the corrective action is effective.")
            else:
                messages.warning(
                    request,
                    f"The check failed: {check.nonconformity.reference} is back in corrective "
                    "action.",
                )
            return redirect(check.nonconformity)
    return _form_page(
        request,
        form,
        title=f"Result of the effectiveness check of {check.nonconformity.reference}",
        submit="Record the result",
        back=check.nonconformity.get_absolute_url(),
    )


@require_POST
@org_view(can_edit, message="Only owners and managers close nonconformities.")
def nonconformity_close(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _load_nc(pk)
    try:
        actions.close_nonconformity(nc=nc, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, f"{nc.reference} was not closed. " + " ".join(exc.messages))
    else:
        messages.success(request, f"{nc.reference} is closed.")
    return redirect(nc)


@require_POST
@org_view(can_act, message="Viewers cannot comment.")
def nonconformity_note(request: HttpRequest, pk: int) -> HttpResponse:
    nc = get_object_or_404(Nonconformity.objects, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        actions.add_nonconformity_note(nc=nc, author=request.user, body=form.cleaned_data["body"])
        messages.success(request, "Your comment was added to the timeline.")
    else:
        messages.error(request, "Write the comment first.")
    return redirect(nc)


# ----------------------------------------------------------------------------- improvements


@org_view()
def improvement_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "live")
    improvements = Improvement.objects.for_list()
    if status == "live":
        improvements = improvements.live()
    elif status in ImprovementStatus.values:
        improvements = improvements.filter(status=status)
    order = request.GET.get("order", "")
    if order == "score":
        improvements = improvements.order_by("-score", "-number")
    page = Paginator(improvements, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "order": order,
        "statuses": ImprovementStatus.choices,
        "can_propose": can_act(request_membership(request)),
    }
    return render(request, _partial(request, "improvement/improvement_list.html", "rows"), context)


@org_view(can_act, message="Viewers cannot propose improvements.")
def improvement_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    membership = request_membership(request)
    form_class = ImprovementForm if membership.can_edit else ProposalForm
    form = form_class(request.POST or None, org=org, initial={"raised_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            improvement = actions.create_improvement(
                organisation=org,
                by=request.user,
                fields=form.changes(),
                evidence=form.cleaned_data.get("evidence") or [],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{improvement.reference} is in the register.")
            return redirect(improvement)
    return _form_page(
        request,
        form,
        title="Propose an improvement",
        intro="Describe the opportunity and where it came from. Owners and managers evaluate "
        "it (benefit, cost, risk), set measurable targets and decide.",
        submit="Add to the register",
        back=None,
    )


def _load_improvement(pk: int) -> Improvement:
    return get_object_or_404(
        Improvement.objects.select_related("owner", "process", "clause", "raised_by", "decided_by"),
        pk=pk,
    )


@org_view()
def improvement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    improvement = _load_improvement(pk)
    membership = request_membership(request)
    targets = list(improvement.targets.all())
    open_status = improvement.status in (ImprovementStatus.APPROVED, ImprovementStatus.IN_PROGRESS)
    # The audit findings that sent it here (the audits app links to improvements).
    findings = list(getattr(improvement, "audit_findings").all())  # noqa: B009
    _bind_org(findings, org)
    context = {
        "improvement": improvement,
        "targets": targets,
        "actions": improvement.actions.select_related("owner"),
        "findings": findings,
        "evidence": improvement.evidence.all(),
        "can_edit": membership.can_edit,
        "can_measure": improvement.measurable_by(membership)
        and improvement.status != ImprovementStatus.COMPLETED,
        "decision_form": DecisionForm()
        if membership.can_edit and improvement.status == ImprovementStatus.PROPOSED
        else None,
        "complete_form": CompleteForm() if membership.can_edit and open_status else None,
        "open_status": open_status,
        "today": timezone.localdate(),
    }
    return render(request, "improvement/improvement_detail.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def improvement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    improvement = _load_improvement(pk)
    form = ImprovementForm(request.POST or None, instance=improvement, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_improvement(
                improvement=improvement,
                changes=form.changes(),
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{improvement.reference} was saved.")
            return redirect(improvement)
    return _form_page(
        request,
        form,
        title=f"Edit and evaluate {improvement.reference}",
        intro="Score = benefit counted double, plus low cost and low risk, from 0 to 100.",
        submit="Save",
        back=improvement.get_absolute_url(),
    )


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def improvement_decide(request: HttpRequest, pk: int) -> HttpResponse:
    improvement = _load_improvement(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(improvement)
    try:
        actions.decide_improvement(
            improvement=improvement,
            by=request.user,
            decision=form.cleaned_data["decision"],
            notes=form.cleaned_data["notes"],
        )
    except ValidationError as exc:
        messages.error(request, "Not decided. " + " ".join(exc.messages))
    else:
        messages.success(
            request, f"{improvement.reference} is {improvement.get_status_display().lower()}."
        )
    return redirect(improvement)


@org_view(can_edit, message=EDIT_MESSAGE)
def target_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    improvement = _load_improvement(pk)
    form = TargetForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_target(improvement=improvement, fields=form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The target was added.")
            return redirect(improvement)
    return _form_page(
        request,
        form,
        title=f"Add a target to {improvement.reference}",
        intro="A measurable target: the measure, where it stands now and where it should be.",
        submit="Add the target",
        back=improvement.get_absolute_url(),
    )


@org_view()
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    target = get_object_or_404(ImprovementTarget.objects.select_related("improvement"), pk=pk)
    membership = request_membership(request)
    if not target.improvement.measurable_by(membership):
        raise PermissionDenied("Only owners, managers and the improvement's owner can.")
    form_class = TargetMeasureForm if membership.can_edit else MeasureForm
    form = form_class(request.POST or None, instance=target, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_target(target=target, changes=form.changes(), membership=membership)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The target was saved.")
            return redirect(target.improvement)
    return _form_page(
        request,
        form,
        title=f"Target of {target.improvement.reference}: {target.description}",
        intro="Record the measured result against the target.",
        submit="Save",
        back=target.improvement.get_absolute_url(),
    )


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def improvement_complete(request: HttpRequest, pk: int) -> HttpResponse:
    improvement = _load_improvement(pk)
    form = CompleteForm(request.POST)
    summary = form.cleaned_data["result_summary"] if form.is_valid() else ""
    try:
        actions.complete_improvement(
            improvement=improvement, by=request.user, result_summary=summary
        )
    except ValidationError as exc:
        messages.error(request, "Not completed. " + " ".join(exc.messages))
    else:
        messages.success(request, f"{improvement.reference} is completed.")
    return redirect(improvement)
