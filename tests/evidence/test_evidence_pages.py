"""The evidence pages: list with filters, create with a file, detail, versions, download."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from openitsms.audit.models import AuditEvent
from openitsms.evidence.models import EvidenceFile, EvidenceItem
from openitsms.processes.models import Process
from tests.evidence.helpers import add_version, days, item, req, stored_files


def url(name, org, **kw):
    return reverse(f"evidence:{name}", kwargs={"org_slug": org.slug, **kw})


@pytest.fixture
def incident(org, process_owner):
    p = Process(
        organisation=org,
        slug="incident",
        name="Incident management",
        kind="operational",
        owner=process_owner,
    )
    p.save()
    return p


def test_the_list_shows_freshness_latest_version_and_clauses(viewer_client, org, manager):
    stale = item(
        org,
        manager,
        title="Continuity test report",
        effective_on=days(-400),
        review_interval_days=365,
        requirements=[req("8.7.2")],
    )
    add_version(stale, b"v1", "test.pdf")
    add_version(stale, b"v2", "test-rerun.pdf")
    item(org, manager, title="Policy", effective_on=days(-10))
    html = viewer_client.get(url("evidence_list", org)).content.decode()
    row = html.split("Continuity test report")[1].split("</tr>")[0]
    assert 'class="badge fresh-stale">Out of date</span>' in row
    assert "v2 · test-rerun.pdf" in row
    assert "8.7.2" in row
    policy = html.split(">Policy</a>")[1].split("</tr>")[0]
    assert "No review date" in policy and "No file yet" in policy


def test_filters_by_kind_clause_process_owner_freshness_and_title(
    viewer_client, org, manager, incident
):
    item(
        org,
        manager,
        title="Incident procedure",
        kind="document",
        requirements=[req("8.6.1")],
        processes=[incident],
        owner=manager,
        effective_on=days(-10),
        valid_until=days(10),
    )
    item(
        org,
        manager,
        title="Audit report",
        kind="report",
        requirements=[req("9.2")],
        effective_on=days(-10),
    )
    base = url("evidence_list", org)

    def titles(query):
        html = viewer_client.get(base, query).content.decode()
        return sorted(t for t in ("Incident procedure", "Audit report") if f">{t}</a>" in html)

    assert titles({}) == ["Audit report", "Incident procedure"]
    assert titles({"kind": "report"}) == ["Audit report"]
    assert titles({"clause": "8.6"}) == ["Incident procedure"]
    assert titles({"clause": "9.2"}) == ["Audit report"]
    assert titles({"process": incident.pk}) == ["Incident procedure"]
    assert titles({"owner": manager.pk}) == ["Incident procedure"]
    assert titles({"owner": "none"}) == ["Audit report"]
    assert titles({"freshness": "due_soon"}) == ["Incident procedure"]
    assert titles({"freshness": "undated"}) == ["Audit report"]
    assert titles({"q": "audit"}) == ["Audit report"]
    assert (
        "No evidence matches these filters"
        in viewer_client.get(base, {"q": "zzz"}).content.decode()
    )


def test_htmx_filter_returns_only_the_results(viewer_client, org, manager):
    item(org, manager, title="Audit report")
    html = viewer_client.get(
        url("evidence_list", org), {"q": "audit"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.lstrip().startswith('<div id="evidence-results">')


def test_deleted_evidence_is_hidden_unless_asked_for(viewer_client, org, manager):
    gone = item(org, manager, title="Old policy")
    from openitsms.evidence import actions
    from openitsms.tenancy.scoping import org_scope

    with org_scope(org):
        actions.delete_evidence(item=gone)
    assert ">Old policy</a>" not in viewer_client.get(url("evidence_list", org)).content.decode()
    html = viewer_client.get(url("evidence_list", org), {"deleted": "on"}).content.decode()
    assert ">Old policy</a>" in html and "Deleted" in html


def test_the_list_makes_the_same_number_of_queries_for_many_items(
    viewer_client, org, manager, incident, django_assert_max_num_queries
):
    def fill(n, offset):
        for i in range(n):
            ev = item(
                org,
                manager,
                title=f"Item {offset + i}",
                requirements=[req("8.6.1"), req("9.1")],
                processes=[incident],
                owner=manager,
            )
            add_version(ev, f"a{offset + i}".encode())
            add_version(ev, f"b{offset + i}".encode())

    fill(2, 0)
    with django_assert_max_num_queries(20) as few:
        viewer_client.get(url("evidence_list", org))
    fill(12, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = viewer_client.get(url("evidence_list", org))
    assert response.content.decode().count("v2 · file.txt") == 14


def test_the_empty_list_says_what_to_do(manager_client, viewer_client, org):
    assert "Add the first item" in manager_client.get(url("evidence_list", org)).content.decode()
    assert "Add the first item" not in viewer_client.get(url("evidence_list", org)).content.decode()


def test_a_manager_creates_evidence_with_its_first_file(manager_client, org, manager, incident):
    content = b"Date,Incidents\n2026-01,41\n"
    response = manager_client.post(
        url("evidence_create", org),
        {
            "title": "Incident statistics January",
            "kind": "export",
            "owner": manager.pk,
            "effective_on": "2026-02-01",
            "review_interval_days": "31",
            "requirements": [req("8.6.1").pk, req("9.1").pk],
            "processes": [incident.pk],
            "file": SimpleUploadedFile("incidents.csv", content),
            "note": "From the ITSM tool",
        },
    )
    evidence = EvidenceItem.all_orgs.get(title="Incident statistics January")
    assert response.status_code == 302 and response["Location"] == evidence.get_absolute_url()
    version = evidence.versions.get()
    assert (
        version.sha256 == hashlib.sha256(content).hexdigest()
        and version.note == "From the ITSM tool"
    )
    assert sorted(evidence.requirements.values_list("number", flat=True)) == ["8.6.1", "9.1"]
    assert evidence.created_by == manager and evidence.owner == manager
    page = manager_client.get(response["Location"]).content.decode()
    assert version.sha256 in page and "Version 1 of" in page


def test_the_create_form_lists_clauses_in_order_and_only_this_organisations_processes(
    manager_client, org, other_org, incident
):
    Process(
        organisation=other_org, slug="theirs", name="Harbour secret process", kind="operational"
    ).save()
    html = manager_client.get(url("evidence_create", org)).content.decode()
    assert "Incident management" in html and "Harbour secret process" not in html
    assert (
        html.index("4.1 Understanding")
        < html.index("8.6.1 Incident management")
        < html.index("10.2")
    )
    assert 'enctype="multipart/form-data"' in html


def test_create_errors_are_shown_next_to_the_field_and_nothing_is_created(
    manager_client, org, settings
):
    response = manager_client.post(
        url("evidence_create", org),
        {
            "title": "Web page",
            "kind": "document",
            "effective_on": "2026-02-01",
            "file": SimpleUploadedFile("page.html", b"<script>"),
        },
    )
    assert response.status_code == 200
    assert "are not accepted" in response.content.decode()
    assert not EvidenceItem.all_orgs.exists() and stored_files() == []
    response = manager_client.post(
        url("evidence_create", org), {"title": "Wiki", "kind": "link", "effective_on": "2026-02-01"}
    )
    assert "A link needs its address." in response.content.decode()


def test_viewers_and_auditors_cannot_create_evidence(viewer_client, auditor_client, org):
    for client in (viewer_client, auditor_client):
        response = client.post(
            url("evidence_create", org),
            {"title": "x", "kind": "record", "effective_on": "2026-01-01"},
        )
        assert response.status_code == 403
    assert not EvidenceItem.all_orgs.exists()


def test_the_detail_page_shows_every_version_links_and_history(
    viewer_client, org, manager, incident
):
    evidence = item(
        org, manager, title="Supplier review", requirements=[req("8.3.4.1")], processes=[incident]
    )
    add_version(evidence, b"first", "review.docx", user=manager)
    add_version(evidence, b"second", "review-v2.docx", user=manager)
    other = item(org, manager, title="Copy elsewhere")
    add_version(other, b"first", "copy.docx")
    html = viewer_client.get(evidence.get_absolute_url()).content.decode()
    for v in evidence.versions.all():
        assert v.sha256 in html and v.original_name in html
        assert reverse("evidence:file_download", kwargs={"org_slug": org.slug, "pk": v.pk}) in html
    assert "Same content as" in html and "Copy elsewhere" in html
    assert "8.3.4.1" in html and "Incident management" in html
    assert (
        reverse("audit:object_history", args=[org.slug, "evidence.evidenceitem", evidence.pk])
        in html
    )
    assert "Upload a new version" not in html and "Delete this evidence" not in html


def test_uploading_a_new_version_from_the_page(manager_client, org, manager):
    evidence = item(org, manager)
    add_version(evidence, b"one")
    response = manager_client.post(
        url("evidence_upload", org, pk=evidence.pk),
        {"file": SimpleUploadedFile("two.txt", b"two"), "note": "Signed copy"},
    )
    assert response.status_code == 302
    latest = evidence.versions.first()
    assert latest.version == 2 and latest.note == "Signed copy" and latest.uploaded_by == manager


def test_uploading_identical_content_shows_why_it_was_refused(manager_client, org, manager):
    evidence = item(org, manager)
    add_version(evidence, b"one", "one.txt")
    response = manager_client.post(
        url("evidence_upload", org, pk=evidence.pk),
        {"file": SimpleUploadedFile("again.txt", b"one")},
    )
    assert response.status_code == 422
    assert "identical to version 1 (one.txt)" in response.content.decode()
    assert evidence.versions.count() == 1


def test_download_is_for_members_only_as_an_attachment_with_its_name(
    viewer_client, outsider_client, org, manager, client
):
    evidence = item(org, manager)
    version = add_version(evidence, b"%PDF-1.7 secret", "Board minutes.pdf").version
    download = url("file_download", org, pk=version.pk)
    response = viewer_client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 secret"
    assert response["Content-Disposition"] == 'attachment; filename="Board minutes.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert outsider_client.get(download).status_code == 404
    assert client.get(download).status_code == 302  # to the login page
    assert AuditEvent.objects.filter(action="access", object_id=str(version.pk)).count() == 1


def test_a_missing_stored_file_gives_a_clear_404(viewer_client, org, manager):
    version = add_version(item(org, manager), b"gone").version
    stored_files()[0].unlink()
    response = viewer_client.get(url("file_download", org, pk=version.pk))
    assert response.status_code == 404


def test_a_process_owner_edits_evidence_of_their_process_but_not_others(
    org, manager, process_owner, incident
):
    theirs = item(org, manager, title="Incident KPI report", processes=[incident])
    not_theirs = item(org, manager, title="Budget")
    client = Client()
    client.force_login(process_owner)
    data = {
        "title": "Incident KPI report (Q1)",
        "kind": "report",
        "effective_on": "2026-01-01",
        "processes": [incident.pk],
    }
    assert client.post(url("evidence_edit", org, pk=theirs.pk), data).status_code == 302
    theirs.refresh_from_db()
    assert theirs.title == "Incident KPI report (Q1)"
    assert client.post(url("evidence_edit", org, pk=not_theirs.pk), data).status_code == 403
    assert (
        client.post(
            url("evidence_upload", org, pk=not_theirs.pk),
            {"file": SimpleUploadedFile("a.txt", b"a")},
        ).status_code
        == 403
    )
    not_theirs.refresh_from_db()
    assert not_theirs.title == "Budget" and not not_theirs.versions.exists()
    assert client.post(url("evidence_delete", org, pk=theirs.pk)).status_code == 403


def test_a_process_owner_may_add_evidence_and_owns_it(org, process_owner):
    client = Client()
    client.force_login(process_owner)
    response = client.post(
        url("evidence_create", org),
        {
            "title": "Desk procedure",
            "kind": "document",
            "effective_on": "2026-01-01",
            "owner": process_owner.pk,
        },
    )
    assert response.status_code == 302
    evidence = EvidenceItem.all_orgs.get(title="Desk procedure")
    assert evidence.owner == process_owner
    assert client.get(url("evidence_edit", org, pk=evidence.pk)).status_code == 200


def test_viewer_cannot_edit_upload_or_delete(viewer_client, org, manager):
    evidence = item(org, manager, title="Kept")
    assert (
        viewer_client.post(
            url("evidence_edit", org, pk=evidence.pk), {"title": "Changed"}
        ).status_code
        == 403
    )
    assert (
        viewer_client.post(
            url("evidence_upload", org, pk=evidence.pk), {"file": SimpleUploadedFile("a.txt", b"a")}
        ).status_code
        == 403
    )
    assert viewer_client.post(url("evidence_delete", org, pk=evidence.pk)).status_code == 403
    evidence.refresh_from_db()
    assert (
        evidence.title == "Kept"
        and evidence.deleted_at is None
        and not EvidenceFile.all_orgs.exists()
    )


def test_deleting_from_the_page_is_soft_and_can_be_undone(manager_client, org, manager):
    evidence = item(org, manager, title="Old SLA")
    add_version(evidence, b"sla")
    response = manager_client.post(url("evidence_delete", org, pk=evidence.pk))
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None and len(stored_files()) == 1
    page = manager_client.get(evidence.get_absolute_url()).content.decode()
    assert "This evidence was deleted" in page and "Restore it" in page
    manager_client.post(url("evidence_restore", org, pk=evidence.pk))
    evidence.refresh_from_db()
    assert evidence.deleted_at is None


def test_editing_changes_fields_and_links_with_errors_next_to_fields(manager_client, org, manager):
    evidence = item(org, manager, title="Policy", requirements=[req("5.2")])
    response = manager_client.post(
        url("evidence_edit", org, pk=evidence.pk),
        {
            "title": "Policy",
            "kind": "document",
            "effective_on": "2026-03-01",
            "valid_until": "2026-01-01",
            "requirements": [req("5.2").pk],
        },
    )
    assert "cannot be before the effective date" in response.content.decode()
    response = manager_client.post(
        url("evidence_edit", org, pk=evidence.pk),
        {
            "title": "Service management policy",
            "kind": "document",
            "effective_on": "2026-03-01",
            "valid_until": "2027-03-01",
            "requirements": [req("5.2.2").pk],
        },
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (
        evidence.title == "Service management policy" and str(evidence.expires_on) == "2027-03-01"
    )
    assert list(evidence.requirements.values_list("number", flat=True)) == ["5.2.2"]


def test_outsiders_see_nothing(outsider_client, org, manager):
    evidence = item(org, manager)
    for name, kw in [
        ("evidence_list", {}),
        ("evidence_detail", {"pk": evidence.pk}),
        ("evidence_create", {}),
    ]:
        assert outsider_client.get(url(name, org, **kw)).status_code == 404
