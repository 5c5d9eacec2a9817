"""Internal audit (9.2) and the certification cycle.

* The internal audit **programme** covers one certification cycle. It plans **audits**, each
  with a scope of clauses and processes, a lead auditor and a team, and a **checklist**
  generated from the catalogue. Auditors record **findings**; a major or minor nonconformity
  opens a nonconformity in the improvement app, an opportunity for improvement can be sent
  to the improvement register.
* The **certification cycle** is one certificate: its certification body, number, scope,
  decision and expiry dates, and its **external audits** (stage 1 and 2, surveillance,
  recertification, special) with due windows computed by :mod:`openitsms.audits.cycle`.
  **External findings** carry the body's deadlines; each surveillance audit has a
  **preparation checklist** of the topics every surveillance covers.

This app depends on ``improvement`` (never the reverse): the links between findings and
nonconformities or improvements are foreign keys on this side.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.audits import cycle as rules
from openitsms.audits.choices import (
    NC_GRADES,
    ONCE_PER_CYCLE,
    AuditStatus,
    ExternalAuditKind,
    ExternalAuditStatus,
    ExternalFindingStatus,
    Grade,
    Importance,
    ItemResult,
    PrepStatus,
    PrepTopic,
)
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership

USER = settings.AUTH_USER_MODEL


def _url(name: str, obj: Any) -> str:
    return reverse(name, kwargs={"org_slug": obj.organisation.slug, "pk": obj.pk})


# ------------------------------------------------------------------ the certification cycle


class CertificationCycle(OrgScopedModel, AuditedModel):
    """One certificate and its three-year cycle of certification audits."""

    certification_body = models.CharField(max_length=200)
    certificate_number = models.CharField(
        max_length=100, blank=True, help_text="Once issued, as printed on the certificate."
    )
    scope = models.TextField(help_text="The scope as stated on the certificate.")
    decision_on = models.DateField(
        "certification decision",
        null=True,
        blank=True,
        help_text="The day the body decided to certify; the cycle starts here. Leave empty "
        "until the initial certification is decided.",
    )
    expires_on = models.DateField(
        "expiry date",
        null=True,
        blank=True,
        help_text="The last day the certificate is valid. Left empty, it is the day before the "
        "third anniversary of the decision.",
    )
    plan_days = models.PositiveSmallIntegerField(
        "action plan due within (days)",
        default=rules.DEFAULT_PLAN_DAYS,
        help_text="How long the body gives for an action plan on its findings.",
    )
    close_days = models.PositiveSmallIntegerField(
        "closure due within (days)",
        default=rules.DEFAULT_CLOSE_DAYS,
        help_text="How long the body gives to close its findings.",
    )
    lead_months = models.PositiveSmallIntegerField(
        "windows open (months before target)",
        default=rules.DEFAULT_LEAD_MONTHS,
        help_text="How early the body may audit before a surveillance or recertification target.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-decision_on", "-pk"]
        verbose_name = "certification cycle"
        constraints = [
            models.CheckConstraint(
                condition=Q(decision_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gt=models.F("decision_on")),
                name="certification_cycle_expiry_after_decision",
                violation_error_message="The certificate must expire after the decision date.",
            ),
            models.CheckConstraint(
                condition=Q(plan_days__gte=1) & Q(close_days__gte=1),
                name="certification_cycle_deadlines_positive",
                violation_error_message="Deadlines are at least one day.",
            ),
            models.CheckConstraint(
                condition=Q(lead_months__lte=12),
                name="certification_cycle_lead_at_most_a_year",
                violation_error_message="Windows open at most 12 months before their target.",
            ),
        ]

    def __str__(self) -> str:
        number = self.certificate_number or "certificate pending"
        return f"{self.certification_body} — {number}"

    def get_absolute_url(self) -> str:
        return _url("audits:cycle_detail", self)

    def state(self, today: date) -> str:
        if self.decision_on is None:
            return "pending"
        if self.expires_on is not None and today > self.expires_on:
            return "expired"
        return "valid"

    def state_label(self, today: date) -> str:
        return {
            "pending": "Awaiting certification decision",
            "expired": "Expired",
            "valid": "Valid",
        }[self.state(today)]


class ExternalAuditQuerySet(OrgScopedQuerySet["ExternalAudit"]):
    def upcoming(self) -> ExternalAuditQuerySet:
        return self.filter(status=ExternalAuditStatus.PLANNED)


class ExternalAudit(OrgScopedModel, AuditedModel):
    """An audit by the certification body, with the window the cycle's rules give it."""

    cycle = models.ForeignKey(CertificationCycle, on_delete=models.PROTECT, related_name="audits")
    kind = models.CharField(max_length=16, choices=ExternalAuditKind.choices)
    window_opens = models.DateField(null=True, blank=True)
    window_target = models.DateField(null=True, blank=True)
    window_closes = models.DateField(null=True, blank=True)
    window_rule = models.CharField(max_length=300, blank=True)
    window_edited = models.BooleanField(
        default=False,
        help_text="The window was set by hand (the body's own dates); it is no longer "
        "recomputed from the cycle's rules.",
    )
    starts_on = models.DateField("first day", null=True, blank=True)
    ends_on = models.DateField("last day", null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ExternalAuditStatus.choices, default=ExternalAuditStatus.PLANNED
    )
    auditor_name = models.CharField("the body's lead auditor", max_length=120, blank=True)
    outcome = models.TextField(
        blank=True, help_text="The body's conclusion or recommendation, once held."
    )
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="external_audits"
    )

    objects = OrgScopedManager.from_queryset(ExternalAuditQuerySet)()

    class Meta:
        ordering = ["cycle", "window_closes", "starts_on", "pk"]
        verbose_name = "external audit"
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind"],
                condition=Q(kind__in=[k.value for k in ONCE_PER_CYCLE]),
                name="external_audit_once_per_cycle",
                violation_error_message="The cycle already has this audit.",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="external_audit_ends_after_start",
                violation_error_message="The last day cannot be before the first day.",
            ),
            models.CheckConstraint(
                condition=Q(window_opens__isnull=True)
                | Q(window_closes__isnull=True)
                | Q(window_closes__gte=models.F("window_opens")),
                name="external_audit_window_in_order",
                violation_error_message="The window cannot close before it opens.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} audit"

    def get_absolute_url(self) -> str:
        return _url("audits:external_audit_detail", self)

    @property
    def due_label(self) -> str:
        return self.window_rule

    def days_to_close(self, today: date) -> int | None:
        if self.window_closes is None or self.status != ExternalAuditStatus.PLANNED:
            return None
        return rules.days_left(self.window_closes, today)

    @property
    def audit_day(self) -> date | None:
        """The day that counts for the once-a-year rule: held or planned, else the window end."""
        return self.ends_on or self.starts_on or self.window_closes

    @property
    def has_preparation(self) -> bool:
        from openitsms.audits.choices import PREPARED_KINDS

        return self.kind in PREPARED_KINDS


class ExternalFinding(OrgScopedModel, AuditedModel):
    """A finding of the certification body, with its deadlines for a plan and for closure."""

    external_audit = models.ForeignKey(
        ExternalAudit, on_delete=models.PROTECT, related_name="findings"
    )
    cb_reference = models.CharField(
        "the body's reference", max_length=60, blank=True, help_text="e.g. NC-2 in their report."
    )
    grade = models.CharField(max_length=14, choices=Grade.choices)
    clause = models.ForeignKey(
        "catalogue.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    process = models.ForeignKey(
        "processes.Process", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.TextField(help_text="The finding as the body wrote it.")
    raised_on = models.DateField(help_text="The day the body reported it (usually the last day).")
    plan_due_on = models.DateField("action plan due", null=True, blank=True)
    close_due_on = models.DateField("closure due", null=True, blank=True)
    deadlines_shortened = models.BooleanField(default=False, editable=False)
    plan_submitted_on = models.DateField("plan sent to the body", null=True, blank=True)
    closed_on = models.DateField("closure accepted by the body", null=True, blank=True)
    nonconformity = models.OneToOneField(
        "improvement.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="external_finding",
    )
    improvement = models.ForeignKey(
        "improvement.Improvement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="external_findings",
    )
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="external_findings"
    )
    actions = GenericRelation(
        "improvement.Action", content_type_field="source_type", object_id_field="source_id"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["close_due_on", "pk"]
        verbose_name = "external finding"
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("raised_on")),
                name="external_finding_closed_after_raised",
                violation_error_message="It cannot be closed before it was raised.",
            ),
            models.CheckConstraint(
                condition=Q(plan_submitted_on__isnull=True)
                | Q(plan_submitted_on__gte=models.F("raised_on")),
                name="external_finding_plan_after_raised",
                violation_error_message="The plan cannot be sent before the finding was raised.",
            ),
        ]

    def __str__(self) -> str:
        ref = f" {self.cb_reference}" if self.cb_reference else ""
        return f"{self.get_grade_display()}{ref} ({self.external_audit})"

    def get_absolute_url(self) -> str:
        return _url("audits:external_finding_detail", self)

    @property
    def is_nonconformity(self) -> bool:
        return self.grade in NC_GRADES

    @property
    def status(self) -> ExternalFindingStatus:
        if self.closed_on is not None:
            return ExternalFindingStatus.CLOSED
        if not self.is_nonconformity:
            return ExternalFindingStatus.NOTED
        if self.plan_submitted_on is not None:
            return ExternalFindingStatus.PLAN_SUBMITTED
        return ExternalFindingStatus.AWAITING_PLAN

    def next_deadline(self) -> tuple[str, date] | None:
        """What the body waits for next, and by when (None once closed or not a NC)."""
        if not self.is_nonconformity or self.closed_on is not None:
            return None
        if self.plan_submitted_on is None and self.plan_due_on is not None:
            return ("action plan", self.plan_due_on)
        if self.close_due_on is not None:
            return ("closure", self.close_due_on)
        return None

    def days_left(self, today: date) -> int | None:
        deadline = self.next_deadline()
        return None if deadline is None else rules.days_left(deadline[1], today)


class PreparationItem(OrgScopedModel, AuditedModel):
    """One topic to have ready before a surveillance or recertification audit."""

    external_audit = models.ForeignKey(
        ExternalAudit, on_delete=models.CASCADE, related_name="preparation"
    )
    topic = models.CharField(max_length=20, choices=PrepTopic.choices)
    status = models.CharField(max_length=12, choices=PrepStatus.choices, default=PrepStatus.TODO)
    owner = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True, help_text="What is ready, where, and what is missing.")
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="preparation_items"
    )

    class Meta:
        ordering = ["external_audit", "pk"]
        verbose_name = "preparation item"
        constraints = [
            models.UniqueConstraint(
                fields=["external_audit", "topic"],
                name="preparation_item_one_per_topic",
                violation_error_message="This topic is already on the checklist.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse(
            "audits:preparation",
            kwargs={"org_slug": self.organisation.slug, "pk": self.external_audit_id},
        )

    @property
    def guidance(self) -> str:
        from openitsms.audits.choices import PREP_GUIDANCE

        return PREP_GUIDANCE.get(PrepTopic(self.topic), "")


# --------------------------------------------------------------------- internal audit (9.2)


class AuditProgramme(OrgScopedModel, AuditedModel):
    """The internal audit programme of one certification cycle: which clauses and processes
    are audited when, weighted by importance and previous results."""

    title = models.CharField(max_length=200)
    cycle = models.ForeignKey(
        CertificationCycle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programmes",
        help_text="The certification cycle the programme covers, once there is one.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Usually three years after the start: one cycle.")
    objectives = models.TextField(blank=True, help_text="What the programme is to achieve.")
    approach = models.TextField(
        "frequency, methods and reporting",
        blank=True,
        help_text="How often, how (interviews, sampling, remote), who is responsible and how "
        "results reach management.",
    )
    owner = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who manages the programme.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = "audit programme"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")),
                name="audit_programme_ends_after_start",
                violation_error_message="The programme must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return _url("audits:programme_detail", self)

    def elapsed_share(self, today: date) -> int:
        """How far through its period the programme is, in percent (0–100)."""
        total = (self.ends_on - self.starts_on).days
        done = (today - self.starts_on).days
        if total <= 0:
            return 100
        return max(0, min(100, round(done * 100 / total)))


class ProgrammeFocus(OrgScopedModel, AuditedModel):
    """How important a process is to the programme (default: normal)."""

    programme = models.ForeignKey(AuditProgramme, on_delete=models.CASCADE, related_name="focus")
    process = models.ForeignKey("processes.Process", on_delete=models.CASCADE, related_name="+")
    importance = models.PositiveSmallIntegerField(
        choices=Importance.choices, default=Importance.NORMAL
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["programme", "process__position", "process__name"]
        verbose_name = "programme focus"
        verbose_name_plural = "programme focus"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "process"],
                name="programme_focus_one_per_process",
                violation_error_message="This process already has an importance in the programme.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.process}: {self.get_importance_display()}"

    def get_absolute_url(self) -> str:
        return self.programme.get_absolute_url()


class AuditQuerySet(OrgScopedQuerySet["Audit"]):
    def for_list(self) -> AuditQuerySet:
        return (
            self.select_related("programme", "lead_auditor")
            .prefetch_related("team", "processes", "clauses")
            .annotate(finding_count=models.Count("findings", distinct=True))
            .order_by("starts_on", "number")
        )

    def involving(self, user: Any) -> AuditQuerySet:
        return self.filter(Q(lead_auditor=user) | Q(team=user)).distinct()


class Audit(OrgScopedModel, AuditedModel):
    """One internal audit: scope, criteria, auditors, dates, checklist, findings, report."""

    programme = models.ForeignKey(AuditProgramme, on_delete=models.PROTECT, related_name="audits")
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    scope = models.TextField(
        blank=True, help_text="What is audited, where, and which period of records."
    )
    criteria = models.TextField(
        default="ISO/IEC 20000-1:2018 and the organisation's own SMS documentation.",
        help_text="What the evidence is compared with.",
    )
    clauses = models.ManyToManyField(
        "catalogue.Requirement",
        blank=True,
        related_name="+",
        help_text="A clause brings its sub-clauses with it.",
    )
    processes = models.ManyToManyField(
        "processes.Process", blank=True, related_name="internal_audits"
    )
    lead_auditor = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, related_name="led_audits"
    )
    team: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="+", verbose_name="audit team"
    )
    starts_on = models.DateField("first day")
    ends_on = models.DateField("last day")
    status = models.CharField(
        max_length=12, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )
    conclusion = models.TextField(
        blank=True,
        help_text="The auditors' conclusion on conformity and effectiveness, for the report.",
    )
    completed_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(AuditQuerySet)()

    class Meta:
        ordering = ["starts_on", "number"]
        verbose_name = "internal audit"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                name="audit_number_unique_per_org",
                violation_error_message="Another audit already has this number.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="audit_ends_after_start",
                violation_error_message="The last day cannot be before the first day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return _url("audits:audit_detail", self)

    @property
    def reference(self) -> str:
        return f"IA-{self.number:03d}" if self.number else "IA-new"

    def auditor_ids(self) -> set[int]:
        ids = {u.pk for u in self.team.all()}
        if self.lead_auditor_id:
            ids.add(self.lead_auditor_id)
        return ids

    def runnable_by(self, membership: Membership) -> bool:
        """Owners and managers; auditors who lead the audit or are on its team."""
        if membership.can_edit:
            return True
        return membership.can_record_findings and membership.user_id in self.auditor_ids()

    @property
    def is_open(self) -> bool:
        return self.status in (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS)


class ChecklistItem(OrgScopedModel, AuditedModel):
    """One question of an audit's checklist, generated from the catalogue for its scope."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="items")
    requirement = models.ForeignKey(
        "catalogue.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    process = models.ForeignKey(
        "processes.Process", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    prompt = models.TextField()
    result = models.CharField(
        max_length=12, choices=ItemResult.choices, default=ItemResult.NOT_CHECKED
    )
    notes = models.TextField(blank=True, help_text="What was seen: records, interviews, samples.")
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="checklist_items"
    )
    checked_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    checked_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["audit", "position", "pk"]
        verbose_name = "checklist item"

    def __str__(self) -> str:
        label = self.requirement.number if self.requirement_id else "General"  # type: ignore[union-attr]
        return f"{label}: {self.get_result_display()}"

    def get_absolute_url(self) -> str:
        return (
            reverse(
                "audits:audit_checklist",
                kwargs={"org_slug": self.organisation.slug, "pk": self.audit_id},
            )
            + f"#item-{self.pk}"
        )

    @property
    def is_checked(self) -> bool:
        return self.result != ItemResult.NOT_CHECKED


class FindingQuerySet(OrgScopedQuerySet["Finding"]):
    def for_list(self) -> FindingQuerySet:
        return self.select_related(
            "audit", "clause", "process", "nonconformity", "improvement", "recorded_by"
        )

    def nonconformities(self) -> FindingQuerySet:
        return self.filter(grade__in=NC_GRADES)


class Finding(OrgScopedModel, AuditedModel):
    """What an internal audit found, graded, with the clause, process and evidence."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    number = models.PositiveIntegerField(editable=False)
    grade = models.CharField(max_length=14, choices=Grade.choices)
    title = models.CharField(max_length=200)
    clause = models.ForeignKey(
        "catalogue.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    process = models.ForeignKey(
        "processes.Process", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.TextField(help_text="The finding: what was expected and what was seen.")
    objective_evidence = models.TextField(
        blank=True, help_text="The records, samples and interviews that support it."
    )
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="audit_findings"
    )
    checklist_item = models.OneToOneField(
        ChecklistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="finding"
    )
    nonconformity = models.OneToOneField(
        "improvement.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_finding",
    )
    improvement = models.ForeignKey(
        "improvement.Improvement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_findings",
    )
    actions = GenericRelation(
        "improvement.Action", content_type_field="source_type", object_id_field="source_id"
    )
    recorded_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    recorded_on = models.DateField(default=timezone.localdate)

    objects = OrgScopedManager.from_queryset(FindingQuerySet)()

    class Meta:
        ordering = ["-number"]
        verbose_name = "audit finding"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                name="finding_number_unique_per_org",
                violation_error_message="Another finding already has this number.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return _url("audits:finding_detail", self)

    @property
    def reference(self) -> str:
        return f"F-{self.number:03d}" if self.number else "F-new"

    @property
    def is_nonconformity(self) -> bool:
        return self.grade in NC_GRADES

    @property
    def is_ofi(self) -> bool:
        return self.grade == Grade.OFI
