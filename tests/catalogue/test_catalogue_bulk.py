"""Assessing several requirements at once from the tree, and the rules every assessment keeps."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from openitsms.audit.models import AuditEvent
from openitsms.catalogue.actions import set_conformity
from openitsms.catalogue.models import Conformity
from tests.catalogue.factories import conformity, process, req, today


def _url(org):
    return reverse("catalogue:conformity_bulk", kwargs={"org_slug": org.slug})


def _state(org):
    return sorted(
        Conformity.all_orgs.filter(organisation=org).values_list(
            "requirement__number", "status", "operated_by", "operator_name", "notes"
        )
    )


def test_manager_sets_status_for_several_requirements_at_once(manager_client, org, manager):
    existing = conformity(org, "8.6.1", "partial", notes="keep me")
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = manager_client.post(
        _url(org),
        {
            "requirements": [req("8.6.1").pk, req("8.6.2").pk, req("8.6.3").pk],
            "status": "conformant",
            "return_query": "clause=8&status=partial&bogus=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("catalogue:requirement_list", kwargs={"org_slug": org.slug})
        + "?status=partial&clause=8"
    )
    rows = Conformity.all_orgs.filter(organisation=org).select_related("requirement")
    assert {r.requirement.number: r.status for r in rows} == {
        "8.6.1": "conformant",
        "8.6.2": "conformant",
        "8.6.3": "conformant",
    }
    assert all(r.assessed_by == manager and r.assessed_on == today() for r in rows)
    existing.refresh_from_db()
    assert existing.notes == "keep me"  # empty notes in the bulk form keep each one's notes
    events = AuditEvent.objects.for_org(org).filter(
        object_type="catalogue.conformity", seq__gt=last_seq
    )
    assert events.filter(action="create").count() == 2
    update = events.get(action="update", object_id=str(existing.pk))
    assert update.changes["status"] == ["partial", "conformant"]
    assert update.actor_id == manager.pk
    page = manager_client.get(response["Location"]).content.decode()
    assert "Assessment recorded for 3 requirements: 8.6.1, 8.6.2, 8.6.3." in page


def test_bulk_sets_the_operator_and_notes(owner_client, org):
    owner_client.post(
        _url(org),
        {
            "requirements": [req("8.3.4.1").pk, req("8.3.4.2").pk],
            "operated_by": "external_supplier",
            "operator_name": "  Bluefin Hosting Ltd ",
            "notes": "Contract 2026-14",
        },
    )
    assert _state(org) == [
        ("8.3.4.1", "not_assessed", "external_supplier", "Bluefin Hosting Ltd", "Contract 2026-14"),
        ("8.3.4.2", "not_assessed", "external_supplier", "Bluefin Hosting Ltd", "Contract 2026-14"),
    ]


def test_other_party_without_a_name_is_refused_and_nothing_is_saved(manager_client, org):
    conformity(org, "8.6.1", "partial")
    before = _state(org)
    response = manager_client.post(
        _url(org),
        {
            "requirements": [req("8.6.1").pk, req("8.6.2").pk],
            "status": "conformant",
            "operated_by": "internal_supplier",
            "operator_name": "   ",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Name the party that operates this requirement." in html
    assert "Nothing was saved" in html
    # the ticked boxes stay ticked so that the person can fix the form and try again
    assert f'value="{req("8.6.2").pk}" form="bulk-form" id="pick-{req("8.6.2").pk}" checked' in html
    assert _state(org) == before


def test_bulk_without_any_ticked_requirement_says_so(manager_client, org):
    response = manager_client.post(_url(org), {"status": "conformant"})
    assert "Tick at least one requirement in the table first." in response.content.decode()
    assert _state(org) == []


def test_bulk_with_nothing_to_set_says_so(manager_client, org):
    response = manager_client.post(_url(org), {"requirements": [req("4.1").pk]})
    assert "Choose a status, who operates them, or notes to record." in response.content.decode()
    assert _state(org) == []


def test_bulk_with_an_unknown_status_is_refused(manager_client, org):
    response = manager_client.post(
        _url(org), {"requirements": [req("4.1").pk], "status": "excellent"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert _state(org) == []


def test_viewer_and_auditor_get_403_and_nothing_changes(viewer_client, auditor_client, org):
    for client in (viewer_client, auditor_client):
        response = client.post(_url(org), {"requirements": [req("4.1").pk], "status": "conformant"})
        assert response.status_code == 403
    assert _state(org) == []


def test_outsider_gets_404_and_nothing_changes(outsider_client, org):
    response = outsider_client.post(
        _url(org), {"requirements": [req("4.1").pk], "status": "conformant"}
    )
    assert response.status_code == 404
    assert Conformity.all_orgs.count() == 0


def test_get_is_not_allowed(manager_client, org):
    assert manager_client.get(_url(org)).status_code == 405


def test_process_owner_assesses_what_their_process_meets_only(org, process_owner, owner):
    process(org, "incident-management", "8.6.1", owner=process_owner)
    client = Client()
    client.force_login(process_owner)
    ok = client.post(_url(org), {"requirements": [req("8.6.1").pk], "status": "partial"})
    assert ok.status_code == 302
    refused = client.post(
        _url(org), {"requirements": [req("8.6.1").pk, req("6.3").pk], "status": "conformant"}
    )
    assert refused.status_code == 403
    assert _state(org) == [("8.6.1", "partial", "organisation", "", "")]


# -- The action itself ------------------------------------------------------------------------


def test_action_switching_back_to_in_house_clears_the_operator_name(org, owner):
    conformity(org, "8.3.4.1", operated_by="external_supplier", operator_name="Bluefin")
    [row] = set_conformity(
        organisation=org,
        requirements=[req("8.3.4.1")],
        status=None,
        operated_by="organisation",
        assessed_by=owner,
    )
    row.refresh_from_db()
    assert (row.operated_by, row.operator_name, row.status) == ("organisation", "", "conformant")


def test_action_refuses_clearing_the_name_of_an_other_party(org, owner):
    conformity(org, "8.3.4.1", operated_by="external_supplier", operator_name="Bluefin")
    with pytest.raises(ValidationError) as exc:
        set_conformity(
            organisation=org,
            requirements=[req("8.3.4.1"), req("8.3.4.2")],
            status="conformant",
            operator_name="",
            assessed_by=owner,
        )
    assert "Missing for 8.3.4.1" in str(exc.value)
    assert Conformity.all_orgs.get().operator_name == "Bluefin"
    assert Conformity.all_orgs.count() == 1


def test_action_refuses_a_name_without_who_operates(org, owner):
    with pytest.raises(ValidationError) as exc:
        set_conformity(
            organisation=org,
            requirements=[req("4.1")],
            status=None,
            operator_name="Someone",
            assessed_by=owner,
        )
    assert "operated_by" in exc.value.message_dict
    assert not Conformity.all_orgs.exists()


def test_the_database_refuses_an_unnamed_other_party_too(org):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Conformity.all_orgs.create(
            organisation=org, requirement=req("4.1"), operated_by="external_supplier"
        )
