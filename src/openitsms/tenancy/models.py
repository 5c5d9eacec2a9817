"""Organisations, memberships with roles, and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.tenancy.choices import Role

EDIT_ROLES = frozenset({Role.OWNER, Role.MANAGER})
FINDING_ROLES = frozenset({Role.OWNER, Role.MANAGER, Role.AUDITOR})


class Organisation(AuditedModel):
    """An organisation whose service management system is kept here; the wall between data."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=60, unique=True, help_text="Short name used in addresses, e.g. northwind."
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="IANA time zone, e.g. Europe/London."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "organisation"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tenancy:org_home", kwargs={"org_slug": self.slug})

    def clean(self) -> None:
        import zoneinfo

        from django.core.exceptions import ValidationError

        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                {"time_zone": f"“{self.time_zone}” is not a time zone name."}
            ) from None

    @property
    def audit_organisation_id(self) -> int | None:
        return self.pk


class MembershipQuerySet(models.QuerySet["Membership"]):
    def owners(self) -> MembershipQuerySet:
        return self.filter(role=Role.OWNER)


class Membership(AuditedModel):
    """A user's role in one organisation. A consultant has one membership per client."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    joined_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = "membership"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                name="membership_one_per_user_and_org",
                violation_error_message="This person is already a member of the organisation.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.organisation}"

    def get_absolute_url(self) -> str:
        return reverse("tenancy:member_list", kwargs={"org_slug": self.organisation.slug})

    @property
    def audit_organisation_id(self) -> int | None:
        return self.organisation_id

    @property
    def can_edit(self) -> bool:
        """May change the SMS registers (owner, manager)."""
        return self.role in EDIT_ROLES

    @property
    def can_manage_members(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_record_findings(self) -> bool:
        return self.role in FINDING_ROLES


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(AuditedModel):
    """An emailed invitation to join an organisation with a role; the token is kept hashed."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    audit_exclude = frozenset({"token_hash"})

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "invitation"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
                violation_error_message="This address already has an open invitation.",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organisation}"

    def get_absolute_url(self) -> str:
        return reverse("tenancy:member_list", kwargs={"org_slug": self.organisation.slug})

    @property
    def audit_organisation_id(self) -> int | None:
        return self.organisation_id

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @classmethod
    def new(cls, **kwargs: Any) -> tuple[Invitation, str]:
        """An unsaved invitation and its clear-text token (shown once, in the email)."""
        token = secrets.token_urlsafe(32)
        kwargs.setdefault(
            "expires_at", timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
        )
        return cls(token_hash=_hash_token(token), **kwargs), token

    @classmethod
    def find_open(cls, token: str) -> Invitation | None:
        return cls.objects.pending().filter(token_hash=_hash_token(token)).first()
