"""The organisation overview: one tile per area, showing what needs attention."""

from datetime import timedelta

from django.utils import timezone

from openitsms.catalogue.models import Conformity, Requirement
from openitsms.evidence.models import EvidenceItem
from openitsms.processes.models import Process
from openitsms.tenancy.scoping import org_scope
from tests.improvement.factories import corrective_action, nonconformity


def _tiles(client, org):
    response = client.get(org.get_absolute_url())
    assert response.status_code == 200
    return {tile.label: tile for tile in response.context["tiles"]}


def test_overview_tiles_report_the_organisations_state(
    owner_client, org, owner, manager, other_org
):
    today = timezone.localdate()
    with org_scope(org):
        Conformity.objects.create(
            requirement=Requirement.objects.get(key="iso20000-1-2018:6.3"), status="nonconformant"
        )
        EvidenceItem.objects.create(
            title="Old plan",
            kind="document",
            effective_on=today - timedelta(days=400),
            valid_until=today - timedelta(days=10),
        )
        Process.objects.create(slug="incident", name="Incident management", kind="operational")
        nc = nonconformity(org, owner, due_on=today - timedelta(days=1))
        corrective_action(nc, owner, owner, due_on=today - timedelta(days=3))
    with org_scope(other_org):  # another organisation's state never shows
        EvidenceItem.objects.create(
            title="Theirs",
            kind="document",
            effective_on=today - timedelta(days=400),
            valid_until=today - timedelta(days=10),
        )

    tiles = _tiles(owner_client, org)

    conformity = tiles["Requirements conformant"]
    assert conformity.value == "0 of 77" and conformity.tone == "bad"
    assert "1 nonconformant" in conformity.detail
    assert tiles["Evidence out of date"].value == "1"
    assert tiles["Processes without owner or KPIs"].value == "1"
    assert (
        tiles["Open nonconformities"].tone == "bad"
        and "1 overdue" in tiles["Open nonconformities"].detail
    )
    assert tiles["Overdue actions"].value == "1"
    assert tiles["Next certification audit"].value == "None planned"


def test_overview_of_an_empty_organisation_says_what_is_in_order(owner_client, org, owner):
    tiles = _tiles(owner_client, org)
    assert tiles["Evidence out of date"].tone == "ok"
    assert tiles["Overdue actions"].tone == "ok"
    page = owner_client.get(org.get_absolute_url()).content.decode()
    assert 'data-testid="overview-tiles"' in page and "In order" in page


def test_overview_query_count_is_bounded(owner_client, org, owner, django_assert_max_num_queries):
    today = timezone.localdate()
    with org_scope(org):
        for i in range(20):
            EvidenceItem.objects.create(
                title=f"Item {i}", kind="record", effective_on=today, review_interval_days=10 + i
            )
    with django_assert_max_num_queries(30):
        owner_client.get(org.get_absolute_url())
