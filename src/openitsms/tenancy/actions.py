"""Workflows on organisations and memberships; each runs in a transaction and is audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.choices import AuditAction
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Invitation, Membership, Organisation

User = get_user_model()


@transaction.atomic
def create_organisation(
    *, name: str, slug: str, owner: Any, time_zone: str = "UTC"
) -> Organisation:
    org = Organisation.objects.create(name=name, slug=slug, time_zone=time_zone)
    Membership.objects.create(user=owner, organisation=org, role=Role.OWNER)
    return org


def _ensure_an_owner_remains(membership: Membership) -> None:
    others = (
        Membership.objects.owners()
        .filter(organisation=membership.organisation)
        .exclude(pk=membership.pk)
    )
    if membership.role == Role.OWNER and not others.exists():
        raise ValidationError("An organisation must keep at least one owner.")


@transaction.atomic
def change_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    if role == membership.role:
        return membership
    if role != Role.OWNER:
        _ensure_an_owner_remains(membership)
    membership.role = role
    membership._audit_action = AuditAction.ROLE_CHANGE  # type: ignore[attr-defined]
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    _ensure_an_owner_remains(membership)
    membership.delete()


@transaction.atomic
def invite_member(
    *, organisation: Organisation, email: str, role: str, invited_by: Any
) -> tuple[Invitation, str]:
    """Create an invitation and email its link; returns the invitation and its link."""
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member."})
    if Invitation.objects.pending().filter(organisation=organisation, email=email).exists():
        raise ValidationError({"email": "This address already has an open invitation."})
    # An expired, never-accepted invitation would block the unique constraint: close it.
    for stale in Invitation.objects.filter(
        organisation=organisation, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        stale.revoked_at = timezone.now()
        stale.save(update_fields=["revoked_at"])
    invitation, token = Invitation.new(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    invitation.save()
    link = settings.SITE_URL + reverse("tenancy:invitation_accept", kwargs={"token": token})
    inviter = getattr(invited_by, "get_full_name", lambda: "")() or str(invited_by)
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {organisation.name} on OpenITSMS",
            message=(
                f"{inviter} invites you to join {organisation.name} as "
                f"{invitation.get_role_display()}.\n\nAccept here (valid until "
                f"{invitation.expires_at:%d %b %Y}):\n{link}\n"
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, link


@transaction.atomic
def revoke_invitation(*, invitation: Invitation) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: Any) -> Membership:
    if not invitation.is_open:
        raise ValidationError("This invitation is no longer valid.")
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
