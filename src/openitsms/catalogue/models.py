"""Standards as data, their requirements and crosswalks; each organisation's conformity.

Standards, requirements and crosswalks are shared reference data, loaded from the versioned
files in ``catalogue/data`` (they belong to no organisation and nobody edits them in the app).
``Conformity`` is per organisation and audited.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse

from openitsms.audit.models import AuditedModel
from openitsms.catalogue.choices import ConformityStatus, CrosswalkRelation, OperatedBy
from openitsms.tenancy.scoping import OrgScopedModel

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership, Organisation


class Standard(models.Model):
    """A published standard and edition, e.g. ISO/IEC 20000-1:2018."""

    key = models.SlugField(max_length=40, unique=True, help_text="Stable id, e.g. iso20000-1-2018.")
    code = models.CharField(max_length=40)
    edition = models.CharField(max_length=10)
    title = models.CharField(max_length=300)
    data_version = models.CharField(max_length=20, blank=True)
    has_requirements = models.BooleanField(
        default=False, help_text="Its clauses are loaded (not only referenced by crosswalks)."
    )

    class Meta:
        ordering = ["code", "edition"]
        verbose_name = "standard"

    def __str__(self) -> str:
        return f"{self.code}:{self.edition}"

    def get_absolute_url(self) -> str:
        return reverse("tenancy:home")


class RequirementQuerySet(models.QuerySet["Requirement"]):
    def of_standard(self, key: str) -> RequirementQuerySet:
        return self.filter(standard__key=key)

    def primary(self) -> RequirementQuerySet:
        return self.of_standard(PRIMARY_STANDARD)

    def in_clause(self, number: str) -> RequirementQuerySet:
        """The clause ``number`` and everything below it (``8.5`` gives 8.5, 8.5.1, 8.5.1.1...)."""
        return self.filter(models.Q(number=number) | models.Q(number__startswith=f"{number}."))

    def with_org_state(self, org: Organisation) -> RequirementQuerySet:
        """Annotate one organisation's view of each requirement, in the same single query.

        ``conformity_status`` (``not_assessed`` when never assessed), ``evidence_count`` (live
        evidence items) and ``evidence_earliest`` (the soonest expiry among them, so the worst
        freshness). Subqueries rather than joins, so that rows are never multiplied.
        """
        from openitsms.evidence.models import EvidenceItem

        status = Conformity.objects.filter(organisation=org).filter(
            requirement=models.OuterRef("pk")
        )
        # Typed loosely: the type checker cannot see the aggregates annotated below.
        links: Any = (
            EvidenceItem.requirements.through.objects.filter(
                requirement=models.OuterRef("pk"),
                evidenceitem__organisation=org,
                evidenceitem__deleted_at__isnull=True,
            )
            .order_by()
            .values("requirement")
        )
        return self.annotate(
            conformity_status=Coalesce(
                models.Subquery(status.values("status")[:1]),
                models.Value(ConformityStatus.NOT_ASSESSED),
                output_field=models.CharField(),
            ),
            evidence_count=Coalesce(
                models.Subquery(links.annotate(n=models.Count("pk")).values("n")[:1]),
                models.Value(0),
                output_field=models.IntegerField(),
            ),
            evidence_earliest=models.Subquery(
                links.annotate(m=models.Min("evidenceitem__expires_on")).values("m")[:1],
                output_field=models.DateField(),
            ),
        )

    # The three filters below need ``with_org_state`` first.
    def with_status(self, status: str) -> RequirementQuerySet:
        return self.filter(models.Q(conformity_status=status))

    def evidence_missing(self) -> RequirementQuerySet:
        return self.filter(models.Q(evidence_count=0))

    def evidence_stale(self, today: date) -> RequirementQuerySet:
        return self.filter(models.Q(evidence_earliest__lt=today))

    def met_by_process(self, org: Organisation, slug: str) -> RequirementQuerySet:
        from openitsms.processes.models import Process

        processes = Process.objects.filter(organisation=org).filter(slug=slug)
        return self.filter(pk__in=processes.values("clauses"))

    def of_process_owner(self, org: Organisation, user_id: int) -> RequirementQuerySet:
        """Met by a process this person owns."""
        from openitsms.processes.models import Process

        processes = Process.objects.filter(organisation=org).filter(owner_id=user_id)
        return self.filter(pk__in=processes.values("clauses"))

    def assessable_by(self, membership: Membership) -> RequirementQuerySet:
        """What this member may assess: everything for owners and managers; for a process
        owner, the requirements met by the processes they own or deputise for."""
        from openitsms.processes.models import Process
        from openitsms.tenancy.choices import Role

        if membership.can_edit:
            return self
        if membership.role != Role.PROCESS_OWNER:
            return self.none()
        processes = Process.objects.filter(
            models.Q(owner_id=membership.user_id) | models.Q(deputy_id=membership.user_id),
            organisation=membership.organisation,
            is_active=True,
        )
        return self.filter(pk__in=processes.values("clauses"))


PRIMARY_STANDARD = "iso20000-1-2018"


class Requirement(models.Model):
    """One clause or sub-clause of a standard, with guidance written in our own words."""

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="requirements")
    key = models.CharField(max_length=60, unique=True, help_text="Stable id: standard key:number.")
    number = models.CharField(max_length=20)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(help_text="Order in the standard's clause tree.")
    depth = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    guidance = models.TextField()
    typical_evidence = models.JSONField(default=list, blank=True)
    documented_information = models.JSONField(default=list, blank=True)
    records = models.JSONField(default=list, blank=True)
    process_slug = models.SlugField(max_length=60, blank=True)
    topics = models.JSONField(default=list, blank=True)
    common_findings = models.JSONField(default=list, blank=True)
    supersedes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="superseded_by",
        help_text="The requirements of an earlier edition this one replaces.",
    )

    objects = RequirementQuerySet.as_manager()

    class Meta:
        ordering = ["standard", "position"]
        verbose_name = "requirement"
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "number"],
                name="requirement_number_unique_per_standard",
                violation_error_message="A clause number appears once per standard.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tenancy:home")

    @property
    def is_heading(self) -> bool:
        return self.parent_id is None

    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.number.split("."))


class Crosswalk(models.Model):
    """A clause of our standard mapped to clauses of another standard."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="crosswalks"
    )
    to_standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    to_clause = models.CharField(max_length=20)
    relation = models.CharField(max_length=12, choices=CrosswalkRelation.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["requirement", "to_standard", "to_clause"]
        verbose_name = "crosswalk"
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "to_standard", "to_clause"],
                name="crosswalk_unique_target",
                violation_error_message="This clause is already mapped.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement.number} → {self.to_standard} {self.to_clause}"

    def get_absolute_url(self) -> str:
        return self.requirement.get_absolute_url()


class Conformity(OrgScopedModel, AuditedModel):
    """How far one organisation meets one requirement, who operates it, and who said so."""

    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=ConformityStatus.choices, default=ConformityStatus.NOT_ASSESSED
    )
    operated_by = models.CharField(
        max_length=24, choices=OperatedBy.choices, default=OperatedBy.ORGANISATION
    )
    operator_name = models.CharField(
        max_length=200, blank=True, help_text="The other party, when one operates this."
    )
    notes = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assessed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["requirement__position"]
        verbose_name = "conformity assessment"
        verbose_name_plural = "conformity assessments"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "requirement"],
                name="conformity_one_per_requirement",
                violation_error_message="This requirement already has an assessment.",
            ),
            models.CheckConstraint(
                condition=models.Q(operated_by="organisation") | ~models.Q(operator_name=""),
                name="conformity_other_party_named",
                violation_error_message="Name the party that operates this requirement.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement.number}: {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse(
            "catalogue:requirement_detail",
            kwargs={"org_slug": self.organisation.slug, "pk": self.requirement_id},
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.operated_by != OperatedBy.ORGANISATION and not self.operator_name.strip():
            raise ValidationError(
                {"operator_name": "Name the party that operates this requirement."}
            )

    @property
    def audit_organisation_id(self) -> Any:
        return self.organisation_id
