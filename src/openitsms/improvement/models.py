"""The one action tracker, nonconformities and corrective action (10.1), continual improvement
(10.2).

Other areas reuse :class:`Action` rather than growing their own: an action points at whatever
raised it, either through a foreign key (a nonconformity or an improvement, whose closure rules
read their actions) or through the generic ``source`` link (an audit finding, and later a risk,
a management review, an objective, a continuity test). The generic link is restricted to
records of the same organisation by :func:`openitsms.improvement.actions.create_action`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.improvement.choices import (
    ACTIVE_ACTION_STATUSES,
    ActionKind,
    ActionStatus,
    CauseCategory,
    CheckResult,
    Direction,
    ImprovementSource,
    ImprovementStatus,
    NonconformitySource,
    NonconformityStatus,
    NoteKind,
    Priority,
    Severity,
    Stage,
    TargetArea,
)
from openitsms.tenancy.choices import Role
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership

USER = settings.AUTH_USER_MODEL


def _url(name: str, obj: Any) -> str:
    return reverse(name, kwargs={"org_slug": obj.organisation.slug, "pk": obj.pk})


# --------------------------------------------------------------------------- the action tracker


class ActionQuerySet(OrgScopedQuerySet["Action"]):
    def active(self) -> ActionQuerySet:
        """Still to be done: open or in progress."""
        return self.filter(status__in=ACTIVE_ACTION_STATUSES)

    def overdue(self, today: date) -> ActionQuerySet:
        return self.active().filter(due_on__lt=today)

    def owned_by(self, user: Any) -> ActionQuerySet:
        return self.filter(owner=user)

    def for_list(self) -> ActionQuerySet:
        """What a list of actions shows, in a fixed number of queries whatever the rows."""
        return self.select_related(
            "owner", "nonconformity", "improvement", "source_type"
        ).prefetch_related("source")


class Action(OrgScopedModel, AuditedModel):
    """Something a person must do by a date, and the record that it was done.

    Corrective actions of nonconformities, plans of improvements, follow-ups of audit findings
    and (later) risk treatments, review outputs and objective plans are all actions here.
    """

    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=ActionKind.choices, default=ActionKind.FOLLOW_UP)
    owner = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        related_name="owned_actions",
        help_text="The member who sees it through.",
    )
    due_on = models.DateField("due date")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    completed_on = models.DateField(null=True, blank=True)
    completion_notes = models.TextField(
        blank=True, help_text="What was done, or why the action was cancelled."
    )
    evidence = models.ManyToManyField("evidence.EvidenceItem", blank=True, related_name="actions")
    nonconformity = models.ForeignKey(
        "improvement.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    improvement = models.ForeignKey(
        "improvement.Improvement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    # Any other record that raised the action (an audit finding, a risk, a review...).
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(ActionQuerySet)()

    class Meta:
        ordering = ["due_on", "number"]
        verbose_name = "action"
        indexes = [
            models.Index(fields=["organisation", "status", "due_on"], name="action_status_due_idx"),
            models.Index(fields=["source_type", "source_id"], name="action_source_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                name="action_number_unique_per_org",
                violation_error_message="Another action already has this number.",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_on__isnull=False),
                name="action_done_has_completion_date",
                violation_error_message="A done action needs the date it was completed.",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(completion_notes=""),
                name="action_cancelled_has_reason",
                violation_error_message="Say why the action was cancelled.",
            ),
            models.CheckConstraint(
                condition=Q(source_type__isnull=True, source_id__isnull=True)
                | Q(source_type__isnull=False, source_id__isnull=False),
                name="action_source_complete",
                violation_error_message="A linked record needs both its type and its id.",
            ),
            models.CheckConstraint(
                condition=~Q(nonconformity__isnull=False, improvement__isnull=False)
                & ~Q(nonconformity__isnull=False, source_type__isnull=False)
                & ~Q(improvement__isnull=False, source_type__isnull=False),
                name="action_one_source",
                violation_error_message="An action is raised by one record at most.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return _url("improvement:action_detail", self)

    @property
    def reference(self) -> str:
        return f"A-{self.number:04d}" if self.number else "A-new"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ACTION_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_active and self.due_on < (today or timezone.localdate())

    @property
    def raised_by(self) -> Any:
        """The record that raised this action, whichever kind it is (or None)."""
        return self.nonconformity or self.improvement or self.source

    def editable_by(self, membership: Membership) -> bool:
        """Owners and managers change every action; its owner updates progress on it."""
        return membership.can_edit or self.updatable_by(membership)

    def updatable_by(self, membership: Membership) -> bool:
        """May record progress (status, completion notes, evidence): editors and the owner."""
        if membership.can_edit:
            return True
        return (
            membership.role != Role.VIEWER
            and self.owner_id is not None
            and self.owner_id == membership.user_id
        )


class ActionComment(OrgScopedModel, AuditedModel):
    """A note on an action: progress, a question, a decision."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "action comment"

    def __str__(self) -> str:
        return f"Comment on {self.action.reference}"

    def get_absolute_url(self) -> str:
        return self.action.get_absolute_url()


# ------------------------------------------------------------------ nonconformities (10.1)


class NonconformityQuerySet(OrgScopedQuerySet["Nonconformity"]):
    def open(self) -> NonconformityQuerySet:
        return self.filter(status=NonconformityStatus.OPEN)

    def closed(self) -> NonconformityQuerySet:
        return self.filter(status=NonconformityStatus.CLOSED)

    def overdue(self, today: date) -> NonconformityQuerySet:
        return self.open().filter(due_on__lt=today)

    def for_list(self) -> NonconformityQuerySet:
        # An aggregate drops Meta.ordering (GROUP BY), so the order is given again.
        return (
            self.select_related("clause", "process", "owner")
            .order_by("-number")
            .annotate(
                action_count=models.Count("actions", distinct=True),
                active_action_count=models.Count(
                    "actions", filter=Q(actions__status__in=ACTIVE_ACTION_STATUSES), distinct=True
                ),
            )
        )


class Nonconformity(OrgScopedModel, AuditedModel):
    """A failure to meet a requirement, and the record of how it was contained, analysed,
    corrected and verified (ISO/IEC 20000-1 10.1)."""

    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(
        help_text="What was found, where, and against which requirement."
    )
    source = models.CharField(max_length=20, choices=NonconformitySource.choices)
    source_reference = models.CharField(
        max_length=120, blank=True, help_text="e.g. the incident, complaint or review it came from."
    )
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MINOR)
    clause = models.ForeignKey(
        "catalogue.Requirement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The clause of ISO/IEC 20000-1 that is not met.",
    )
    process = models.ForeignKey(
        "processes.Process",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nonconformities",
    )
    raised_on = models.DateField(default=timezone.localdate)
    raised_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_nonconformities",
        help_text="Who leads the analysis and the corrective action.",
    )
    due_on = models.DateField(
        "target closure date", null=True, blank=True, help_text="When it should be closed by."
    )
    containment = models.TextField(
        blank=True, help_text="What was done at once to control it and limit the consequences."
    )
    correction = models.TextField(blank=True, help_text="How this occurrence was put right.")
    whys = models.JSONField(
        "five whys",
        default=list,
        blank=True,
        help_text="Each answer to “why?”, in order, down to the root cause.",
    )
    root_cause = models.TextField(blank=True)
    cause_category = models.CharField(max_length=12, choices=CauseCategory.choices, blank=True)
    similar_review = models.TextField(
        "similar nonconformities",
        blank=True,
        help_text="Whether similar nonconformities exist or could occur elsewhere, and what was "
        "done about them.",
    )
    sms_changes = models.TextField(
        "changes to the SMS", blank=True, help_text="Changes made to the SMS because of it, if any."
    )
    related = models.ManyToManyField("self", blank=True)
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="nonconformities"
    )
    status = models.CharField(
        max_length=8, choices=NonconformityStatus.choices, default=NonconformityStatus.OPEN
    )
    closed_on = models.DateField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    reopened_count = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(NonconformityQuerySet)()

    class Meta:
        ordering = ["-number"]
        verbose_name = "nonconformity"
        verbose_name_plural = "nonconformities"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                name="nonconformity_number_unique_per_org",
                violation_error_message="Another nonconformity already has this number.",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False),
                name="nonconformity_closed_has_date",
                violation_error_message="A closed nonconformity needs its closing date.",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=models.F("raised_on")),
                name="nonconformity_due_after_raised",
                violation_error_message="The target closure date cannot be before the date it "
                "was raised.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return _url("improvement:nonconformity_detail", self)

    @property
    def reference(self) -> str:
        return f"NC-{self.number:03d}" if self.number else "NC-new"

    @property
    def is_open(self) -> bool:
        return self.status == NonconformityStatus.OPEN

    def is_overdue(self, today: date | None = None) -> bool:
        return (
            self.is_open
            and self.due_on is not None
            and self.due_on < (today or timezone.localdate())
        )

    @property
    def why_list(self) -> list[str]:
        return [str(w) for w in (self.whys or []) if str(w).strip()]

    def stage(self) -> Stage:
        """Where it stands, read from its own record and its actions and checks."""
        from openitsms.improvement.actions import closure_problems

        if not self.is_open:
            return Stage.CLOSED
        if not self.root_cause.strip() or not self.cause_category:
            return Stage.ANALYSIS
        problems = closure_problems(self)
        if any(p.key == "actions" for p in problems):
            return Stage.ACTION
        if problems:
            return Stage.VERIFICATION
        return Stage.READY

    def analysable_by(self, membership: Membership) -> bool:
        """Owners and managers; the process owner it is assigned to analyses and updates it."""
        if membership.can_edit:
            return True
        return (
            membership.role == Role.PROCESS_OWNER
            and self.owner_id is not None
            and self.owner_id == membership.user_id
        )


class EffectivenessCheck(OrgScopedModel, AuditedModel):
    """A planned and then performed check that the corrective actions removed the cause."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.CASCADE, related_name="checks"
    )
    planned_on = models.DateField("planned date")
    checker = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text="Who checks; ideally not the person who did the actions.",
    )
    method = models.TextField(
        help_text="How effectiveness is judged, e.g. “no repeat in 3 months of change records”."
    )
    result = models.CharField(
        max_length=8, choices=CheckResult.choices, default=CheckResult.PENDING
    )
    performed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="What the check found.")

    class Meta:
        ordering = ["planned_on", "pk"]
        verbose_name = "effectiveness check"
        constraints = [
            models.CheckConstraint(
                condition=Q(result="pending") | Q(performed_on__isnull=False),
                name="effectiveness_check_result_has_date",
                violation_error_message="A check with a result needs the date it was performed.",
            ),
        ]

    def __str__(self) -> str:
        return f"Effectiveness check of {self.nonconformity.reference}: {self.get_result_display()}"

    def get_absolute_url(self) -> str:
        return self.nonconformity.get_absolute_url()

    def recordable_by(self, membership: Membership) -> bool:
        """Owners and managers, and the member named to perform the check."""
        if membership.can_edit:
            return True
        return (
            membership.role != Role.VIEWER
            and self.checker_id is not None
            and self.checker_id == membership.user_id
        )


class NonconformityNote(OrgScopedModel, AuditedModel):
    """One entry of a nonconformity's timeline: a comment, or a step of its workflow —
    including refused closure attempts, which are kept on record as they happened."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=NoteKind.choices, default=NoteKind.COMMENT)
    body = models.TextField()
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "nonconformity note"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.nonconformity.reference}"

    def get_absolute_url(self) -> str:
        return self.nonconformity.get_absolute_url()


# ------------------------------------------------------------- continual improvement (10.2)


def improvement_score(benefit: int | None, cost: int | None, risk: int | None) -> int | None:
    """0–100 from three ratings of 1–5: benefit counts double; low cost and low risk raise it.

    score = (2 × (benefit − 1) + (5 − cost) + (5 − risk)) / 16 × 100, rounded.
    """
    if benefit is None or cost is None or risk is None:
        return None
    raw = 2 * (benefit - 1) + (5 - cost) + (5 - risk)
    return round(raw * 100 / 16)


class ImprovementQuerySet(OrgScopedQuerySet["Improvement"]):
    def live(self) -> ImprovementQuerySet:
        """Not rejected and not completed."""
        return self.exclude(status__in=[ImprovementStatus.REJECTED, ImprovementStatus.COMPLETED])

    def for_list(self) -> ImprovementQuerySet:
        return (
            self.select_related("owner", "process")
            .order_by("-number")
            .annotate(
                target_count=models.Count("targets", distinct=True),
                action_count=models.Count("actions", distinct=True),
            )
        )


class Improvement(OrgScopedModel, AuditedModel):
    """An opportunity for improvement in the register (ISO/IEC 20000-1 10.2): evaluated,
    decided, planned through actions and measured against its targets."""

    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField("opportunity", help_text="What could be better, and why.")
    source = models.CharField(max_length=20, choices=ImprovementSource.choices)
    source_reference = models.CharField(max_length=120, blank=True)
    process = models.ForeignKey(
        "processes.Process",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="improvements",
    )
    clause = models.ForeignKey(
        "catalogue.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_improvements",
    )
    raised_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    raised_on = models.DateField(default=timezone.localdate)
    benefit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 (very low) to 5 (very high)."
    )
    cost = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 (very low) to 5 (very high)."
    )
    risk = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Risk of doing it: 1 (very low) to 5 (very high)."
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=12, choices=ImprovementStatus.choices, default=ImprovementStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    decided_on = models.DateField(null=True, blank=True, editable=False)
    decision_notes = models.TextField(blank=True)
    due_on = models.DateField("target date", null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True, editable=False)
    result_summary = models.TextField(
        "result", blank=True, help_text="What the improvement achieved, in a sentence or two."
    )
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="improvements"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(ImprovementQuerySet)()

    class Meta:
        ordering = ["-number"]
        verbose_name = "improvement"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                name="improvement_number_unique_per_org",
                violation_error_message="Another improvement already has this number.",
            ),
            models.CheckConstraint(
                condition=(Q(benefit__isnull=True) | Q(benefit__gte=1, benefit__lte=5))
                & (Q(cost__isnull=True) | Q(cost__gte=1, cost__lte=5))
                & (Q(risk__isnull=True) | Q(risk__gte=1, risk__lte=5)),
                name="improvement_ratings_1_to_5",
                violation_error_message="Rate benefit, cost and risk from 1 to 5.",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=models.F("raised_on")),
                name="improvement_due_after_raised",
                violation_error_message="The target date cannot be before the date it was raised.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.score = improvement_score(self.benefit, self.cost, self.risk)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "score" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "score"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return _url("improvement:improvement_detail", self)

    @property
    def reference(self) -> str:
        return f"IMP-{self.number:03d}" if self.number else "IMP-new"

    @property
    def is_evaluated(self) -> bool:
        return self.score is not None

    def editable_by(self, membership: Membership) -> bool:
        return membership.can_edit

    def measurable_by(self, membership: Membership) -> bool:
        """Owners, managers and the improvement's owner record measured results."""
        if membership.can_edit:
            return True
        return (
            membership.role != Role.VIEWER
            and self.owner_id is not None
            and self.owner_id == membership.user_id
        )


class ImprovementTarget(OrgScopedModel, AuditedModel):
    """What an improvement should achieve, measurably, and what it did achieve."""

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="targets")
    area = models.CharField(max_length=16, choices=TargetArea.choices)
    description = models.CharField(
        max_length=200, help_text="The measure, e.g. “changes that fail after release”."
    )
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. %, hours, count, €.")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    baseline = models.DecimalField(
        max_digits=14, decimal_places=3, null=True, blank=True, help_text="Where it stands now."
    )
    target = models.DecimalField(max_digits=14, decimal_places=3)
    measured = models.DecimalField(
        "measured result", max_digits=14, decimal_places=3, null=True, blank=True
    )
    measured_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["improvement", "pk"]
        verbose_name = "improvement target"
        constraints = [
            models.CheckConstraint(
                condition=Q(measured__isnull=True) | Q(measured_on__isnull=False),
                name="improvement_target_measured_has_date",
                violation_error_message="Give the date the result was measured.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.description}"

    def get_absolute_url(self) -> str:
        return self.improvement.get_absolute_url()

    @property
    def achieved(self) -> bool | None:
        """Whether the measured result meets the target; None until measured."""
        if self.measured is None:
            return None
        measured, target = Decimal(self.measured), Decimal(self.target)
        if self.direction == Direction.HIGHER:
            return measured >= target
        return measured <= target
