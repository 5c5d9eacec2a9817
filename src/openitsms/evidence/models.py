"""Evidence items and their files, kept by version with a SHA-256 of every upload."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.evidence.choices import EvidenceKind, Freshness
from openitsms.tenancy.choices import Role
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

if TYPE_CHECKING:
    from openitsms.tenancy.models import Membership

DUE_SOON_DAYS = 30


class EvidenceItemQuerySet(OrgScopedQuerySet["EvidenceItem"]):
    def live(self) -> EvidenceItemQuerySet:
        """Not deleted. Deletes of evidence are soft: the item and its files stay on record."""
        return self.filter(deleted_at__isnull=True)

    def stale(self, today: date | None = None) -> EvidenceItemQuerySet:
        return self.filter(expires_on__lt=today or timezone.localdate())

    def current(self, today: date | None = None) -> EvidenceItemQuerySet:
        today = today or timezone.localdate()
        return self.filter(models.Q(expires_on__gte=today) | models.Q(expires_on__isnull=True))

    def with_freshness(self, freshness: str, today: date | None = None) -> EvidenceItemQuerySet:
        """The items whose :meth:`EvidenceItem.freshness` is ``freshness`` today."""
        today = today or timezone.localdate()
        soon = today + timedelta(days=DUE_SOON_DAYS)
        if freshness == Freshness.STALE:
            return self.filter(expires_on__lt=today)
        if freshness == Freshness.DUE_SOON:
            return self.filter(expires_on__gte=today, expires_on__lte=soon)
        if freshness == Freshness.CURRENT:
            return self.filter(expires_on__gt=soon)
        if freshness == Freshness.UNDATED:
            return self.filter(expires_on__isnull=True)
        return self

    def for_clause(self, number: str) -> EvidenceItemQuerySet:
        """Linked to the clause ``number`` or to one of its sub-clauses."""
        return self.filter(
            models.Q(requirements__number=number)
            | models.Q(requirements__number__startswith=f"{number}.")
        ).distinct()


class EvidenceItem(OrgScopedModel, AuditedModel):
    """A piece of evidence: a document, record, report, screenshot, export or link."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=EvidenceKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_evidence",
    )
    effective_on = models.DateField(
        help_text="The date the evidence is from or took effect (not the upload date)."
    )
    valid_until = models.DateField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Or: how often it must be renewed, in days."
    )
    expires_on = models.DateField(null=True, blank=True, editable=False, db_index=True)
    url = models.URLField(blank=True, max_length=500, help_text="For links: where it lives.")
    requirements = models.ManyToManyField(
        "catalogue.Requirement", blank=True, related_name="evidence_items"
    )
    processes = models.ManyToManyField(
        "processes.Process", blank=True, related_name="evidence_items"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Scoped to the current organisation like every domain model (see tenancy.scoping).
    objects = OrgScopedManager.from_queryset(EvidenceItemQuerySet)()

    class Meta:
        ordering = ["-effective_on", "title"]
        verbose_name = "evidence item"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="link") | ~models.Q(url=""),
                name="evidence_link_has_url",
                violation_error_message="A link needs its address.",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("effective_on")),
                name="evidence_valid_after_effective",
                violation_error_message="'Valid until' cannot be before the effective date.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.expires_on = self.compute_expiry()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "expires_on" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "expires_on"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "evidence:evidence_detail", kwargs={"org_slug": self.organisation.slug, "pk": self.pk}
        )

    def compute_expiry(self) -> date | None:
        if self.valid_until:
            return self.valid_until
        if self.review_interval_days and self.effective_on:
            return self.effective_on + timedelta(days=self.review_interval_days)
        return None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def editable_by(self, membership: Membership) -> bool:
        """Owners and managers edit all evidence; a process owner edits the evidence they own
        and the evidence linked to a process they own."""
        if membership.can_edit:
            return True
        if membership.role != Role.PROCESS_OWNER:
            return False
        if self.owner_id is not None and self.owner_id == membership.user_id:
            return True
        return self.processes.filter(owner_id=membership.user_id).exists()

    def freshness(self, today: date | None = None) -> Freshness:
        today = today or timezone.localdate()
        if self.expires_on is None:
            return Freshness.UNDATED
        if self.expires_on < today:
            return Freshness.STALE
        if self.expires_on <= today + timedelta(days=DUE_SOON_DAYS):
            return Freshness.DUE_SOON
        return Freshness.CURRENT


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    # Content-addressed: a path is written once and never overwritten by another upload.
    return f"evidence/{instance.organisation_id}/{instance.sha256[:2]}/{instance.sha256}"


class EvidenceFile(OrgScopedModel, AuditedModel):
    """One uploaded version of an evidence item's file. Versions are never replaced."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    note = models.CharField(max_length=300, blank=True, help_text="What changed in this version.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "-version"]
        verbose_name = "evidence file version"
        constraints = [
            models.UniqueConstraint(
                fields=["item", "version"],
                name="evidence_file_version_unique",
                violation_error_message="This version number is taken.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.version})"

    def get_absolute_url(self) -> str:
        return self.item.get_absolute_url()

    def get_download_url(self) -> str:
        return reverse(
            "evidence:file_download", kwargs={"org_slug": self.organisation.slug, "pk": self.pk}
        )


def can_create_evidence(membership: Membership) -> bool:
    """Owners, managers and process owners add evidence; auditors and viewers only read it."""
    return membership.can_edit or membership.role == Role.PROCESS_OWNER
