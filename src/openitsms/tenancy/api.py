from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from openitsms.tenancy import actions
from openitsms.tenancy.access import (
    any_member,
    api_require,
    can_manage_members,
    request_org,
)
from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Invitation, Membership, Organisation

router = Router(tags=["organisations"])


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str


class OrganisationOut(Schema):
    slug: str
    name: str
    time_zone: str
    role: str


class MembershipOut(Schema):
    id: int
    user: UserOut
    role: Role
    joined_at: datetime


class MembershipIn(Schema):
    role: Role


class InvitationIn(Schema):
    email: str
    role: Role = Role.VIEWER


class InvitationOut(Schema):
    id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    invited_by: str | None

    @staticmethod
    def resolve_invited_by(obj: Invitation) -> str | None:
        return obj.invited_by.username if obj.invited_by else None


class InvitationCreatedOut(InvitationOut):
    accept_url: str


class MeOut(UserOut):
    organisations: list[OrganisationOut]


def _org_out(m: Membership) -> OrganisationOut:
    org: Organisation = m.organisation
    return OrganisationOut(slug=org.slug, name=org.name, time_zone=org.time_zone, role=m.role)


@router.get("/me", response=MeOut, summary="The authenticated user and their organisations")
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    return MeOut(
        id=user.pk,
        username=user.username,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        organisations=[_org_out(m) for m in memberships],
    )


@router.get("/orgs", response=list[OrganisationOut], summary="Organisations I belong to")
def org_list(request: HttpRequest) -> list[OrganisationOut]:
    memberships = Membership.objects.filter(user=request.auth).select_related("organisation")  # type: ignore[attr-defined]
    return [_org_out(m) for m in memberships]


class OrganisationIn(Schema):
    name: str
    slug: str
    time_zone: str = "UTC"


@router.post(
    "/orgs", response={201: OrganisationOut}, summary="Create an organisation (you own it)"
)
def org_create(request: HttpRequest, payload: OrganisationIn) -> Status:
    from openitsms.tenancy.forms import OrganisationForm

    form = OrganisationForm(data=payload.dict())
    if not form.is_valid():
        raise ValidationError(
            {
                field: [e["message"] for e in errs]
                for field, errs in form.errors.get_json_data().items()
            }
        )
    user = request.auth  # type: ignore[attr-defined]
    org = actions.create_organisation(owner=user, **form.cleaned_data)
    membership = Membership.objects.select_related("organisation").get(user=user, organisation=org)
    return Status(201, _org_out(membership))


@router.get("/orgs/{org}", response=OrganisationOut, summary="One organisation")
def org_detail(request: HttpRequest, org: str) -> OrganisationOut:
    return _org_out(api_require(request, any_member))


@router.get("/orgs/{org}/members", response=list[MembershipOut])
@paginate(PageNumberPagination)
def member_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    return Membership.objects.filter(organisation=request_org(request)).select_related("user")


@router.patch("/orgs/{org}/members/{member_id}", response=MembershipOut, summary="Change a role")
def member_update(
    request: HttpRequest, org: str, member_id: int, payload: MembershipIn
) -> Membership:
    api_require(request, can_manage_members, "Only owners can change roles.")
    membership = get_object_or_404(
        Membership.objects.select_related("user"),
        pk=member_id,
        organisation=request_org(request),
    )
    return actions.change_role(membership=membership, role=payload.role)


@router.delete("/orgs/{org}/members/{member_id}", response={204: None}, summary="Remove a member")
def member_delete(request: HttpRequest, org: str, member_id: int) -> Status:
    api_require(request, can_manage_members, "Only owners can remove members.")
    membership = get_object_or_404(Membership, pk=member_id, organisation=request_org(request))
    actions.remove_member(membership=membership)
    return Status(204, None)


@router.get("/orgs/{org}/invitations", response=list[InvitationOut])
@paginate(PageNumberPagination)
def invitation_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    api_require(request, can_manage_members, "Only owners can see invitations.")
    return (
        Invitation.objects.pending()
        .filter(organisation=request_org(request))
        .select_related("invited_by")
    )


@router.post(
    "/orgs/{org}/invitations", response={201: InvitationCreatedOut}, summary="Invite by email"
)
def invitation_create(request: HttpRequest, org: str, payload: InvitationIn) -> Status:
    api_require(request, can_manage_members, "Only owners can invite members.")
    from django.core.validators import validate_email

    validate_email(payload.email)
    invitation, link = actions.invite_member(
        organisation=request_org(request),
        email=payload.email,
        role=payload.role,
        invited_by=request.auth,  # type: ignore[attr-defined]
    )
    invitation.accept_url = link  # type: ignore[attr-defined]
    return Status(201, invitation)


@router.delete("/orgs/{org}/invitations/{invitation_id}", response={204: None})
def invitation_delete(request: HttpRequest, org: str, invitation_id: int) -> Status:
    api_require(request, can_manage_members, "Only owners can revoke invitations.")
    invitation = get_object_or_404(
        Invitation.objects.pending(),
        pk=invitation_id,
        organisation=request_org(request),
    )
    actions.revoke_invitation(invitation=invitation)
    return Status(204, None)
