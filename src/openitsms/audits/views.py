"""Pages of the internal audit programme, audits, findings and the certification cycle."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.audits import actions
from openitsms.audits.choices import (
    NC_GRADES,
    AuditStatus,
    CoverageState,
    ExternalAuditStatus,
    Grade,
    Importance,
    ItemResult,
)
from openitsms.audits.coverage import CELL_LABELS, programme_coverage
from openitsms.audits.forms import (
    AuditForm,
    CompleteAuditForm,
    CycleForm,
    ExternalAuditForm,
    ExternalFindingForm,
    FindingForm,
    ItemResultForm,
    PreparationItemForm,
    ProgrammeForm,
)
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    ChecklistItem,
    ExternalAudit,
    ExternalFinding,
    Finding,
    PreparationItem,
    ProgrammeFocus,
)
from openitsms.evidence.models import EvidenceItem
from openitsms.improvement.forms import apply_errors
from openitsms.improvement.models import Improvement, Nonconformity
from openitsms.processes.models import Process
from openitsms.tenancy.access import can_edit, org_view, request_membership, request_org
from openitsms.tenancy.models import Membership

EDIT_MESSAGE = "Only owners and managers can do this."


def can_audit(m: Membership) -> bool:
    """Owners, managers and auditors (who run the audits they are on)."""
    return m.can_record_findings


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    return render(request, "improvement/form_page.html", {"form": form, **context})


def _current_programme() -> AuditProgramme | None:
    today = timezone.localdate()
    current = AuditProgramme.objects.filter(starts_on__lte=today, ends_on__gte=today).first()
    return current or AuditProgramme.objects.first()


def _current_cycle() -> CertificationCycle | None:
    return CertificationCycle.objects.first()


# ------------------------------------------------------------------------------ overview


@org_view()
def audit_home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    programme = _current_programme()
    coverage = programme_coverage(programme, today) if programme else None
    audits = (
        Audit.objects.for_list().filter(programme=programme) if programme else Audit.objects.none()
    )
    cycle = _current_cycle()
    next_external = (
        ExternalAudit.objects.upcoming().filter(cycle=cycle).order_by("window_closes").first()
        if cycle
        else None
    )
    open_external = (
        ExternalFinding.objects.filter(closed_on__isnull=True, grade__in=NC_GRADES)
        .select_related("external_audit")
        .order_by("close_due_on")
    )
    my_audits = Audit.objects.involving(request.user).filter(
        status__in=[AuditStatus.PLANNED, AuditStatus.IN_PROGRESS]
    )
    context = {
        "programme": programme,
        "programmes": AuditProgramme.objects.all(),
        "coverage": coverage,
        "audits": audits,
        "cycle": cycle,
        "next_external": next_external,
        "open_external": list(open_external[:10]),
        "my_audits": my_audits.select_related("programme"),
        "today": today,
        "can_edit": request_membership(request).can_edit,
    }
    return render(request, "audits/audit_home.html", context)


# ----------------------------------------------------------------------------- programmes


@org_view(can_edit, message=EDIT_MESSAGE)
def programme_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    today = timezone.localdate()
    cycle = _current_cycle()
    initial: dict[str, Any] = {"owner": request.user, "cycle": cycle, "starts_on": today}
    if cycle and cycle.decision_on and cycle.expires_on:
        initial.update(starts_on=cycle.decision_on, ends_on=cycle.expires_on)
    form = ProgrammeForm(request.POST or None, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            programme = actions.save_programme(
                programme=AuditProgramme(**form.changes()), organisation=org
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"The programme “{programme}” was created.")
            return redirect(programme)
    return _form_page(
        request,
        form,
        title="New audit programme",
        intro="One programme per certification cycle: plan audits so that every clause and "
        "every process is audited within the three years, more often where it matters more.",
        submit="Create the programme",
        back=reverse("audits:audit_home", kwargs={"org_slug": org.slug}),
    )


@org_view()
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_object_or_404(AuditProgramme.objects.select_related("cycle", "owner"), pk=pk)
    today = timezone.localdate()
    coverage = programme_coverage(programme, today)
    context = {
        "programme": programme,
        "coverage": coverage,
        "audits": Audit.objects.for_list().filter(programme=programme),
        "today": today,
        "can_edit": request_membership(request).can_edit,
    }
    return render(request, "audits/programme_detail.html", context)


@org_view()
def programme_coverage_page(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_object_or_404(AuditProgramme.objects, pk=pk)
    coverage = programme_coverage(programme, timezone.localdate())
    show = request.GET.get("show", "")
    clauses, processes = coverage.clauses, coverage.processes
    if show == "gaps":
        clauses = [r for r in clauses if r.state != CoverageState.AUDITED]
        processes = [r for r in processes if r.state != CoverageState.AUDITED]
    context = {
        "programme": programme,
        "coverage": coverage,
        "clauses": clauses,
        "processes": processes,
        "show": show,
        "cell_labels": CELL_LABELS,
        "states": CoverageState,
    }
    return render(request, "audits/coverage.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    programme = get_object_or_404(AuditProgramme.objects, pk=pk)
    form = ProgrammeForm(request.POST or None, instance=programme, org=org)
    if request.method == "POST" and form.is_valid():
        for name, value in form.changes().items():
            setattr(programme, name, value)
        try:
            actions.save_programme(programme=programme, organisation=org)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The programme was saved.")
            return redirect(programme)
    return _form_page(
        request, form, title=f"Edit {programme}", submit="Save", back=programme.get_absolute_url()
    )


@org_view(can_edit, message=EDIT_MESSAGE)
def programme_focus(request: HttpRequest, pk: int) -> HttpResponse:
    """How important each process is to the programme: the weight of the coverage plan."""
    programme = get_object_or_404(AuditProgramme.objects, pk=pk)
    processes = list(Process.objects.active().order_by("position", "name"))
    current = {f.process_id: f for f in ProgrammeFocus.objects.filter(programme=programme)}
    if request.method == "POST":
        errors = []
        for process in processes:
            raw = request.POST.get(f"importance-{process.pk}", "")
            reason = request.POST.get(f"reason-{process.pk}", "").strip()[:300]
            if not raw.isdigit() or int(raw) not in Importance.values:
                errors.append(process.name)
                continue
            focus = current.get(process.pk)
            if focus and focus.importance == int(raw) and focus.reason == reason:
                continue
            if not focus and int(raw) == Importance.NORMAL and not reason:
                continue
            actions.set_focus(
                programme=programme, process=process, importance=int(raw), reason=reason
            )
        if errors:
            messages.error(request, "Choose an importance for: " + ", ".join(errors) + ".")
        else:
            messages.success(request, "The weighting of the programme was saved.")
            return redirect(
                "audits:programme_coverage", org_slug=programme.organisation.slug, pk=pk
            )
    rows = [
        (
            p,
            current[p.pk].importance if p.pk in current else Importance.NORMAL,
            current[p.pk].reason if p.pk in current else "",
        )
        for p in processes
    ]
    return render(
        request,
        "audits/programme_focus.html",
        {"programme": programme, "rows": rows, "importances": Importance.choices},
    )


# --------------------------------------------------------------------------------- audits


@org_view(can_edit, message=EDIT_MESSAGE)
def audit_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    programme_id = request.GET.get("programme", "")
    programme = (
        get_object_or_404(AuditProgramme.objects, pk=programme_id)
        if programme_id.isdigit()
        else _current_programme()
    )
    if programme is None:
        messages.info(request, "Create the audit programme first: audits belong to one.")
        return redirect("audits:programme_create", org_slug=org.slug)
    form = AuditForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            audit = actions.create_audit(
                programme=programme,
                fields=form.changes(),
                clauses=form.cleaned_data["clauses"],
                processes=form.cleaned_data["processes"],
                team=form.cleaned_data["team"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"{audit.reference} is planned; its checklist has {audit.items.count()} items.",
            )
            return redirect(audit)
    return _form_page(
        request,
        form,
        title=f"Plan an audit in “{programme}”",
        intro="Choose the clauses and processes it covers — see the coverage matrix for what "
        "the cycle still needs. The checklist is generated from the catalogue.",
        submit="Plan the audit",
        back=programme.get_absolute_url(),
    )


def _load_audit(pk: int) -> Audit:
    return get_object_or_404(
        Audit.objects.select_related("programme", "lead_auditor").prefetch_related(
            "team", "processes", "clauses"
        ),
        pk=pk,
    )


def _item_counts(audit: Audit) -> dict[str, int]:
    counts = {value: 0 for value in ItemResult.values}
    counts.update(audit.items.values_list("result").annotate(n=Count("pk")).order_by())
    total = sum(counts.values())
    return {
        **counts,
        "total": total,
        "checked": total - counts[ItemResult.NOT_CHECKED],
        "nonconformities": counts[ItemResult.MAJOR_NC] + counts[ItemResult.MINOR_NC],
    }


@org_view()
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_audit(pk)
    membership = request_membership(request)
    context = {
        "audit": audit,
        "findings": audit.findings.for_list(),
        "counts": _item_counts(audit),
        "can_run": audit.runnable_by(membership) and audit.is_open,
        "can_edit": membership.can_edit and audit.is_open,
        "complete_form": CompleteAuditForm(initial={"conclusion": audit.conclusion}),
        "problems": actions.completion_problems(audit),
    }
    return render(request, "audits/audit_detail.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def audit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    audit = _load_audit(pk)
    form = AuditForm(request.POST or None, instance=audit, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_audit(
                audit=audit,
                changes=form.changes(),
                clauses=form.cleaned_data["clauses"],
                processes=form.cleaned_data["processes"],
                team=form.cleaned_data["team"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{audit.reference} was saved.")
            return redirect(audit)
    return _form_page(
        request, form, title=f"Edit {audit.reference}", submit="Save", back=audit.get_absolute_url()
    )


def _evidence_by_item(items: list[ChecklistItem]) -> dict[int, list[tuple[EvidenceItem, bool]]]:
    """For each item: the live evidence linked to its clause or process, and what it has."""
    links = EvidenceItem.requirements.through.objects.filter(
        requirement_id__in={i.requirement_id for i in items if i.requirement_id},
        evidenceitem__deleted_at__isnull=True,
        evidenceitem__organisation_id__in={i.organisation_id for i in items},
    ).values_list("requirement_id", "evidenceitem_id")
    by_requirement: dict[int, set[int]] = defaultdict(set)
    for requirement_id, evidence_id in links:
        by_requirement[requirement_id].add(evidence_id)
    attached: dict[int, set[int]] = defaultdict(set)
    through = ChecklistItem.evidence.through.objects.filter(
        checklistitem_id__in=[i.pk for i in items]
    ).values_list("checklistitem_id", "evidenceitem_id")
    for item_id, evidence_id in through:
        attached[item_id].add(evidence_id)
    wanted = set().union(*by_requirement.values(), *attached.values()) if items else set()
    evidence = {
        e.pk: e
        for e in EvidenceItem.objects.filter(pk__in=wanted).only("pk", "title", "organisation_id")
    }
    result: dict[int, list[tuple[EvidenceItem, bool]]] = {}
    for item in items:
        ids = by_requirement.get(item.requirement_id or 0, set()) | attached[item.pk]
        result[item.pk] = [
            (evidence[i], i in attached[item.pk])
            for i in sorted(ids, key=lambda i: evidence[i].title if i in evidence else "")
            if i in evidence
        ]
    return result


@org_view()
def audit_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_audit(pk)
    membership = request_membership(request)
    items = list(audit.items.select_related("requirement", "process", "checked_by", "finding"))
    evidence = _evidence_by_item(items)
    rows = [(item, evidence.get(item.pk, [])) for item in items]
    context = {
        "audit": audit,
        "rows": rows,
        "results": ItemResult.choices,
        "counts": _item_counts(audit),
        "can_run": audit.runnable_by(membership) and audit.is_open,
    }
    return render(request, "audits/checklist.html", context)


@require_POST
@org_view(can_audit, message="Only owners, managers and auditors record results.")
def checklist_item_save(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        ChecklistItem.objects.select_related("audit", "requirement", "process"), pk=pk
    )
    audit = item.audit
    actions.check_runnable_by(audit, request_membership(request))
    form = ItemResultForm(request.POST)
    error = ""
    if form.is_valid():
        evidence = EvidenceItem.objects.live().filter(
            pk__in=[v for v in request.POST.getlist("evidence") if v.isdigit()]
        )
        try:
            actions.record_item_result(
                item=item,
                by=request.user,
                result=form.cleaned_data["result"],
                notes=form.cleaned_data["notes"],
                evidence=evidence,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose one of the listed results."
    item = get_object_or_404(
        ChecklistItem.objects.select_related("requirement", "process", "checked_by", "finding"),
        pk=pk,
    )
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "audit": audit,
            "item": item,
            "evidence": _evidence_by_item([item]).get(item.pk, []),
            "results": ItemResult.choices,
            "can_run": True,
            "error": error,
            "submitted": request.POST,
        }
        return render(request, "audits/checklist.html#item", context, status=422 if error else 200)
    if error:
        messages.error(request, f"Not saved: {error}")
    else:
        messages.success(request, f"Saved: {item}.")
    return redirect(item.get_absolute_url())


@require_POST
@org_view(can_audit, message="Only owners, managers and auditors run audits.")
def audit_start(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_audit(pk)
    actions.check_runnable_by(audit, request_membership(request))
    try:
        actions.start_audit(audit=audit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{audit.reference} is in progress.")
    return redirect(audit)


@require_POST
@org_view(can_audit, message="Only owners, managers and auditors run audits.")
def audit_complete(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_audit(pk)
    actions.check_runnable_by(audit, request_membership(request))
    form = CompleteAuditForm(request.POST)
    conclusion = form.cleaned_data["conclusion"] if form.is_valid() else ""
    try:
        actions.complete_audit(audit=audit, conclusion=conclusion)
    except ValidationError as exc:
        messages.error(request, "Not completed. " + " ".join(exc.messages))
        return redirect(audit)
    messages.success(request, f"{audit.reference} is completed; its report is final.")
    return redirect("audits:audit_report", org_slug=audit.organisation.slug, pk=audit.pk)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def audit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_audit(pk)
    try:
        actions.cancel_audit(audit=audit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{audit.reference} was cancelled.")
    return redirect(audit)


@org_view()
def audit_report(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_audit(pk)
    items = list(audit.items.select_related("requirement", "process"))
    findings = list(audit.findings.for_list())
    by_grade: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_grade[finding.grade].append(finding)
    context = {
        "audit": audit,
        "counts": _item_counts(audit),
        "findings": findings,
        "by_grade": [(Grade(g).label, g, by_grade[g]) for g in Grade.values if by_grade[g]],
        "not_checked": [i for i in items if not i.is_checked],
        "items": items,
    }
    return render(request, "audits/audit_report.html", context)


# ------------------------------------------------------------------------------- findings


@org_view()
def finding_list(request: HttpRequest) -> HttpResponse:
    grade = request.GET.get("grade", "")
    findings = Finding.objects.for_list()
    if grade in Grade.values:
        findings = findings.filter(grade=grade)
    return render(
        request,
        "audits/finding_list.html",
        {"findings": findings[:200], "grade": grade, "grades": Grade.choices},
    )


@org_view(can_audit, message="Only owners, managers and auditors record findings.")
def finding_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    audit = _load_audit(pk)
    actions.check_runnable_by(audit, request_membership(request))
    form = FindingForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            finding = actions.record_finding(
                audit=audit,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                **form.changes(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if finding.nonconformity_id:
                messages.success(
                    request,
                    f"{finding.reference} was recorded and opened "
                    f"{finding.nonconformity.reference}.",  # type: ignore[union-attr]
                )
            else:
                messages.success(request, f"{finding.reference} was recorded.")
            return redirect(finding)
    return _form_page(
        request,
        form,
        title=f"Record a finding in {audit.reference}",
        intro="A major or minor nonconformity opens a nonconformity record at once; an "
        "opportunity for improvement can then be sent to the improvement register.",
        submit="Record the finding",
        back=audit.get_absolute_url(),
    )


def _load_finding(pk: int) -> Finding:
    return get_object_or_404(
        Finding.objects.for_list().select_related("checklist_item", "audit__programme"), pk=pk
    )


@org_view()
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _load_finding(pk)
    membership = request_membership(request)
    context = {
        "finding": finding,
        "evidence": finding.evidence.all(),
        "actions": finding.actions.select_related("owner"),
        "can_run": finding.audit.runnable_by(membership) and finding.audit.is_open,
        "can_send": finding.is_ofi
        and finding.improvement_id is None
        and (membership.can_edit or finding.audit.runnable_by(membership)),
    }
    return render(request, "audits/finding_detail.html", context)


@org_view(can_audit, message="Only owners, managers and auditors change findings.")
def finding_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    finding = _load_finding(pk)
    actions.check_runnable_by(finding.audit, request_membership(request))
    form = FindingForm(
        request.POST or None,
        instance=finding,
        org=org,
        initial={"evidence": list(finding.evidence.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_finding(
                finding=finding,
                by=request.user,
                changes=form.changes(),
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{finding.reference} was saved.")
            return redirect(finding)
    return _form_page(
        request,
        form,
        title=f"Edit {finding.reference}",
        intro="A nonconformity is never downgraded to an observation or opportunity.",
        submit="Save",
        back=finding.get_absolute_url(),
    )


@require_POST
@org_view(can_audit, message="Only owners, managers and auditors can do this.")
def finding_to_improvement(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _load_finding(pk)
    membership = request_membership(request)
    if not (membership.can_edit or finding.audit.runnable_by(membership)):
        raise PermissionDenied("Only owners, managers and the audit's auditors can do this.")
    try:
        improvement = actions.send_to_improvement(finding=finding, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(finding)
    messages.success(
        request, f"{finding.reference} is in the improvement register as {improvement.reference}."
    )
    return redirect(improvement)


# ------------------------------------------------------------------- the certification cycle


@org_view()
def cycle_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    cycles = list(
        CertificationCycle.objects.prefetch_related(
            Prefetch("audits", queryset=ExternalAudit.objects.order_by("window_closes", "pk"))
        )
    )
    rows = []
    for cycle in cycles:
        upcoming = [a for a in cycle.audits.all() if a.status == ExternalAuditStatus.PLANNED]
        rows.append((cycle, upcoming[0] if upcoming else None))
    return render(
        request,
        "audits/cycle_list.html",
        {"rows": rows, "today": today, "can_edit": request_membership(request).can_edit},
    )


@org_view(can_edit, message=EDIT_MESSAGE)
def cycle_create(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    form = CycleForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = actions.save_cycle(cycle=CertificationCycle(**form.changes()), organisation=org)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The certificate was saved and its audits planned.")
            return redirect(cycle)
    return _form_page(
        request,
        form,
        title="Add a certificate",
        intro="The three-year cycle starts on the certification decision. Its surveillance and "
        "recertification audits are planned with the windows the rules give them; leave the "
        "decision empty while you prepare for initial certification.",
        submit="Save the certificate",
        back=reverse("audits:cycle_list", kwargs={"org_slug": org.slug}),
    )


def _load_cycle(pk: int) -> CertificationCycle:
    return get_object_or_404(
        CertificationCycle.objects.prefetch_related(
            Prefetch(
                "audits",
                queryset=ExternalAudit.objects.annotate(
                    finding_count=Count("findings", distinct=True),
                    open_findings=Count(
                        "findings",
                        filter=Q(findings__closed_on__isnull=True, findings__grade__in=NC_GRADES),
                        distinct=True,
                    ),
                ).order_by("window_closes", "starts_on", "pk"),
            )
        ),
        pk=pk,
    )


@org_view()
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _load_cycle(pk)
    today = timezone.localdate()
    findings = (
        ExternalFinding.objects.filter(external_audit__cycle=cycle)
        .select_related("external_audit", "nonconformity", "clause")
        .order_by("closed_on", "close_due_on", "pk")
    )
    context = {
        "cycle": cycle,
        "audits": list(cycle.audits.all()),
        "findings": findings,
        "gaps": actions.year_gaps(cycle),
        "state": cycle.state(today),
        "state_label": cycle.state_label(today),
        "today": today,
        "can_edit": request_membership(request).can_edit,
    }
    return render(request, "audits/cycle_detail.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def cycle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    cycle = get_object_or_404(CertificationCycle.objects, pk=pk)
    form = CycleForm(request.POST or None, instance=cycle, org=org)
    if request.method == "POST" and form.is_valid():
        for name, value in form.changes().items():
            setattr(cycle, name, value)
        try:
            actions.save_cycle(cycle=cycle, organisation=org)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The certificate was saved; the windows were recomputed.")
            return redirect(cycle)
    return _form_page(
        request, form, title=f"Edit {cycle}", submit="Save", back=cycle.get_absolute_url()
    )


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def cycle_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(CertificationCycle.objects, pk=pk)
    actions.recompute_windows(cycle=cycle, reset=True)
    messages.success(request, "Every window was recomputed from the cycle's rules.")
    return redirect(cycle)


@org_view(can_edit, message=EDIT_MESSAGE)
def external_audit_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    cycle = get_object_or_404(CertificationCycle.objects, pk=pk)
    audit = ExternalAudit(cycle=cycle, organisation=org)
    form = ExternalAuditForm(request.POST or None, instance=audit, org=org)
    for name in ("window_opens", "window_target", "window_closes"):
        form.fields.pop(name, None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_external_audit(audit=ExternalAudit(cycle=cycle), changes=form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The audit was added to the cycle.")
            return redirect(cycle)
    return _form_page(
        request,
        form,
        title=f"Add an audit to {cycle}",
        intro="Its window comes from the cycle's rules; a special audit has none.",
        submit="Add the audit",
        back=cycle.get_absolute_url(),
    )


def _load_external_audit(pk: int) -> ExternalAudit:
    return get_object_or_404(ExternalAudit.objects.select_related("cycle"), pk=pk)


@org_view()
def external_audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_external_audit(pk)
    today = timezone.localdate()
    prep = list(audit.preparation.select_related("owner"))
    context = {
        "audit": audit,
        "cycle": audit.cycle,
        "findings": audit.findings.select_related("nonconformity", "clause", "process"),
        "prep_ready": sum(1 for p in prep if p.status == "ready"),
        "prep_total": len(prep),
        "today": today,
        "can_edit": request_membership(request).can_edit,
        "stage2_limit": None,
    }
    if audit.kind == "stage2" and audit.ends_on:
        from openitsms.audits.cycle import major_verification_limit

        context["stage2_limit"] = major_verification_limit(audit.ends_on)
    return render(request, "audits/external_audit_detail.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def external_audit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    audit = _load_external_audit(pk)
    form = ExternalAuditForm(request.POST or None, instance=audit, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_external_audit(audit=audit, changes=form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"The {audit} was saved.")
            return redirect(audit)
    return _form_page(
        request, form, title=f"Edit the {audit}", submit="Save", back=audit.get_absolute_url()
    )


@org_view(can_edit, message=EDIT_MESSAGE)
def external_finding_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    audit = _load_external_audit(pk)
    form = ExternalFindingForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        data = form.changes()
        try:
            finding = actions.record_external_finding(
                external_audit=audit,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                **data,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The finding was recorded with the body's deadlines.")
            return redirect(finding)
    return _form_page(
        request,
        form,
        title=f"Record a finding of the {audit}",
        intro=f"Deadlines follow the certificate: an action plan within {audit.cycle.plan_days} "
        f"days, closure within {audit.cycle.close_days} days, never after expiry.",
        submit="Record the finding",
        back=audit.get_absolute_url(),
    )


def _load_external_finding(pk: int) -> ExternalFinding:
    return get_object_or_404(
        ExternalFinding.objects.select_related(
            "external_audit__cycle", "clause", "process", "nonconformity", "improvement"
        ),
        pk=pk,
    )


@org_view()
def external_finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _load_external_finding(pk)
    membership = request_membership(request)
    context = {
        "finding": finding,
        "evidence": finding.evidence.all(),
        "today": timezone.localdate(),
        "can_edit": membership.can_edit,
        "can_send": membership.can_edit
        and finding.grade == Grade.OFI
        and finding.improvement_id is None,
    }
    return render(request, "audits/external_finding_detail.html", context)


@org_view(can_edit, message=EDIT_MESSAGE)
def external_finding_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    finding = _load_external_finding(pk)
    form = ExternalFindingForm(
        request.POST or None,
        instance=finding,
        org=org,
        initial={"evidence": list(finding.evidence.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_external_finding(
                finding=finding, changes=form.changes(), evidence=form.cleaned_data["evidence"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The finding was saved.")
            return redirect(finding)
    return _form_page(
        request,
        form,
        title="Edit the finding",
        intro="Record when the plan went to the body and when it accepted the closure.",
        submit="Save",
        back=finding.get_absolute_url(),
    )


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def external_finding_to_improvement(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _load_external_finding(pk)
    try:
        improvement = actions.send_to_improvement(finding=finding, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(finding)
    messages.success(request, f"It is in the improvement register as {improvement.reference}.")
    return redirect(improvement)


def _preparation_hints(audit: ExternalAudit) -> dict[str, str]:
    """What the registers already say about some topics, to help get them ready."""
    cycle = audit.cycle
    since = cycle.decision_on
    previous = (
        ExternalAudit.objects.filter(cycle=cycle, status=ExternalAuditStatus.HELD)
        .exclude(pk=audit.pk)
        .order_by("-ends_on")
        .first()
    )
    if previous and previous.ends_on:
        since = previous.ends_on
    hints: dict[str, str] = {}
    audits = Audit.objects.filter(status=AuditStatus.COMPLETED)
    if since:
        audits = audits.filter(completed_on__gte=since)
    hints["audit_and_review"] = (
        f"{audits.count()} internal audit(s) completed since {since:%d %b %Y}."
        if since
        else f"{audits.count()} internal audit(s) completed."
    )
    if previous:
        open_ncs = previous.findings.filter(grade__in=NC_GRADES, closed_on__isnull=True).count()
        hints["previous_ncs"] = (
            f"{open_ncs} nonconformity(ies) of the {previous} still open with the body."
        )
    improvements = Improvement.objects.exclude(status__in=["rejected"])
    hints["improvement"] = (
        f"{improvements.filter(status='completed').count()} improvement(s) completed, "
        f"{improvements.filter(status__in=['approved', 'in_progress']).count()} under way."
    )
    hints["complaints"] = (
        f"{Nonconformity.objects.filter(source='complaint').count()} nonconformity(ies) raised "
        "from complaints."
    )
    return hints


@org_view()
def preparation(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _load_external_audit(pk)
    membership = request_membership(request)
    if not audit.has_preparation:
        messages.info(request, "Only surveillance and recertification audits have this checklist.")
        return redirect(audit)
    if membership.can_edit:
        actions.ensure_preparation(external_audit=audit)
    org = request_org(request)
    items = list(audit.preparation.select_related("owner").prefetch_related("evidence"))
    hints = _preparation_hints(audit)
    rows = [
        (
            item,
            hints.get(item.topic, ""),
            PreparationItemForm(
                instance=item,
                org=org,
                prefix=f"prep-{item.pk}",
                initial={"evidence": list(item.evidence.all())},
            )
            if membership.can_edit
            else None,
        )
        for item in items
    ]
    context = {
        "audit": audit,
        "rows": rows,
        "ready": sum(1 for i in items if i.status == "ready"),
        "today": timezone.localdate(),
    }
    return render(request, "audits/preparation.html", context)


@require_POST
@org_view(can_edit, message=EDIT_MESSAGE)
def preparation_item_save(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    item = get_object_or_404(PreparationItem.objects.select_related("external_audit"), pk=pk)
    form = PreparationItemForm(request.POST, instance=item, org=org, prefix=f"prep-{item.pk}")
    if form.is_valid():
        try:
            actions.update_preparation_item(
                item=item, changes=form.changes(), evidence=form.cleaned_data["evidence"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Saved: {item.get_topic_display()}.")
    else:
        messages.error(
            request, "Not saved: " + " ".join(str(e) for errs in form.errors.values() for e in errs)
        )
    return redirect(f"{item.get_absolute_url()}#prep-{item.pk}")
