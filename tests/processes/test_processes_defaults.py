"""The default process register: installed from the shipped data, idempotent by slug."""

import pytest

from openitsms.audit.models import AuditEvent
from openitsms.processes.actions import default_register, install_default_processes
from openitsms.processes.models import Process, ProcessKpi, RaciEntry
from openitsms.tenancy.scoping import org_scope


@pytest.fixture
def installed(org):
    with org_scope(org):
        return install_default_processes(organisation=org)


def test_every_default_process_is_installed_with_clauses_kpis_and_activities(org, installed):
    register = default_register()
    assert len(installed.created) == len(register) == 34
    incident = Process.all_orgs.get(organisation=org, slug="incident-management")
    entry = next(p for p in register if p["slug"] == "incident-management")
    assert incident.name == "Incident management" and incident.kind == "operational"
    assert list(incident.clauses.values_list("number", flat=True)) == entry["clauses"]
    assert incident.input_lines() == entry["inputs"] and incident.output_lines() == entry["outputs"]
    assert sorted(incident.interfaces.values_list("slug", flat=True)) == sorted(entry["interfaces"])
    assert list(incident.kpis.order_by("name").values_list("name", flat=True)) == sorted(
        k["name"] for k in entry["kpis"]
    )
    assert incident.raci_activities == entry["raci_activities"]
    # Activities wait for their parties: no RACI letters are invented.
    assert not RaciEntry.all_orgs.filter(organisation=org).exists()
    assert incident.owner is None and incident.purpose == entry["purpose"]
    total_kpis = sum(len(p["kpis"]) for p in register)
    assert ProcessKpi.all_orgs.filter(organisation=org).count() == total_kpis
    # In the file's order.
    slugs = list(Process.all_orgs.filter(organisation=org).values_list("slug", flat=True))
    assert slugs == [p["slug"] for p in register]


def test_every_clause_of_every_default_process_exists_in_the_catalogue(org, installed):
    for entry in default_register():
        p = Process.all_orgs.get(organisation=org, slug=entry["slug"])
        assert p.clauses.count() == len(entry["clauses"]), entry["slug"]


def test_installing_again_changes_nothing_and_keeps_edits(org, installed):
    incident = Process.all_orgs.get(organisation=org, slug="incident-management")
    incident.name = "Incident and event management"
    incident.save()
    incident.kpis.first().delete()
    events = AuditEvent.objects.count()
    with org_scope(org):
        again = install_default_processes(organisation=org)
    assert again.created == [] and again.existing == 34
    assert "already installed" in again.message
    incident.refresh_from_db()
    assert incident.name == "Incident and event management" and incident.kpis.count() == 2
    assert Process.all_orgs.filter(organisation=org).count() == 34
    assert AuditEvent.objects.count() == events


def test_a_missing_default_process_is_added_back_alone(org, installed):
    Process.all_orgs.get(organisation=org, slug="capacity-management").delete()
    with org_scope(org):
        again = install_default_processes(organisation=org)
    assert [p.slug for p in again.created] == ["capacity-management"]
    capacity = again.created[0]
    assert capacity.interfaces.count() == 4


def test_the_register_of_one_organisation_does_not_touch_another(org, other_org, installed):
    assert not Process.all_orgs.filter(organisation=other_org).exists()
    with org_scope(other_org):
        install_default_processes(organisation=other_org)
    assert Process.all_orgs.filter(organisation=other_org).count() == 34
    theirs = Process.all_orgs.get(organisation=other_org, slug="incident-management")
    assert all(p.organisation_id == other_org.pk for p in theirs.interfaces.all())


def test_installation_is_audited(org, installed):
    incident = Process.all_orgs.get(organisation=org, slug="incident-management")
    actions = set(AuditEvent.objects.for_object(incident).values_list("action", flat=True))
    assert actions == {"create", "update"}  # created, then its clauses and interfaces linked
