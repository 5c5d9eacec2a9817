"""One requirement's page: guidance, crosswalk, evidence, conformity, and its status history."""

import re

from django.urls import reverse

from openitsms.audit.models import AuditEvent
from openitsms.catalogue.models import Conformity
from tests.catalogue.factories import conformity, evidence, process, req


def _url(org, number):
    return reverse(
        "catalogue:requirement_detail", kwargs={"org_slug": org.slug, "pk": req(number).pk}
    )


def _edit_url(org, number):
    return reverse("catalogue:conformity_edit", kwargs={"org_slug": org.slug, "pk": req(number).pk})


def test_page_shows_guidance_expected_evidence_and_findings(viewer_client, org):
    r = req("8.6.1")
    html = viewer_client.get(_url(org, "8.6.1")).content.decode()
    assert "Incident management" in html
    assert r.guidance[:60] in html
    for item in r.typical_evidence + r.common_findings:
        assert item.replace("'", "&#x27;").replace('"', "&quot;")[:40] in html
    assert "Our guidance in plain words" in html


def test_crosswalk_shows_iso27001_annex_a_controls_under_8_6_1(viewer_client, org):
    html = viewer_client.get(_url(org, "8.6.1")).content.decode()
    table = html.split('data-testid="crosswalk"')[1].split("</table>")[0]
    assert "ISO/IEC 27001:2022" in table
    row = re.search(r"<td>Annex A ([^<]+)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table)
    assert row.group(1) == "A.5.24, A.5.25, A.5.26, A.5.27, A.5.28"
    assert "Related" in row.group(2)
    assert "security incident" in row.group(3)
    assert table.count("Mapping is our interpretation") == 1  # one note for the five controls


def test_crosswalk_is_grouped_by_standard_in_declared_order(viewer_client, org):
    html = viewer_client.get(_url(org, "6.3")).content.decode()
    table = html.split('data-testid="crosswalk"')[1].split("</table>")[0]
    groups = re.findall(r'<th scope="rowgroup" colspan="3">([^<]+?) <small', table)
    assert groups == ["ISO 9001:2015", "ISO/IEC 27001:2022", "ISO 22301:2019"]


def test_breadcrumb_and_children(viewer_client, org):
    conformity(org, "8.3.4.1", "nonconformant", operated_by="external_supplier", operator_name="X")
    html = viewer_client.get(_url(org, "8.3.4")).content.decode()
    crumbs = html.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert "8 Operation of the service management system" in crumbs
    assert "8.3 Relationship and agreement" in crumbs
    assert '<li aria-current="page">8.3.4</li>' in crumbs
    children = html.split('id="children-h"')[1].split("</section>")[0]
    assert "8.3.4.1" in children and "8.3.4.2" in children and "Nonconformant" in children


def test_live_evidence_is_listed_with_freshness_and_deleted_is_not(viewer_client, org):
    evidence(org, "8.6.1", title="Incident procedure v3", expires_in_days=-2)
    evidence(org, "8.6.1", title="Withdrawn procedure", deleted=True)
    html = viewer_client.get(_url(org, "8.6.1")).content.decode()
    section = html.split('id="live-evidence-h"')[1].split("</section>")[0]
    assert "Incident procedure v3" in section and "Out of date" in section
    assert "Withdrawn procedure" not in section


def test_no_evidence_says_what_to_do(viewer_client, org):
    html = viewer_client.get(_url(org, "8.6.1")).content.decode()
    assert "No evidence is linked to 8.6.1 yet" in html


def test_processes_that_meet_it(viewer_client, org, process_owner, other_org):
    process(org, "incident-management", "8.6.1", owner=process_owner, name="Incident handling")
    process(other_org, "incident-management", "8.6.1", name="Harbour incidents")
    html = viewer_client.get(_url(org, "8.6.1")).content.decode()
    section = html.split('id="processes-h"')[1].split("</section>")[0]
    assert "Incident handling" in section and "owner petra" in section
    assert "Harbour incidents" not in section


def test_editor_changes_the_assessment_and_sees_it_in_the_history(manager_client, org, manager):
    response = manager_client.post(
        _edit_url(org, "8.7.2"),
        {"status": "partial", "operated_by": "organisation", "notes": "Plan not tested"},
    )
    assert response.status_code == 302
    manager_client.post(
        _edit_url(org, "8.7.2"),
        {"status": "conformant", "operated_by": "organisation", "notes": "Tested in March"},
    )
    row = Conformity.all_orgs.get(organisation=org)
    assert (row.status, row.notes, row.assessed_by) == ("conformant", "Tested in March", manager)
    html = manager_client.get(_url(org, "8.7.2")).content.decode()
    history = html.split('data-testid="history"')[1].split("</ol>")[0]
    assert "<del>Partially conformant</del> → <ins>Conformant</ins>" in history
    assert "<ins>Partially conformant</ins>" in history
    assert "mark" in history
    history_url = reverse(
        "audit:object_history",
        kwargs={"org_slug": org.slug, "object_type": "catalogue.conformity", "object_id": row.pk},
    )
    assert history_url in html
    assert manager_client.get(history_url).status_code == 200


def test_htmx_edit_returns_the_assessment_partial(manager_client, org):
    response = manager_client.post(
        _edit_url(org, "6.3"),
        {"status": "nonconformant", "operated_by": "organisation", "notes": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="assessment"')
    assert "Assessment saved." in body and "Nonconformant" in body
    assert Conformity.all_orgs.get().status == "nonconformant"


def test_edit_with_an_unnamed_other_party_shows_the_error_next_to_the_field(manager_client, org):
    response = manager_client.post(
        _edit_url(org, "8.3.4.1"),
        {"status": "conformant", "operated_by": "external_supplier", "operator_name": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'has-error">\s*<label for="id_operator_name"', body)
    assert "Name the party that operates this requirement." in body
    assert not Conformity.all_orgs.exists()
    full = manager_client.post(
        _edit_url(org, "8.3.4.1"),
        {"status": "conformant", "operated_by": "external_supplier", "operator_name": ""},
    )
    assert "Nothing was saved" in full.content.decode() and "<html" in full.content.decode()
    assert not Conformity.all_orgs.exists()


def test_viewer_sees_no_form_and_gets_403_on_post(viewer_client, auditor_client, org):
    html = viewer_client.get(_url(org, "6.3")).content.decode()
    assert "Change the assessment" not in html
    for client in (viewer_client, auditor_client):
        response = client.post(
            _edit_url(org, "6.3"), {"status": "conformant", "operated_by": "organisation"}
        )
        assert response.status_code == 403
    assert not Conformity.all_orgs.exists()


def test_outsider_gets_404_on_page_and_edit(outsider_client, org):
    assert outsider_client.get(_url(org, "6.3")).status_code == 404
    response = outsider_client.post(
        _edit_url(org, "6.3"), {"status": "conformant", "operated_by": "organisation"}
    )
    assert response.status_code == 404
    assert not Conformity.all_orgs.exists()


def test_unknown_requirement_is_404(viewer_client, org):
    missing = reverse("catalogue:requirement_detail", kwargs={"org_slug": org.slug, "pk": 999999})
    assert viewer_client.get(missing).status_code == 404


def test_requirement_page_query_count_is_flat(
    viewer_client, org, owner, manager, django_assert_max_num_queries
):
    """15 evidence items, 5 processes and 10 history entries: still a fixed number of queries."""
    for i in range(15):
        evidence(org, "8.6.1", "8.6", title=f"Evidence {i}", expires_in_days=[-1, 5, 90][i % 3])
    for i in range(5):
        process(org, f"p{i}", "8.6.1", "8.6.2", owner=[owner, manager][i % 2])
    row = conformity(org, "8.6.1", "partial")
    for status in ["conformant", "nonconformant", "partial"] * 3:
        row.status = status
        row.save()
    heading, leaf = _url(org, "8.6"), _url(org, "8.6.1")
    with django_assert_max_num_queries(13):
        response = viewer_client.get(heading)
    assert response.status_code == 200
    with django_assert_max_num_queries(13):
        viewer_client.get(leaf)


def test_history_shows_only_this_organisations_events(viewer_client, org, other_org):
    conformity(other_org, "6.3", "nonconformant")
    mine = conformity(org, "6.3", "partial")
    html = viewer_client.get(_url(org, "6.3")).content.decode()
    history = html.split('data-testid="history"')[1].split("</ol>")[0]
    assert "Partially conformant" in history and "Nonconformant" not in history
    assert AuditEvent.objects.for_org(org).filter(object_id=str(mine.pk)).count() == 1
