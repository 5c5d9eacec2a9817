from django.urls import reverse

from openitsms.audit.models import AuditEvent
from openitsms.tenancy.models import Membership


def test_org_log_shows_this_organisations_entries_only(owner_client, org, other_org, owner):
    other_org.name = "Harbour Renamed"
    other_org.save()
    org.name = "Northwind Renamed"
    org.save()
    page = owner_client.get(
        reverse("audit:org_log", kwargs={"org_slug": org.slug})
    ).content.decode()
    assert "Northwind Renamed" in page
    assert "Harbour Renamed" not in page


def test_htmx_filter_returns_only_the_events_partial(owner_client, org, owner):
    url = reverse("audit:org_log", kwargs={"org_slug": org.slug})
    response = owner_client.get(url, {"action": "create"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="events">')
    assert "<html" not in body


def test_object_history_lists_every_change_of_one_record(owner_client, org, owner, viewer):
    membership = Membership.objects.get(user=viewer, organisation=org)
    membership.role = "auditor"
    membership.save()
    url = reverse(
        "audit:object_history",
        kwargs={
            "org_slug": org.slug,
            "object_type": "tenancy.membership",
            "object_id": membership.pk,
        },
    )
    page = owner_client.get(url).content.decode()
    assert "viewer" in page and "auditor" in page


def test_object_history_of_another_organisations_record_is_404(outsider_client, org, owner):
    membership = Membership.objects.get(user=owner, organisation=org)
    url = reverse(
        "audit:object_history",
        kwargs={
            "org_slug": "harbour",
            "object_type": "tenancy.membership",
            "object_id": membership.pk,
        },
    )
    assert outsider_client.get(url).status_code == 404


def test_org_log_query_count_is_flat(owner_client, org, owner, django_assert_max_num_queries):
    for i in range(30):
        org.name = f"Northwind {i}"
        org.save()
    assert AuditEvent.objects.for_org(org).count() > 30
    with django_assert_max_num_queries(12):
        owner_client.get(reverse("audit:org_log", kwargs={"org_slug": org.slug}))


def test_api_lists_audit_events_with_filters(owner, org, token_for, api):
    org.name = "Renamed"
    org.save()
    token = token_for(owner)
    data = api("get", f"/api/v1/orgs/{org.slug}/audit-events?action=update", token).json()
    assert data["count"] >= 1
    assert all(item["action"] == "update" for item in data["items"])
    assert any(item["changes"].get("name") == ["Northwind", "Renamed"] for item in data["items"])
