"""The service catalogue (8.2.4): owners, customers, dependencies, configuration items,
evidence, and the rules that keep it consistent."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from openitsms.audit.models import AuditEvent
from openitsms.evidence.models import EvidenceItem
from openitsms.services import actions
from openitsms.services.models import Outage, Party, Service
from openitsms.tenancy.models import Membership
from openitsms.tenancy.scoping import org_scope
from tests.services.conftest import london


def _service(org, name, **links):  # type: ignore[no-untyped-def]
    return actions.save_service(service=Service(name=name), organisation=org, **links)


def test_a_service_with_customers_suppliers_dependencies_and_evidence(org, owner, portal) -> None:
    with org_scope(org):
        supplier = actions.save_party(
            party=Party(name="Blue Yonder", kind="supplier"), organisation=org
        )
        hosting = _service(org, "Hosting")
        evidence = EvidenceItem.objects.create(
            title="Portal design", kind="document", effective_on=date(2024, 1, 1)
        )
        portal.configuration_items = "web-01\n\n  web-02  \n"
        actions.save_service(
            service=portal,
            organisation=org,
            suppliers=[supplier],
            depends_on=[hosting],
            evidence=[evidence],
        )
    portal.refresh_from_db()
    assert portal.ci_names == ["web-01", "web-02"]
    assert list(portal.depends_on.all()) == [hosting]
    assert list(hosting.dependants.all()) == [portal]
    assert list(evidence.services.all()) == [portal]
    assert list(portal.suppliers.all()) == [supplier]
    changes = AuditEvent.objects.for_object(portal).values_list("changes", flat=True)
    assert any("depends_on" in change for change in changes)


def test_a_circle_of_dependencies_is_refused(org) -> None:
    with org_scope(org):
        a, b = _service(org, "A"), _service(org, "B")
        c = _service(org, "C", depends_on=[b])
        actions.save_service(service=b, organisation=org, depends_on=[a])
        with pytest.raises(ValidationError) as refused:
            actions.save_service(service=a, organisation=org, depends_on=[c])
        with pytest.raises(ValidationError):
            actions.save_service(service=a, organisation=org, depends_on=[a])
    assert "depends_on" in refused.value.message_dict
    assert list(a.depends_on.all()) == []


def test_the_owner_must_be_a_member(org, make_user) -> None:
    stranger = make_user("stranger")
    with org_scope(org), pytest.raises(ValidationError) as refused:
        actions.save_service(service=Service(name="X", owner=stranger), organisation=org)
    assert refused.value.message_dict == {
        "owner": ["The owner must be a member of the organisation."]
    }


def test_names_are_unique_per_organisation_with_the_constraints_message(org, portal) -> None:
    with org_scope(org), pytest.raises(ValidationError) as refused:
        _service(org, "Customer portal")
    assert "Another service already has this name." in str(refused.value)


def test_a_process_owner_edits_only_the_services_they_own(
    org, portal, process_owner, manager
) -> None:
    petra = Membership.objects.get(user=process_owner, organisation=org)
    mark = Membership.objects.get(user=manager, organisation=org)
    with org_scope(org):
        other = _service(org, "Email")
    assert portal.editable_by(petra) and not other.editable_by(petra)
    assert portal.editable_by(mark) and other.editable_by(mark)


def test_a_service_with_outages_or_agreements_is_retired_not_deleted(org, portal, sla) -> None:
    with org_scope(org):
        with pytest.raises(ValidationError, match="Agreements cover this service"):
            actions.delete_service(service=portal)
        sla.services.clear()
        actions.save_outage(
            outage=Outage(
                service=portal,
                kind="unplanned",
                title="Down",
                starts_at=london(2024, 6, 4, 10),
                ends_at=london(2024, 6, 4, 11),
            ),
            organisation=org,
        )
        with pytest.raises(ValidationError, match="retire it"):
            actions.delete_service(service=portal)
        fresh = _service(org, "Unused")
        actions.delete_service(service=fresh)
        assert not Service.objects.filter(name="Unused").exists()


def test_an_outage_cannot_end_before_it_starts(org, portal) -> None:
    with org_scope(org), pytest.raises(ValidationError, match="cannot end before it starts"):
        actions.save_outage(
            outage=Outage(
                service=portal,
                kind="unplanned",
                title="Backwards",
                starts_at=london(2024, 6, 4, 11),
                ends_at=london(2024, 6, 4, 10),
            ),
            organisation=org,
        )


def test_a_party_to_an_agreement_cannot_be_deleted(org, customer, sla) -> None:
    with org_scope(org):
        with pytest.raises(ValidationError, match="party to agreements"):
            actions.delete_party(party=customer)
        spare = actions.save_party(party=Party(name="Spare", kind="internal"), organisation=org)
        actions.delete_party(party=spare)
        assert not Party.objects.filter(name="Spare").exists()
