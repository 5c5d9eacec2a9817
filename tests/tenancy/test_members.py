import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from openitsms.audit.models import AuditEvent
from openitsms.tenancy.models import Invitation, Membership


def members_url(org):
    return reverse("tenancy:member_list", kwargs={"org_slug": org.slug})


def test_home_lists_every_organisation_of_a_consultant(client, make_user, org, other_org):
    consultant = make_user("casey")
    Membership.objects.create(user=consultant, organisation=org, role="manager")
    Membership.objects.create(user=consultant, organisation=other_org, role="viewer")
    client.force_login(consultant)
    page = client.get("/").content.decode()
    assert "Northwind" in page and "Harbour" in page
    assert 'data-testid="org-switcher"' in page


def test_owner_invites_by_email_and_the_invitee_joins_with_a_new_account(
    owner_client, org, owner, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            members_url(org), {"email": "New@Example.com", "role": "auditor"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(organisation=org)
    assert invitation.email == "new@example.com" and invitation.role == "auditor"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new@example.com"]
    link = re.search(r"https?://\S+/invitations/(\S+)/", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    token = link.group(1)
    assert token not in invitation.token_hash  # only the hash is stored

    accept = client.post(
        reverse("tenancy:invitation_accept", kwargs={"token": token}),
        {
            "username": "newbie",
            "password1": "a-long-new-passw0rd",
            "password2": "a-long-new-passw0rd",
        },
    )
    assert accept.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new@example.com"
    assert Membership.objects.get(user=user, organisation=org).role == "auditor"
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    # The link works once.
    again = client.get(reverse("tenancy:invitation_accept", kwargs={"token": token}))
    assert again.status_code == 404


def test_a_second_open_invitation_for_the_same_address_is_refused(owner_client, org, owner):
    owner_client.post(members_url(org), {"email": "x@example.com", "role": "viewer"})
    response = owner_client.post(members_url(org), {"email": "x@example.com", "role": "viewer"})
    assert response.status_code == 200
    assert "already has an open invitation" in response.content.decode()
    assert Invitation.objects.filter(organisation=org).count() == 1


def test_only_owners_may_invite(manager_client, org, manager):
    response = manager_client.post(members_url(org), {"email": "x@example.com", "role": "viewer"})
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_owner_changes_a_role_and_the_change_is_audited_as_a_role_change(
    owner_client, org, owner, viewer
):
    membership = Membership.objects.get(user=viewer, organisation=org)
    url = reverse("tenancy:member_role", kwargs={"org_slug": org.slug, "pk": membership.pk})
    owner_client.post(url, {"role": "manager"})
    membership.refresh_from_db()
    assert membership.role == "manager"
    event = AuditEvent.objects.filter(action="role_change").get()
    assert event.changes == {"role": ["viewer", "manager"]}
    assert event.actor_id == owner.pk and event.organisation_id == org.pk


def test_the_last_owner_cannot_be_demoted_or_removed(owner_client, org, owner):
    membership = Membership.objects.get(user=owner, organisation=org)
    owner_client.post(
        reverse("tenancy:member_role", kwargs={"org_slug": org.slug, "pk": membership.pk}),
        {"role": "viewer"},
    )
    owner_client.post(
        reverse("tenancy:member_remove", kwargs={"org_slug": org.slug, "pk": membership.pk})
    )
    membership.refresh_from_db()
    assert membership.role == "owner"


@pytest.mark.parametrize("persona", ["manager", "auditor", "viewer"])
def test_non_owners_cannot_change_roles(request, persona, org, owner):
    user = request.getfixturevalue(persona)
    client = request.getfixturevalue(f"{persona}_client")
    target = Membership.objects.get(user=owner, organisation=org)
    response = client.post(
        reverse("tenancy:member_role", kwargs={"org_slug": org.slug, "pk": target.pk}),
        {"role": "viewer"},
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.role == "owner"
    assert user.pk  # the persona exists and is a member


def test_outsiders_get_404_for_another_organisations_pages(outsider_client, org, owner):
    assert outsider_client.get(members_url(org)).status_code == 404
    assert outsider_client.get(org.get_absolute_url()).status_code == 404


def test_member_list_query_count_does_not_grow_with_members(
    owner_client, org, owner, make_user, django_assert_max_num_queries
):
    for i in range(15):
        Membership.objects.create(user=make_user(f"user{i}"), organisation=org, role="viewer")
    with django_assert_max_num_queries(12):
        response = owner_client.get(members_url(org))
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") >= 16
