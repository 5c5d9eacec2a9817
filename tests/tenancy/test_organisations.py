import pytest
from django.forms import ModelChoiceField
from django.urls import reverse

from openitsms.jobs.models import Job
from openitsms.tenancy.forms import OrgModelForm
from openitsms.tenancy.models import Membership, Organisation


def test_a_signed_in_person_creates_an_organisation_and_owns_it(client, make_user):
    user = make_user("casey")
    client.force_login(user)
    response = client.post(
        reverse("tenancy:organisation_create"),
        {"name": "Client Co", "slug": "client-co", "time_zone": "Europe/Berlin"},
    )
    org = Organisation.objects.get(slug="client-co")
    assert response["Location"] == org.get_absolute_url()
    assert Membership.objects.get(user=user, organisation=org).role == "owner"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "X", "slug": "x", "time_zone": "Mars/Base"}, "time_zone", "not a time zone"),
        ({"name": "X", "slug": "northwind", "time_zone": "UTC"}, "slug", "already exists"),
        ({"name": "", "slug": "x", "time_zone": "UTC"}, "name", "required"),
    ],
)
def test_bad_organisation_input_is_refused_on_the_field(
    client, make_user, org, data, field, message
):
    client.force_login(make_user("casey"))
    response = client.post(reverse("tenancy:organisation_create"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Organisation.objects.count() == 1


def test_api_creates_an_organisation_and_refuses_a_bad_time_zone(owner, token_for, api):
    token = token_for(owner)
    created = api("post", "/api/v1/orgs", token, {"name": "API Co", "slug": "api-co"})
    assert created.status_code == 201 and created.json()["role"] == "owner"
    bad = api("post", "/api/v1/orgs", token, {"name": "Bad", "slug": "bad", "time_zone": "Nowhere"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "time_zone"
    assert not Organisation.objects.filter(slug="bad").exists()


def test_api_invitation_returns_the_link_once(owner, org, token_for, api, mailoutbox):
    token = token_for(owner)
    response = api(
        "post", f"/api/v1/orgs/{org.slug}/invitations", token, {"email": "n@example.com"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "n@example.com" and "/invitations/" in body["accept_url"]
    assert body["invited_by"] == "alice"


def test_org_model_form_offers_only_the_organisations_own_records_and_members(
    org, other_org, owner, outsider
):
    from django import forms

    mine = Job.all_orgs.create(organisation=org, kind="audit_verify", title="mine")
    Job.all_orgs.create(organisation=other_org, kind="audit_verify", title="theirs")

    class PickForm(OrgModelForm):
        job = ModelChoiceField(queryset=Job.all_orgs.all())

        class Meta:
            model = Job
            fields = ("created_by",)

    form = PickForm(organisation=org)
    assert list(form.fields["job"].queryset) == [mine]
    assert list(form.fields["created_by"].queryset) == [owner]
    assert isinstance(form.fields["created_by"], forms.ModelChoiceField)


def test_org_form_takes_the_organisation_bound_to_the_request(org, other_org):
    from openitsms.tenancy.forms import OrgForm
    from openitsms.tenancy.scoping import OrgScopeMissing, org_scope

    class Filter(OrgForm):
        job = ModelChoiceField(queryset=Job.all_orgs.all(), required=False)

    mine = Job.all_orgs.create(organisation=org, kind="audit_verify", title="mine")
    Job.all_orgs.create(organisation=other_org, kind="audit_verify", title="theirs")
    with org_scope(org):
        assert list(Filter().fields["job"].queryset) == [mine]
    with pytest.raises(OrgScopeMissing):
        Filter()
