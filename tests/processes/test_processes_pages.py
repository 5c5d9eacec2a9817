"""The process register's pages: list with flags, detail, forms, KPIs, RACI and reviews."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openitsms.processes.actions import install_default_processes
from openitsms.processes.models import Process, ProcessKpi, RaciEntry
from openitsms.tenancy.scoping import org_scope
from tests.processes.helpers import kpi, process


def url(name, org, **kw):
    return reverse(f"processes:{name}", kwargs={"org_slug": org.slug, **kw})


@pytest.fixture
def petra_client(process_owner):
    client = Client()
    client.force_login(process_owner)
    return client


def test_the_empty_register_offers_the_default_processes(manager_client, viewer_client, org):
    html = manager_client.get(url("process_list", org)).content.decode()
    assert "Install the default process register" in html and "34 processes" in html
    html = viewer_client.get(url("process_list", org)).content.decode()
    assert "Install the default process register" not in html and "Ask an owner or manager" in html


def test_installing_from_the_page_creates_the_register_once(manager_client, org):
    response = manager_client.post(url("process_install", org))
    assert response.status_code == 302
    assert Process.all_orgs.filter(organisation=org).count() == 34
    manager_client.post(url("process_install", org))
    assert Process.all_orgs.filter(organisation=org).count() == 34


def test_viewers_cannot_install_or_add_processes(viewer_client, org):
    assert viewer_client.post(url("process_install", org)).status_code == 403
    assert (
        viewer_client.post(
            url("process_create", org), {"name": "X", "kind": "operational"}
        ).status_code
        == 403
    )
    assert not Process.all_orgs.exists()


def test_the_list_flags_processes_without_owner_or_kpis(viewer_client, org, manager):
    ok = process(org, "Change management", owner=manager)
    kpi(ok)
    process(org, "Problem management", owner=manager)
    html = viewer_client.get(url("process_list", org)).content.decode()
    change = html.split('data-testid="process-change-management"')[1].split("</tr>")[0]
    problem = html.split('data-testid="process-problem-management"')[1].split("</tr>")[0]
    assert "flag" not in change
    assert 'class="badge flag flag-no_kpis" data-testid="flag">No KPIs</span>' in problem
    assert "1 process needs attention" in html


def test_list_filters(viewer_client, org, manager):
    a = process(org, "Change management", owner=manager)
    kpi(a)
    process(org, "Leadership", kind="management")

    def names(query):
        html = viewer_client.get(url("process_list", org), query).content.decode()
        return [n for n in ("Change management", "Leadership") if f">{n}</a>" in html]

    assert names({}) == ["Change management", "Leadership"]
    assert names({"kind": "management"}) == ["Leadership"]
    assert names({"owner": manager.pk}) == ["Change management"]
    assert names({"owner": "none"}) == ["Leadership"]
    assert names({"flagged": "on"}) == ["Leadership"]


def test_the_list_makes_the_same_number_of_queries_for_the_whole_register(
    viewer_client, org, manager, django_assert_max_num_queries
):
    process(org, "One", owner=manager)
    with django_assert_max_num_queries(20) as few:
        viewer_client.get(url("process_list", org))
    with org_scope(org):
        install_default_processes(organisation=org)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = viewer_client.get(url("process_list", org)).content.decode()
    assert len(re.findall(r'<tr[^>]* data-testid="process-', html)) == 35


def test_the_detail_page_shows_everything_an_auditor_asks_for(viewer_client, org, manager):
    with org_scope(org):
        install_default_processes(organisation=org)
    incident = Process.all_orgs.get(organisation=org, slug="incident-management")
    html = viewer_client.get(incident.get_absolute_url()).content.decode()
    assert incident.purpose[:50] in html
    assert "8.6.1 Incident management" in html
    assert "Problem management" in html  # an interface
    assert (
        "Incidents resolved within their SLA target" in html or incident.kpis.first().name in html
    )
    assert 'data-testid="raci-checklist"' in html
    for activity in incident.raci_activities:
        assert activity in html
    assert "Nobody owns this process" in html
    assert (
        reverse("audit:object_history", args=[org.slug, "processes.process", incident.pk]) in html
    )
    assert "Mark reviewed today" not in html  # viewers only read


def test_a_manager_creates_a_process_with_members_only(
    manager_client, org, manager, process_owner, outsider
):
    response = manager_client.post(
        url("process_create", org),
        {
            "name": "Event management",
            "kind": "operational",
            "owner": outsider.pk,
            "review_interval_months": 12,
        },
    )
    assert response.status_code == 200 and not Process.all_orgs.exists()
    assert "Select a valid choice" in response.content.decode()
    response = manager_client.post(
        url("process_create", org),
        {
            "name": "Event management",
            "kind": "operational",
            "owner": process_owner.pk,
            "deputy": manager.pk,
            "review_interval_months": 12,
            "inputs": "Alerts\nThresholds",
        },
    )
    p = Process.all_orgs.get()
    assert response.status_code == 302 and response["Location"] == p.get_absolute_url()
    assert p.slug == "event-management" and p.owner == process_owner and p.deputy == manager
    assert p.input_lines() == ["Alerts", "Thresholds"]


def test_the_owner_is_chosen_among_members_only(manager_client, org, outsider, manager):
    html = manager_client.get(url("process_create", org)).content.decode()
    assert "oscar" not in html and "mark" in html


def test_the_deputy_error_is_next_to_the_field(manager_client, org, manager):
    response = manager_client.post(
        url("process_create", org),
        {
            "name": "X",
            "kind": "operational",
            "owner": manager.pk,
            "deputy": manager.pk,
            "review_interval_months": 12,
        },
    )
    html = response.content.decode()
    field = html.split('for="id_deputy"')[1].split('<div class="field')[0]
    assert "someone other than the owner" in field


def test_a_process_owner_edits_their_process_but_not_the_owner(
    petra_client, org, process_owner, manager
):
    p = process(org, "Incident management", owner=process_owner)
    html = petra_client.get(url("process_edit", org, pk=p.pk)).content.decode()
    assert 'name="owner"' in html and "disabled" in html.split('name="owner"')[1].split(">")[0]
    response = petra_client.post(
        url("process_edit", org, pk=p.pk),
        {
            "name": "Incident management",
            "kind": "operational",
            "owner": manager.pk,
            "purpose": "Restore service",
            "review_interval_months": 6,
        },
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert (
        p.owner == process_owner
        and p.purpose == "Restore service"
        and p.review_interval_months == 6
    )


def test_a_process_owner_cannot_edit_other_processes(petra_client, org, manager):
    p = process(org, "Change management", owner=manager)
    assert petra_client.get(url("process_edit", org, pk=p.pk)).status_code == 403
    response = petra_client.post(
        url("process_edit", org, pk=p.pk),
        {"name": "Hijacked", "kind": "operational", "review_interval_months": 12},
    )
    assert response.status_code == 403
    assert (
        petra_client.post(
            url("kpi_create", org, pk=p.pk),
            {"name": "x", "target": "1", "direction": "higher_is_better"},
        ).status_code
        == 403
    )
    assert (
        petra_client.post(
            url("raci_edit", org, pk=p.pk), {"rows": "1", "columns": "1", "activity-0": "x"}
        ).status_code
        == 403
    )
    p.refresh_from_db()
    assert p.name == "Change management" and not p.kpis.exists() and p.raci_activities == []


def test_kpis_are_added_edited_and_removed_and_the_flag_goes(manager_client, org, manager):
    p = process(org, owner=manager)
    assert "No KPIs" in manager_client.get(p.get_absolute_url()).content.decode()
    response = manager_client.post(
        url("kpi_create", org, pk=p.pk),
        {"name": "First-time fix", "target": "70", "unit": "%", "direction": "higher_is_better"},
    )
    assert response.status_code == 302
    k = ProcessKpi.all_orgs.get()
    assert k.process == p and str(k.target) == "70.000"
    html = manager_client.get(p.get_absolute_url()).content.decode()
    assert "No KPIs" not in html and "70 %" in html
    manager_client.post(
        url("kpi_edit", org, pk=k.pk),
        {"name": "First-time fix", "target": "72.5", "unit": "%", "direction": "higher_is_better"},
    )
    k.refresh_from_db()
    assert str(k.target) == "72.500"
    manager_client.post(url("kpi_delete", org, pk=k.pk))
    assert not ProcessKpi.all_orgs.exists()


def test_viewer_cannot_touch_kpis(viewer_client, org, manager):
    p = process(org, owner=manager)
    k = kpi(p)
    assert (
        viewer_client.post(
            url("kpi_edit", org, pk=k.pk),
            {"name": "x", "target": "1", "direction": "lower_is_better"},
        ).status_code
        == 403
    )
    assert viewer_client.post(url("kpi_delete", org, pk=k.pk)).status_code == 403
    k.refresh_from_db()
    assert k.name == "Resolved within target"


def test_the_raci_page_saves_the_matrix_and_explains_the_one_a_rule(manager_client, org):
    p = process(org)
    html = manager_client.get(url("raci_edit", org, pk=p.pk)).content.decode()
    assert 'name="activity-0"' in html and 'name="party-0"' in html
    data = {
        "rows": "2",
        "columns": "2",
        "activity-0": "Log the incident",
        "activity-1": "Resolve",
        "party-0": "Service desk",
        "party-1": "Incident manager",
        "code-0-0": "R",
        "code-0-1": "A",
        "code-1-0": "A",
        "code-1-1": "A",
    }
    response = manager_client.post(url("raci_edit", org, pk=p.pk), data)
    assert response.status_code == 422
    assert "“Resolve” has 2 accountable parties" in response.content.decode()
    assert 'value="Resolve"' in response.content.decode()  # what was typed is kept
    assert not RaciEntry.all_orgs.exists()
    data["code-1-0"] = "R"
    response = manager_client.post(url("raci_edit", org, pk=p.pk), data)
    assert response.status_code == 302
    codes = sorted(RaciEntry.all_orgs.values_list("activity", "party", "code"))
    assert codes == [
        ("Log the incident", "Incident manager", "A"),
        ("Log the incident", "Service desk", "R"),
        ("Resolve", "Incident manager", "A"),
        ("Resolve", "Service desk", "R"),
    ]
    html = manager_client.get(p.get_absolute_url()).content.decode()
    assert 'data-testid="raci"' in html and ">Incident manager</th>" in html


def test_marking_reviewed_today(petra_client, viewer_client, org, process_owner):
    p = process(org, owner=process_owner)
    assert viewer_client.post(url("process_review", org, pk=p.pk)).status_code == 403
    assert petra_client.post(url("process_review", org, pk=p.pk)).status_code == 302
    p.refresh_from_db()
    assert p.last_reviewed_on == timezone.localdate()


def test_outsiders_see_nothing(outsider_client, org):
    p = process(org)
    assert outsider_client.get(url("process_list", org)).status_code == 404
    assert outsider_client.get(p.get_absolute_url()).status_code == 404


def test_htmx_filter_returns_only_the_results(viewer_client, org):
    process(org, "Leadership", kind="management")
    html = viewer_client.get(
        url("process_list", org), {"kind": "management"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.lstrip().startswith('<div id="process-results">') and ">Leadership</a>" in html
