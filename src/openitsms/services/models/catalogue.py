"""The service catalogue (ISO/IEC 20000-1 8.2.4) and the parties services are delivered with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.services.choices import Criticality, Lifecycle, PartyKind
from openitsms.tenancy.choices import Role
from openitsms.tenancy.scoping import (
    OrgScopedManager,
    OrgScopedModel,
    OrgScopedQuerySet,
    current_org,
)

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership


class Party(OrgScopedModel, AuditedModel):
    """Someone services are delivered to or with: a customer, an internal team or an external
    supplier. Agreements are made with parties; services name their customers and suppliers."""

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=PartyKind.choices)
    contact = models.CharField(
        max_length=200, blank=True, help_text="Who to talk to, e.g. a name and email address."
    )
    notes = models.TextField(blank=True)

    objects = OrgScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = "party"
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="party_unique_name_per_org",
                violation_error_message="Another party already has this name.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PartyKind.values),
                name="party_kind_valid",
                violation_error_message="Choose customer, internal team or external supplier.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("services:party_list", kwargs={"org_slug": org_slug(self)})


class ServiceQuerySet(OrgScopedQuerySet["Service"]):
    def live(self) -> ServiceQuerySet:
        return self.filter(lifecycle=Lifecycle.LIVE)

    def for_list(self) -> ServiceQuerySet:
        """Everything the catalogue page shows, in a fixed number of queries."""
        return self.select_related("owner").prefetch_related("customers", "agreements")


class Service(OrgScopedModel, AuditedModel):
    """A service in the catalogue: what it is, who owns it and uses it, what it depends on."""

    name = models.CharField(max_length=150)
    description = models.TextField(
        blank=True, help_text="What the service delivers, in the customers' words."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_services",
        help_text="The member accountable for the service.",
    )
    customers = models.ManyToManyField(
        Party,
        blank=True,
        related_name="services_used",
        help_text="Customers and internal teams who use it.",
    )
    lifecycle = models.CharField(
        max_length=10, choices=Lifecycle.choices, default=Lifecycle.PIPELINE
    )
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependants",
        help_text="Other services this one needs to work.",
    )
    suppliers = models.ManyToManyField(
        Party,
        blank=True,
        related_name="services_supplied",
        help_text="External suppliers and internal teams it depends on.",
    )
    configuration_items = models.TextField(
        blank=True, help_text="The configuration items that make it up, one name per line."
    )
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem",
        blank=True,
        related_name="services",
        help_text="Service descriptions, designs, reviews and other evidence about it.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(ServiceQuerySet)()

    class Meta:
        ordering = ["name"]
        verbose_name = "service"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="service_unique_name_per_org",
                violation_error_message="Another service already has this name.",
            ),
            models.CheckConstraint(
                condition=Q(lifecycle__in=Lifecycle.values),
                name="service_lifecycle_valid",
                violation_error_message="Choose pipeline, live or retired.",
            ),
            models.CheckConstraint(
                condition=Q(criticality__in=Criticality.values),
                name="service_criticality_valid",
                violation_error_message="Choose low, medium, high or critical.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "services:service_detail", kwargs={"org_slug": org_slug(self), "pk": self.pk}
        )

    @property
    def ci_names(self) -> list[str]:
        """The configuration items, one per non-empty line."""
        return [line.strip() for line in self.configuration_items.splitlines() if line.strip()]

    def editable_by(self, membership: Membership) -> bool:
        """Owners and managers edit every service; a process owner edits the services they own."""
        if membership.can_edit:
            return True
        return (
            membership.role == Role.PROCESS_OWNER
            and self.owner_id is not None
            and self.owner_id == membership.user_id
        )

    def dependency_closure(self) -> set[int]:
        """Ids of every service this one depends on, directly or through others."""
        edges: dict[int, list[int]] = {}
        through = Service.depends_on.through.objects.filter(
            from_service__organisation_id=self.organisation_id
        ).values_list("from_service_id", "to_service_id")
        for source, target in through:
            edges.setdefault(source, []).append(target)
        seen: set[int] = set()
        stack = list(edges.get(self.pk, []))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(edges.get(current, []))
        return seen


def org_slug(record: OrgScopedModel) -> str:
    """The slug of a record's organisation for its URL, without a query inside a request
    (the bound organisation is the record's own there)."""
    bound = current_org()
    if bound is not None and bound.pk == record.organisation_id:  # type: ignore[attr-defined]
        return bound.slug
    return record.organisation.slug
