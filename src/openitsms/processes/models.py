"""The SMS process register: owners, purpose, interfaces, KPIs and RACI."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.processes.choices import KpiDirection, ProcessKind, Raci
from openitsms.tenancy.choices import Role
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership

FLAG_LABELS = {"no_owner": "No owner", "no_kpis": "No KPIs"}


class ProcessQuerySet(OrgScopedQuerySet["Process"]):
    def active(self) -> ProcessQuerySet:
        return self.filter(is_active=True)

    def without_owner(self) -> ProcessQuerySet:
        return self.filter(owner__isnull=True)

    def without_kpis(self) -> ProcessQuerySet:
        return self.filter(kpis__isnull=True)

    def flagged(self) -> ProcessQuerySet:
        """Without an owner or without a KPI."""
        return self.filter(models.Q(owner__isnull=True) | models.Q(kpis__isnull=True)).distinct()


class Process(OrgScopedModel, AuditedModel):
    """One process of the service management system, operated by an owner with a deputy."""

    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=12, choices=ProcessKind.choices)
    clauses = models.ManyToManyField(
        "catalogue.Requirement",
        blank=True,
        related_name="processes",
        help_text="The clauses of the standard this process meets.",
    )
    purpose = models.TextField(blank=True)
    inputs = models.TextField(blank=True, help_text="One per line.")
    outputs = models.TextField(blank=True, help_text="One per line.")
    interfaces = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="interfaced_by",
        help_text="Processes this one exchanges inputs or outputs with.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_processes",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy_processes",
    )
    procedure = models.ForeignKey(
        "evidence.EvidenceItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="procedure_of",
        help_text="The documented procedure.",
    )
    raci_activities = models.JSONField(
        default=list,
        blank=True,
        help_text="The activities of the RACI matrix, in order. An activity may wait for its "
        "parties; once it has any, exactly one of them is accountable.",
    )
    raci_parties = models.JSONField(
        default=list,
        blank=True,
        help_text="The parties (roles or teams) of the RACI matrix, in the order shown.",
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(
        default=12, help_text="How often the process is reviewed, in months."
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    # Scoped to the current organisation like every domain model (see tenancy.scoping).
    objects = OrgScopedManager.from_queryset(ProcessQuerySet)()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "process"
        verbose_name_plural = "processes"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"],
                name="process_slug_unique_per_org",
                violation_error_message="Another process already uses this short name.",
            ),
            models.CheckConstraint(
                condition=~models.Q(owner=models.F("deputy")) | models.Q(owner__isnull=True),
                name="process_deputy_is_not_owner",
                violation_error_message="The deputy must be someone other than the owner.",
            ),
            models.CheckConstraint(
                condition=models.Q(review_interval_months__gte=1),
                name="process_review_interval_positive",
                violation_error_message="Review the process at least once every so many months "
                "(1 or more).",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "processes:process_detail", kwargs={"org_slug": self.organisation.slug, "pk": self.pk}
        )

    def editable_by(self, membership: Membership) -> bool:
        """Owners and managers edit every process; a process owner edits the ones they own."""
        if membership.can_edit:
            return True
        return (
            membership.role == Role.PROCESS_OWNER
            and self.owner_id is not None
            and self.owner_id == membership.user_id
        )

    def flags(self, kpi_count: int | None = None) -> list[str]:
        """What an auditor would pick on first: a process nobody owns, or one not measured."""
        if kpi_count is None:
            kpi_count = getattr(self, "kpi_count", None)
        if kpi_count is None:
            kpi_count = self.kpis.count()
        found = []
        if self.owner_id is None:
            found.append("no_owner")
        if not kpi_count:
            found.append("no_kpis")
        return found

    def review_overdue(self, today: date | None = None) -> bool:
        due = self.review_due_on()
        return due is None or due < (today or timezone.localdate())

    def input_lines(self) -> list[str]:
        return [line.strip() for line in self.inputs.splitlines() if line.strip()]

    def output_lines(self) -> list[str]:
        return [line.strip() for line in self.outputs.splitlines() if line.strip()]

    def review_due_on(self) -> date | None:
        if self.last_reviewed_on is None:
            return None
        month = self.last_reviewed_on.month - 1 + self.review_interval_months
        year = self.last_reviewed_on.year + month // 12
        day = min(self.last_reviewed_on.day, 28)
        return date(year, month % 12 + 1, day)


class ProcessKpi(OrgScopedModel, AuditedModel):
    """A key performance indicator of a process, with its target and how it is measured."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=150)
    target = models.DecimalField(max_digits=12, decimal_places=3)
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. %, hours, count.")
    direction = models.CharField(max_length=20, choices=KpiDirection.choices)
    measurement = models.TextField(blank=True, help_text="How and from what data it is measured.")

    class Meta:
        ordering = ["process", "name"]
        verbose_name = "process KPI"
        verbose_name_plural = "process KPIs"

    def __str__(self) -> str:
        return f"{self.name} ({self.process})"

    @property
    def target_display(self) -> str:
        """The target without trailing zeros: 95.5, 100, 0.25."""
        return f"{self.target.normalize():f}" if self.target is not None else ""

    def get_absolute_url(self) -> str:
        return self.process.get_absolute_url()


class RaciEntry(OrgScopedModel, AuditedModel):
    """Who is responsible, accountable, consulted or informed for one activity of a process."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="raci")
    activity = models.CharField(max_length=200)
    party = models.CharField(max_length=120, help_text="A role or team, e.g. Service desk.")
    code = models.CharField(max_length=1, choices=Raci.choices)

    class Meta:
        ordering = ["process", "activity", "party"]
        verbose_name = "RACI entry"
        verbose_name_plural = "RACI entries"
        constraints = [
            models.UniqueConstraint(
                fields=["process", "activity", "party"],
                name="raci_one_code_per_party_and_activity",
                violation_error_message="This party already has a letter for this activity.",
            ),
            models.UniqueConstraint(
                fields=["process", "activity"],
                condition=models.Q(code="A"),
                name="raci_one_accountable_per_activity",
                violation_error_message="Exactly one party is accountable for an activity.",
            ),
            models.CheckConstraint(
                condition=models.Q(code__in=["R", "A", "C", "I"]),
                name="raci_code_is_r_a_c_or_i",
                violation_error_message="The letter must be R, A, C or I.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.party} = {self.code}"

    def get_absolute_url(self) -> str:
        return self.process.get_absolute_url()
