"""Outages of services: the raw data of availability management (ISO/IEC 20000-1 8.7.1)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from openitsms.audit.models import AuditedModel
from openitsms.services.choices import OutageKind
from openitsms.services.models.catalogue import Service, org_slug
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership


class OutageQuerySet(OrgScopedQuerySet["Outage"]):
    def overlapping(self, start: datetime, end: datetime) -> OutageQuerySet:
        """Outages with some time in ``[start, end)``; an open outage lasts until now."""
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start), starts_at__lt=end)

    def open(self) -> OutageQuerySet:
        return self.filter(ends_at__isnull=True)

    def unplanned(self) -> OutageQuerySet:
        return self.filter(kind=OutageKind.UNPLANNED)


class Outage(OrgScopedModel, AuditedModel):
    """A time a service was down or degraded. Unplanned outages count against availability;
    planned ones (maintenance) do not, and cancel the unplanned downtime they overlap."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="outages")
    kind = models.CharField(max_length=12, choices=OutageKind.choices)
    title = models.CharField(max_length=200, help_text="What happened, in a few words.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty while the outage is still going on."
    )
    cause = models.TextField(blank=True)
    incident_ref = models.CharField(
        "incident", max_length=60, blank=True, help_text="The incident's number, e.g. INC0012345."
    )
    change_ref = models.CharField(
        "change", max_length=60, blank=True, help_text="The change's number, e.g. CHG0004567."
    )
    notes = models.TextField(blank=True)

    objects = OrgScopedManager.from_queryset(OutageQuerySet)()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "outage"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=F("starts_at")),
                name="outage_ends_after_start",
                violation_error_message="An outage cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OutageKind.values),
                name="outage_kind_valid",
                violation_error_message="Choose unplanned, planned or degradation.",
            ),
        ]
        indexes = [models.Index(fields=["service", "starts_at"], name="outage_service_start_idx")]

    def __str__(self) -> str:
        return f"{self.service}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("services:outage_detail", kwargs={"org_slug": org_slug(self), "pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.ends_at is None

    @property
    def lasted_s(self) -> int | None:
        """Elapsed (24×7) seconds of an ended outage; ``None`` while it is open."""
        return None if self.ends_at is None else self.duration_s(self.ends_at)

    def duration_s(self, now: datetime) -> int:
        """Elapsed (24×7) seconds, up to ``now`` while it is open."""
        end = self.ends_at or now
        return max(0, int((end - self.starts_at).total_seconds()))

    def editable_by(self, membership: Membership) -> bool:
        """Whoever may edit the service may record its outages."""
        return self.service.editable_by(membership)
