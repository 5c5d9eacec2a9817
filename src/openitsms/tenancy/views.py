from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openitsms.audit.models import AuditEvent
from openitsms.jobs.models import Job
from openitsms.overview import collect
from openitsms.tenancy import actions
from openitsms.tenancy.access import can_manage_members, org_view, request_membership, request_org
from openitsms.tenancy.choices import ROLE_HELP, Role
from openitsms.tenancy.forms import InvitationForm, OrganisationForm, RoleForm, SignUpForm
from openitsms.tenancy.models import Invitation, Membership

User = get_user_model()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user.pk)
        .select_related("organisation")
        .annotate(member_count=Count("organisation__memberships"))
    )
    return render(request, "tenancy/home.html", {"memberships": memberships})


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    """Anyone signed in may start an organisation (a consultant taking on a client)."""
    form = OrganisationForm(initial={"time_zone": "Europe/London"})
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        if form.is_valid():
            org = actions.create_organisation(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                time_zone=form.cleaned_data["time_zone"],
                owner=request.user,
            )
            messages.success(request, f"{org.name} is ready; you are its owner.")
            return redirect(org.get_absolute_url())
    return render(request, "tenancy/organisation_form.html", {"form": form})


@org_view()
def org_home(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    context = {
        "tiles": collect(org, request_membership(request), timezone.localdate()),
        "member_count": Membership.objects.filter(organisation=org).count(),
        "role_help": ROLE_HELP[Role(request_membership(request).role)],
        "recent_events": AuditEvent.objects.for_org(org).select_related("organisation")[:10],
        "recent_jobs": Job.objects.filter(created_by=request.user)[:5],
        "open_invitations": Invitation.objects.pending().filter(organisation=org).count(),
    }
    return render(request, "tenancy/org_home.html", context)


@org_view()
def member_list(request: HttpRequest) -> HttpResponse:
    org = request_org(request)
    members = Membership.objects.filter(organisation=org).select_related("user")
    invitations = Invitation.objects.pending().filter(organisation=org).select_related("invited_by")
    form = InvitationForm()
    if request.method == "POST":
        if not request_membership(request).can_manage_members:
            messages.error(request, "Only owners can invite members.")
            return redirect("tenancy:member_list", org_slug=org.slug)
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation, _link = actions.invite_member(
                    organisation=org,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("tenancy:member_list", org_slug=org.slug)
    context = {
        "members": members,
        "invitations": invitations,
        "form": form,
        "roles": Role.choices,
        "role_help": ROLE_HELP,
    }
    return render(request, "tenancy/member_list.html", context)


@require_POST
@org_view(can_manage_members, message="Only owners can change roles.")
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    membership = get_object_or_404(Membership, pk=pk, organisation=org)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
    else:
        try:
            actions.change_role(membership=membership, role=form.cleaned_data["role"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    return redirect("tenancy:member_list", org_slug=org.slug)


@require_POST
@org_view(can_manage_members, message="Only owners can remove members.")
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    membership = get_object_or_404(Membership, pk=pk, organisation=org)
    try:
        actions.remove_member(membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user} was removed from {org}.")
    return redirect("tenancy:member_list", org_slug=org.slug)


@require_POST
@org_view(can_manage_members, message="Only owners can revoke invitations.")
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    org = request_org(request)
    invitation = get_object_or_404(Invitation.objects.pending(), pk=pk, organisation=org)
    actions.revoke_invitation(invitation=invitation)
    messages.success(request, f"The invitation for {invitation.email} was revoked.")
    return redirect("tenancy:member_list", org_slug=org.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Join with the current account, or create one, from an emailed invitation link."""
    invitation = Invitation.find_open(token)
    if invitation is None:
        return render(request, "tenancy/invitation_invalid.html", status=404)
    form = SignUpForm()
    if request.method == "POST":
        if request.user.is_authenticated:
            actions.accept_invitation(invitation=invitation, user=request.user)
            messages.success(request, f"You joined {invitation.organisation}.")
            return redirect(invitation.organisation.get_absolute_url())
        form = SignUpForm(request.POST)
        if form.is_valid():
            user = form.save(commit=False)
            user.email = invitation.email
            user.save()
            actions.accept_invitation(invitation=invitation, user=user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome! You joined {invitation.organisation}.")
            return redirect(invitation.organisation.get_absolute_url())
    return render(
        request, "tenancy/invitation_accept.html", {"invitation": invitation, "form": form}
    )
